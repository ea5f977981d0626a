"""The participation demo: a running process per town with dozens of ideas, Arnsberg's finished vote,
places inside the towns, idempotent, and no citizen accounts without demo accounts.

The demo is loaded once for the module (inside a transaction that is rolled back at the end), because loading
it takes seconds; each test then runs in its own savepoint."""

import importlib
import re

import pytest
from django.apps import apps
from django.db import transaction
from django.test import override_settings
from django.utils import timezone, translation

from accounts.models import User
from municipalities.demo.loader import DEMO_DOMAIN, load_demo, load_towns
from municipalities.models import Municipality
from municipalities.scoping import scopes_disabled, town_scope
from participation import selectors
from participation.demo.loader import load_participation
from participation.models import (
    Ballot,
    Comment,
    Idea,
    OfficialAnswer,
    ParticipationEvent,
    Process,
    Report,
    Support,
    Vote,
)

pytestmark = pytest.mark.django_db

MODELS = (Process, Idea, Comment, Support, OfficialAnswer, Ballot, Vote, Report, ParticipationEvent, User)
FINISHED = "arnsberg-gestaltet-zukunft-ihre-ideen-fuer-die-smart-city"


def _counts() -> tuple[int, ...]:
    with scopes_disabled():
        return tuple(model.objects.count() for model in MODELS)


def _citizens():
    return User.objects.filter(email__startswith="buerger-", email__endswith=f"@{DEMO_DOMAIN}")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Load the participation demo without accounts (and roll that back), then the whole demo with accounts;
    facts of the first load are handed to the tests. (The first load skips projects and funding, which take
    most of the time and do not depend on accounts.)"""
    with django_db_blocker.unblock(), override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]), transaction.atomic():
        importlib.import_module("projects.migrations.0002_seed_fields_of_action").seed(apps, None)
        facts = {}
        with transaction.atomic():
            _consortium, towns = load_towns()
            load_participation(towns, with_accounts=False)
            with scopes_disabled():
                facts["without_accounts"] = {
                    "users": User.objects.count(), "citizens": _citizens().count(),
                    "ideas": Idea.objects.count(),
                    "online_ideas": Idea.objects.filter(is_offline=False).count(),
                    "supports": Support.objects.count(), "comments": Comment.objects.count(),
                    "processes": Process.objects.count()}
            transaction.set_rollback(True)
        load_demo(with_accounts=True)
        yield facts
        transaction.set_rollback(True)


def test_every_town_has_a_running_process_with_dozens_of_ideas(demo):
    today = timezone.localdate()
    towns = list(Municipality.objects.active().order_by("slug"))
    assert len(towns) == 5
    for town in towns:
        with town_scope(town):
            running = [p for p in selectors.process_list()
                       if p.municipality_id == town.pk and p.accepts_ideas(today)]
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
        queue = selectors.moderation_queue()
        assert any(idea.moderation == "pending" for idea in queue["ideas"])
        assert any(comment.moderation == "pending" for comment in queue["comments"])
    for slug in ("arnsberg", "menden"):
        with town_scope(Municipality.objects.get(slug=slug)):
            assert selectors.moderation_queue()["count"] >= 1, slug
    with scopes_disabled():
        assert Idea.objects.filter(moderation="reported").exists()


def test_arnsberg_has_a_finished_process_with_public_results(demo):
    arnsberg = Municipality.objects.get(slug="arnsberg")
    with town_scope(arnsberg):
        process = selectors.process_get(slug=FINISHED)
        assert process.results_public()
        assert not process.accepts_ideas() and not process.accepts_votes()
        assert Idea.objects.visible().filter(process=process).count() >= 35
        results = selectors.vote_results(process=process)
        assert len(results["ideas"]) == 8
        assert results["ballots"] >= 10 and results["votes"] > results["ballots"]
        assert results["ideas"][0].vote_total > results["ideas"][-1].vote_total
        assert sum(1 for idea in results["ideas"] if idea.project_id) >= 5


def test_a_joint_process_of_arnsberg_and_menden_is_seen_in_both_towns(demo):
    for slug in ("arnsberg", "menden"):
        with town_scope(Municipality.objects.get(slug=slug)):
            joint = [p for p in selectors.process_list() if p.partner_towns.exists()]
            assert len(joint) == 1, slug
            assert joint[0].accepts_supports() and not joint[0].accepts_ideas()


def test_loading_twice_creates_nothing_new(demo):
    counts = _counts()
    load_demo(with_accounts=True)
    assert _counts() == counts


def test_without_accounts_only_offline_contributions_are_loaded(demo):
    facts = demo["without_accounts"]
    assert facts["citizens"] == 0 and facts["users"] == 0
    assert facts["processes"] == 7
    assert facts["ideas"] >= 20 and facts["online_ideas"] == 0
    assert facts["supports"] == 0 and facts["comments"] == 0
    assert _citizens().count() == 15


def test_the_reports_of_the_demo_data_show_its_key_figures(demo, tmp_path, django_capture_on_commit_callbacks):
    """The town report and the funding report of Arnsberg's demo data, as PDF: the key figures are in the text,
    and the first page is a real page (issue 6). The demo is loaded once for this module, so the check lives here."""
    from funding.models import Grant
    from funding.money import format_eur
    from projects.models import Project
    from reports import services as report_services
    from reports.models import ReportRequest
    from tests.reports.test_reports import _first_page_png, _pdftotext, _read

    town = Municipality.objects.get(slug="arnsberg")
    with town_scope(town):
        led = list(Project.objects.filter(municipality=town).values_list("title", flat=True))
        grant = Grant.objects.filter(municipality=town).order_by("pk").first()
        running = Process.objects.filter(municipality=town, is_published=True).order_by("pk").first()
        with django_capture_on_commit_callbacks(execute=True):
            town_report, _new = report_services.report_request(municipality=town, kind="town", format="pdf", by=None)
            funding_report, _new = report_services.report_request(municipality=town, kind="funding", format="pdf",
                                                                  by=None, grant=grant)
        town_report, funding_report = (ReportRequest.objects.get(pk=r.pk) for r in (town_report, funding_report))
    assert (town_report.status, funding_report.status) == ("done", "done"), town_report.error
    def squeeze(value: str) -> str:  # line breaks and hyphenation in table cells do not matter
        return re.sub(r"[\s\-\u00ad]", "", value)

    text = squeeze(_pdftotext(_read(town_report), tmp_path, layout=False))
    assert led and all(squeeze(title) in text for title in led), [t for t in led if squeeze(t) not in text]
    assert squeeze(running.title) in text
    with translation.override("de"):
        federal_share = format_eur(grant.federal_share)
    funding_text = " ".join(_pdftotext(_read(funding_report), tmp_path, layout=False).split())
    assert grant.title in funding_text and federal_share in funding_text, federal_share
    page = _first_page_png(_read(town_report), tmp_path)
    assert len(page.getcolors(maxcolors=1_000_000)) > 50, "the first page is blank"
