"""The participation demo: a running process per town with dozens of ideas, Arnsberg's finished vote, a vote
open on the day of loading, places inside the towns, idempotent, and no citizen accounts without demo accounts.
Also what the whole demo promises a newcomer: German texts, and a project history dated over the past years that
agrees with the quarterly figures.

The demo is loaded once per run (the session fixture ``demo`` in tests/conftest.py, inside a transaction that is
rolled back at the end), because loading it takes most of a minute; each test then runs in its own savepoint."""

import re

import pytest
from django.utils import timezone, translation

from accounts.models import User
from municipalities.demo.loader import DEMO_DOMAIN
from municipalities.models import Municipality
from municipalities.scoping import scopes_disabled, town_scope
from participation.models import (
    Ballot,
    Comment,
    ContentFlag,
    Idea,
    OfficialAnswer,
    ParticipationEvent,
    Process,
    Support,
    Vote,
    VotingCode,
    VotingCodeBatch,
)
from participation.selectors import ballots as ballots_selectors
from participation.selectors import moderation as moderation_selectors
from participation.selectors import processes as processes_selectors
from sampledata.demo import load_demo

pytestmark = pytest.mark.django_db

MODELS = (
    Process,
    Idea,
    Comment,
    Support,
    OfficialAnswer,
    Ballot,
    Vote,
    ContentFlag,
    ParticipationEvent,
    VotingCodeBatch,
    VotingCode,
    User,
)
FINISHED = "arnsberg-gestaltet-zukunft-ihre-ideen-fuer-die-smart-city"


def _counts() -> tuple[int, ...]:
    with scopes_disabled():
        return tuple(model.objects.count() for model in MODELS)


def _citizens():
    return User.objects.filter(email__startswith="buerger-", email__endswith=f"@{DEMO_DOMAIN}")


def test_every_town_has_a_running_process_with_dozens_of_ideas(demo):
    today = timezone.localdate()
    towns = list(Municipality.objects.active().order_by("slug"))
    assert len(towns) == 5
    for town in towns:
        with town_scope(town):
            running = [
                p
                for p in processes_selectors.process_list()
                if p.municipality_id == town.pk and p.accepts_ideas(today)
            ]
            assert running, town.slug
            process = running[0]
            ideas = Idea.objects.visible().filter(process=process)
            assert ideas.count() >= 25, town.slug
            comments = Comment.objects.visible().filter(idea__process=process)
            assert comments.filter(parent__isnull=False).exists(), town.slug
            assert comments.count() >= 20, town.slug
            supports = Support.objects.filter(idea__process=process)
            assert supports.count() >= 50, town.slug
            assert supports.values("user").distinct().count() >= 10, town.slug
            statuses = set(ideas.values_list("status", flat=True))
            assert {"submitted", "under_review", "accepted", "rejected"} <= statuses, (town.slug, statuses)
            assert ideas.filter(is_offline=True).count() >= 3, town.slug
            assert ideas.filter(project__isnull=False).exists(), town.slug
            for answer in OfficialAnswer.objects.filter(idea__process=process, status_after="rejected"):
                assert len(answer.body) > 40  # a rejection explains itself
            placed = list(ideas.filter(latitude__isnull=False))
            assert len(placed) >= 10, town.slug
            for idea in placed:
                assert town.contains_point(idea.latitude, idea.longitude), (town.slug, idea.title)
            # Everything was dated back into the process's idea collection, never into the future.
            phase = process.phase("ideas")
            for created in ideas.values_list("created_at", flat=True):
                assert phase.starts_on <= timezone.localtime(created).date() <= today


def test_moderation_has_work_waiting(demo):
    olpe = Municipality.objects.get(slug="olpe")
    with town_scope(olpe):
        queue = moderation_selectors.moderation_queue()
        assert any(idea.moderation == "pending" for idea in queue["ideas"])
        assert any(comment.moderation == "pending" for comment in queue["comments"])
    for slug in ("arnsberg", "menden"):
        with town_scope(Municipality.objects.get(slug=slug)):
            assert moderation_selectors.moderation_queue()["count"] >= 1, slug
    with scopes_disabled():
        assert Idea.objects.filter(moderation="reported").exists()


def test_arnsberg_has_a_finished_process_with_public_results(demo):
    arnsberg = Municipality.objects.get(slug="arnsberg")
    with town_scope(arnsberg):
        process = processes_selectors.process_get(slug=FINISHED)
        assert process.results_public()
        assert not process.accepts_ideas() and not process.accepts_votes()
        assert Idea.objects.visible().filter(process=process).count() >= 35
        results = ballots_selectors.vote_results(process=process)
        assert len(results["ideas"]) == 8
        assert results["ballots"] >= 10 and results["votes"] > results["ballots"]
        assert results["ideas"][0].vote_total > results["ideas"][-1].vote_total
        assert sum(1 for idea in results["ideas"] if idea.project_id) >= 5


def test_a_joint_process_of_arnsberg_and_menden_is_seen_in_both_towns(demo):
    for slug in ("arnsberg", "menden"):
        with town_scope(Municipality.objects.get(slug=slug)):
            joint = [p for p in processes_selectors.process_list() if p.partner_towns.exists()]
            assert len(joint) == 1, slug
            # Its ideas were collected and evaluated; the vote on the shortlist is open (issue 15).
            assert joint[0].accepts_votes() and not joint[0].accepts_ideas()


def test_loading_twice_creates_nothing_new(demo):
    counts = _counts()
    load_demo(with_accounts=True)
    assert _counts() == counts


def test_without_accounts_only_offline_contributions_are_loaded(demo):
    facts = demo["without_accounts"]
    assert facts["citizens"] == 0 and facts["users"] == 0
    assert facts["processes"] == 8
    assert facts["ideas"] >= 20 and facts["online_ideas"] == 0
    assert facts["supports"] == 0 and facts["comments"] == 0
    assert _citizens().count() == 15


def test_the_reports_of_the_demo_data_show_its_key_figures(
    demo, tmp_path, django_capture_on_commit_callbacks
):
    """The town report and the funding report of Arnsberg's demo data, as PDF: the key figures are in the text,
    and the first page is a real page (issue 6). The demo is loaded once for this module, so the check lives here."""
    from funding.models import Grant
    from funding.money import format_eur
    from projects.models import Project
    from reports import services as report_services
    from reports.models import ReportRequest
    from tests.helpers import file_bytes, first_page_png, pdftotext

    municipality = Municipality.objects.get(slug="arnsberg")
    with town_scope(municipality):
        led = list(Project.objects.filter(municipality=municipality).values_list("title", flat=True))
        grant = Grant.objects.filter(municipality=municipality).order_by("pk").first()
        running = Process.objects.filter(municipality=municipality, is_published=True).order_by("pk").first()
        with django_capture_on_commit_callbacks(execute=True):
            town_report, _new = report_services.report_request(
                municipality=municipality, kind="town", format="pdf", by=None
            )
            funding_report, _new = report_services.report_request(
                municipality=municipality, kind="funding", format="pdf", by=None, grant=grant
            )
        town_report, funding_report = (
            ReportRequest.objects.get(pk=r.pk) for r in (town_report, funding_report)
        )
    assert (town_report.status, funding_report.status) == ("done", "done"), town_report.error

    def squeeze(value: str) -> str:  # line breaks and hyphenation in table cells do not matter
        return re.sub(r"[\s\-\u00ad]", "", value)

    text = squeeze(pdftotext(file_bytes(town_report), tmp_path, layout=False))
    assert led and all(squeeze(title) in text for title in led), [t for t in led if squeeze(t) not in text]
    assert squeeze(running.title) in text
    with translation.override("de"):
        federal_share = format_eur(grant.federal_share)
    funding_text = " ".join(pdftotext(file_bytes(funding_report), tmp_path, layout=False).split())
    assert grant.title in funding_text and federal_share in funding_text, federal_share
    page = first_page_png(file_bytes(town_report), tmp_path)
    assert len(page.getcolors(maxcolors=1_000_000)) > 50, "the first page is blank"


# --- What a newcomer meets (issue 15) --------------------------------------------------------------------

#: English that crept into the German demo once ("category", "Vision: … adopted … strategic goals").
ENGLISH = re.compile(
    r"\b(category|adopted|strategic|goals?|pilot projects|until|incl\.|participation kits|"
    r"youth parliament|from \d{4}|the|and|with)\b",
    re.IGNORECASE,
)


def _demo_texts():
    """Every text field of the demo's rows (not choices, slugs, addresses or file names)."""
    from django.db import models

    from funding.models import DisbursementRequest, Grant, Milestone, Spending
    from knowledge.models import LessonNote
    from municipalities.models import Consortium
    from projects.models import Bundle, Indicator, ProgressUpdate, Project, Strategy

    for model in (
        Consortium,
        Municipality,
        Strategy,
        Bundle,
        Project,
        ProgressUpdate,
        Indicator,
        Process,
        Idea,
        Comment,
        OfficialAnswer,
        Grant,
        Milestone,
        Spending,
        DisbursementRequest,
        LessonNote,
    ):
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField))
            and not f.choices
            and not isinstance(f, (models.SlugField, models.EmailField, models.URLField))
        ]
        for row in model._base_manager.values("pk", *fields):
            for name in fields:
                if row[name]:
                    yield f"{model.__name__}.{name}#{row['pk']}", row[name]


def test_the_demo_speaks_german(demo, client):
    english = [(where, text[:120]) for where, text in _demo_texts() if ENGLISH.search(text)]
    assert english == []
    soest = Municipality.objects.get(slug="soest")
    assert "28 strategische Ziele" in soest.vision
    with translation.override("de"):
        for path in ("/", "/soest/", "/olpe/"):
            page = re.sub(r"<[^>]+>", " ", client.get(path, HTTP_ACCEPT_LANGUAGE="de").content.decode())
            assert not re.search(r"\b(category|adopted|strategic goals)\b", page, re.IGNORECASE), path


def test_the_project_history_is_spread_over_the_past_and_agrees_with_the_quarterly_figures(demo):
    from django.conf import settings

    from projects.models import Project, ProjectEvent
    from reviews.models import quarter_bounds, quarter_of
    from reviews.selectors import quarter_figures

    today = timezone.localdate()
    with scopes_disabled():
        events = list(ProjectEvent.objects.filter(kind=ProjectEvent.Kind.STATUS).select_related("project"))
        every = list(ProjectEvent.objects.values_list("at", flat=True))
    days = [timezone.localtime(event.at).date() for event in events]
    assert len(events) >= 60
    assert all(day <= today for day in days)
    assert sum(day == today for day in days) <= len(days) // 10, "the status changes are not dated back"
    assert len({quarter_of(day) for day in days}) >= 12, "the history covers a few quarters only"
    assert sum(timezone.localtime(at).date() == today for at in every) <= len(every) // 10
    with translation.override(settings.LANGUAGE_CODE):
        started, completed = str(Project.Status.IN_PROGRESS.label), str(Project.Status.COMPLETED.label)
    # Every quarter with a change, and the current one: the figures count each change once, in its quarter.
    quarters = sorted({quarter_of(day) for day in days} | {quarter_of(today)})
    seen = 0
    for town in Municipality.objects.active():
        with town_scope(town):
            for year, quarter in quarters:
                start, end = quarter_bounds(year, quarter)
                mine = [
                    (event, day)
                    for event, day in zip(events, days, strict=True)
                    if event.project.municipality_id == town.pk and start <= day <= end
                ]
                figures = quarter_figures(municipality=town, year=year, quarter=quarter)["projects"]
                assert figures["status_changes"] == len(mine), (town.slug, year, quarter)
                moves = [event.changes["status"][1] for event, _day in mine]
                assert figures["started"] == moves.count(started), (town.slug, year, quarter)
                assert figures["completed"] == moves.count(completed), (town.slug, year, quarter)
                seen += len(mine)
    assert seen == len(events)


def test_a_vote_is_open_on_the_day_of_loading_and_a_newcomer_can_try_it(demo):
    from participation.services import ballots as ballots_services

    today = timezone.localdate()
    with scopes_disabled():
        voting = [
            p for p in Process.objects.filter(is_published=True) if p.accepts_votes(today) and not p.is_budget
        ]
    assert voting, "no process is in its vote on the day of loading"
    process = voting[0]
    newcomer = User.objects.get(email=f"buerger@{DEMO_DOMAIN}")
    with town_scope(process.municipality):
        assert not process.results_public(today)
        shortlist = list(Idea.objects.visible().filter(process=process, is_shortlisted=True))
        assert len(shortlist) >= 3
        assert Ballot.objects.filter(process=process).count() >= 10  # the demo citizens have voted already
        assert not Ballot.objects.filter(process=process, user=newcomer).exists()
        ballot = ballots_services.ballot_cast(
            process=process, user=newcomer, votes={shortlist[0].pk: 1, shortlist[1].pk: 1}
        )
        assert ballots_services.ballot_total(ballot) == 2


def test_bad_berleburg_has_a_participatory_budget_in_its_vote(demo):
    from participation.models import Feasibility

    today = timezone.localdate()
    berleburg = Municipality.objects.get(slug="bad-berleburg")
    newcomer = User.objects.get(email=f"buerger@{DEMO_DOMAIN}")
    with town_scope(berleburg):
        process = Process.objects.get(municipality=berleburg, vote_mode="budget")
        assert process.accepts_votes(today) and process.budget_cap == 100000
        ideas = list(Idea.objects.visible().filter(process=process))
        assert len(ideas) >= 10
        feasible = [i for i in ideas if i.feasibility == Feasibility.FEASIBLE]
        assert len(feasible) >= 8 and all(i.cost_estimate and i.feasibility_reason for i in feasible)
        assert sum(i.cost_estimate for i in feasible) > process.budget_cap  # people have to choose
        assert any(i.feasibility == Feasibility.NOT_FEASIBLE for i in ideas)
        ballots = Ballot.objects.filter(process=process)
        assert ballots.filter(is_paper=False).count() >= 10 and ballots.filter(is_paper=True).exists()
        results = ballots_selectors.vote_results(process=process)
        assert results["winners"] and results["spent"] <= process.budget_cap
        assert not ballots.filter(user=newcomer).exists()  # the newcomer can try it


BUDGET = "buergerhaushalt-bad-berleburg-sie-entscheiden-ueber-100000-euro"
CODE = re.compile(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")


def _letters(batch, tmp_path) -> list[str]:
    """The codes printed in the batch's letters, in the order of the pages (one letter a page)."""
    from tests.helpers import file_bytes, pdftotext

    pages = pdftotext(file_bytes(batch), tmp_path, layout=False).split("\f")
    codes = [CODE.findall(page) for page in pages if page.strip()]
    assert all(len(found) == 1 for found in codes)
    return [found[0] for found in codes]


def test_bad_berleburgs_budget_votes_by_codes_with_codes_left_to_try(demo, client, tmp_path, settings):
    """Bad Berleburg's Bürgerhaushalt votes by codes: one batch of 200 letters built with the demo, 120 of its
    codes used by the demo's ballots (those of the last letters, as README says), never an account's ballot; the
    results, the winners, the open data and the staff's page count the same; a code of the first letters
    votes, once."""
    from api.opendata.selectors import published_ideas
    from participation.models import VotingCode, VotingCodeBatch
    from participation.services.codes import code_hash, code_normalise
    from tests import factories

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": demo["media"]},
        },
    }  # where the demo's letters are
    berleburg = Municipality.objects.get(slug="bad-berleburg")
    with town_scope(berleburg):
        process = Process.objects.get(slug=BUDGET)
        assert process.vote_by_codes and process.is_budget and process.accepts_votes()
        batch = VotingCodeBatch.objects.get(process=process)
        assert (batch.count, batch.purpose, batch.status, batch.municipality) == (
            200,
            "vote",
            "done",
            berleburg,
        )
        assert batch.is_available  # the letters can be downloaded on the day of loading
        codes = VotingCode.objects.filter(batch=batch)
        assert codes.count() == 200 and codes.filter(used_at__isnull=False).count() == 120
        ballots = Ballot.objects.filter(process=process)
        assert ballots.filter(user__isnull=False).count() == 0  # a vote by codes takes no account's ballot
        by_code = ballots.filter(voting_code__isnull=False)
        assert by_code.count() == 120 and ballots.filter(is_paper=True).count() == 4
        assert ballots.count() == 124
        # Every code ballot gave votes, within the budget; the codes were used on a day of the vote.
        vote = process.phase("vote")
        for ballot in by_code.prefetch_related("votes__idea"):
            chosen = [v.idea for v in ballot.votes.all()]
            assert chosen and sum(i.cost_estimate for i in chosen) <= process.budget_cap
            assert vote.starts_on <= timezone.localtime(ballot.created_at).date() <= timezone.localdate()
        assert batch.created_at < min(ballots.values_list("created_at", flat=True))

        results = ballots_selectors.vote_results(process=process)
        assert results["ballots"] == 124
        assert results["votes"] == Vote.objects.filter(ballot__process=process).count()
        assert results["winners"] and results["spent"] <= process.budget_cap
        totals = {idea.pk: idea.vote_total for idea in results["ideas"]}
        opened = {idea.pk: idea.vote_sum or 0 for idea in published_ideas().filter(process=process)}
        assert {pk: opened[pk] for pk in totals} == totals  # the open data's sums are the results' figures

        # The letters: the codes of the last 120 pages voted, those of the first 80 are unused.
        printed = _letters(batch, tmp_path)
        assert len(printed) == 200
        used = set(codes.filter(used_at__isnull=False).values_list("code_hash", flat=True))
        assert [code_hash(code_normalise(code)) in used for code in printed] == [False] * 80 + [True] * 120

    # The staff page counts the same.
    editor = factories.staff_member(municipality=berleburg, role="editor", email="codes-demo@example.org")
    client.force_login(editor)
    staff_page = client.get(f"/bad-berleburg/verwaltung/beteiligung/{BUDGET}/codes/")
    assert staff_page.status_code == 200
    cells = re.findall(r'<td class="kern-table__cell">([^<]*)</td>', staff_page.content.decode())
    assert cells[1:4] == ["die Abstimmung", "200", "120"], cells  # for, codes, used
    letters = client.get(f"/bad-berleburg/verwaltung/beteiligung/{BUDGET}/codes/{batch.pk}/briefe.pdf")
    assert letters.status_code == 200
    client.logout()

    # A newcomer votes with the code of the first letter, once; the code of the last letter has voted already.
    url = f"/bad-berleburg/beteiligung/{BUDGET}/abstimmung/code/"
    with town_scope(berleburg):
        cheapest = min((i for i in results["ideas"] if i.cost_estimate), key=lambda idea: idea.cost_estimate)
    choice = {f"idea_{cheapest.pk}": "on"}
    assert client.post(url, {"code": printed[0], **choice}).status_code == 302
    again = client.post(url, {"code": printed[0], **choice})
    assert again.status_code == 400 and "bereits verwendet" in again.content.decode()
    spent = client.post(url, {"code": printed[-1], **choice})
    assert spent.status_code == 400 and "bereits verwendet" in spent.content.decode()
    with town_scope(berleburg):
        assert Ballot.objects.filter(process=process).count() == 125
        assert VotingCode.objects.filter(batch=batch, used_at__isnull=False).count() == 121
