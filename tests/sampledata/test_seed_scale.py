"""manage.py seed_scale: a small run on PostgreSQL, checked row by row against the models' rules."""

import io
import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F

from accounts.models import Membership, User
from funding.models import (
    BudgetLine,
    DisbursementRequest,
    FundingEvent,
    Grant,
    Milestone,
    ProofOfUse,
    Spending,
)
from municipalities.models import Consortium, Municipality
from municipalities.scoping import scopes_disabled
from participation.models import (
    Ballot,
    Comment,
    Idea,
    OfficialAnswer,
    ParticipationEvent,
    Phase,
    Process,
    ProcessPartner,
    Support,
    Vote,
)
from participation.selectors import facts as facts_selectors
from projects.models import Indicator, Measurement, Project, ProjectEvent, ProjectPartner
from projects.selectors import progress as progress_selectors

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the seeder's target is PostgreSQL")

SMALL = {"towns": 3, "ideas_per_town": 40, "projects_per_town": 6, "seed": 7, "force": True}


def _seed(**options) -> Consortium:
    before = set(Consortium.objects.values_list("pk", flat=True))
    call_command("seed_scale", **{**SMALL, **options}, stdout=io.StringIO())
    return Consortium.objects.exclude(pk__in=before).get()


def _fingerprint(consortium) -> tuple:
    """What a seed decides, without ids or times of day (the dates follow the day of the run)."""
    towns = Municipality.objects.filter(consortium=consortium)
    ideas = Idea._base_manager.filter(municipality__in=towns)
    return (
        list(towns.order_by("name").values_list("name", "slug", "ars")),
        list(
            ideas.order_by("title", "body", "support_count").values_list(
                "title", "status", "support_count", "comment_count", "moderation"
            )
        ),
        list(
            Project._base_manager.filter(municipality__in=towns)
            .order_by("slug")
            .values_list("slug", "status")
        ),
        Comment._base_manager.filter(municipality__in=towns).count(),
    )


@pytest.fixture
def seeded(db):
    with scopes_disabled():
        consortium = _seed()
        yield consortium, list(Municipality.objects.filter(consortium=consortium))


def test_stored_counts_equal_the_rows(seeded):
    _consortium, towns = seeded
    with scopes_disabled():
        assert Idea._base_manager.filter(municipality__in=towns).count() == 3 * 40
        recount = Idea._base_manager.filter(municipality__in=towns).annotate(
            **{f"real_{name}": expression for name, expression in facts_selectors.count_expressions().items()}
        )
        wrong = [
            (i.pk, i.support_count, i.real_support_count, i.comment_count, i.real_comment_count)
            for i in recount
            if (i.support_count, i.comment_count) != (i.real_support_count, i.real_comment_count)
        ]
        assert wrong == []
        assert all(i.counts_changed_at is not None for i in recount)
        assert (
            sum(i.support_count for i in recount)
            == Support._base_manager.filter(municipality__in=towns).count()
        )
        assert sum(i.support_count for i in recount) > 0 and sum(i.comment_count for i in recount) > 0
        # Each idea's stored facts, the latest answer's moment included, as the services would store them.
        ideas = Idea._base_manager.filter(municipality__in=towns)
        assert facts_selectors.ideas_with_stale_facts(ideas) == []
        assert (
            ideas.filter(answered_at__isnull=False).exists()
            and ideas.filter(answered_at__isnull=True).exists()
        )
        # Each process's stored published-idea count is its published ideas (participation.services rule).
        processes = Process._base_manager.filter(municipality__in=towns).annotate(
            real=facts_selectors.shown_idea_count()
        )
        assert processes.exists() and [(p.pk, p.shown_idea_count) for p in processes] == [
            (p.pk, p.real) for p in processes
        ]
        assert sum(p.shown_idea_count for p in processes) > 0
        assert all(p.content_changed_at is not None for p in processes)
        # Each membership was granted once.
        memberships = Membership._base_manager.filter(municipality__in=towns)
        assert memberships.count() == 9 and set(memberships.values_list("grant_count", flat=True)) == {1}
        # A reply hangs off a top-level comment of the same idea.
        assert (
            not Comment._base_manager.filter(municipality__in=towns, parent__isnull=False)
            .exclude(parent__idea=F("idea"))
            .exists()
        )
        assert not Comment._base_manager.filter(municipality__in=towns, parent__parent__isnull=False).exists()
        # Each project's stored facts (progress, latest update, partner count) as its services would store them.
        projects = Project._base_manager.filter(municipality__in=towns)
        assert projects.count() == 3 * 6
        assert progress_selectors.projects_with_stale_facts(projects) == []
        assert (
            projects.filter(partner_count__gt=0).exists()
            and projects.filter(last_update_on__isnull=False).exists()
        )


def test_every_row_belongs_to_its_town(seeded):
    _consortium, towns = seeded
    with scopes_disabled():
        for model, path in (
            (Idea, "process__municipality"),
            (Comment, "idea__municipality"),
            (Support, "idea__municipality"),
            (OfficialAnswer, "idea__municipality"),
            (Ballot, "process__municipality"),
            (Vote, "ballot__municipality"),
            (Measurement, "indicator__municipality"),
            (Indicator, "project__municipality"),
            (BudgetLine, "grant__municipality"),
            (Spending, "grant__municipality"),
            (DisbursementRequest, "grant__municipality"),
            (Milestone, "grant__municipality"),
            (ProofOfUse, "grant__municipality"),
            (FundingEvent, "grant__municipality"),
        ):
            rows = model._base_manager.filter(municipality__in=towns)
            assert rows.exists(), model
            assert not rows.exclude(municipality=F(path)).exists(), model
        votes = Vote._base_manager.filter(municipality__in=towns)
        assert not votes.exclude(idea__process=F("ballot__process")).exists()
        assert (
            not Spending._base_manager.filter(municipality__in=towns, project__isnull=False)
            .exclude(project__municipality=F("municipality"))
            .exists()
        )
        # A supporter supports an idea once, and never their own.
        assert not Support._base_manager.filter(municipality__in=towns, user=F("idea__author")).exists()
        # Partners of joint projects and processes are other towns of the consortium.
        partners = ProjectPartner._base_manager.filter(project__municipality__in=towns)
        assert partners.exists()
        assert not partners.filter(municipality=F("project__municipality")).exists()
        assert set(partners.values_list("municipality", flat=True)) <= {t.pk for t in towns}
        assert (
            not ProcessPartner._base_manager.filter(process__municipality__in=towns)
            .filter(municipality=F("process__municipality"))
            .exists()
        )
        assert Municipality.objects.filter(pk__in=[t.pk for t in towns], is_lead=True).count() == 1


def test_surveys_with_many_responses_counted_as_the_services_count(seeded):
    """Two surveys per town (one running with live results, one closed), one question of every kind, the
    responses' stored count true, respondents with an account once each, and results read as the pages read
    them."""
    from surveys import selectors as survey_selectors
    from surveys.models import Answer, Participant, QuestionKind, Survey
    from surveys.models import Response as SurveyResponse

    _consortium, towns = seeded
    with scopes_disabled():
        surveys = Survey._base_manager.filter(municipality__in=towns)
        assert surveys.count() == 2 * len(towns)
        for survey in surveys:
            assert survey.response_count == SurveyResponse._base_manager.filter(survey=survey).count() == 1000
            assert {q.kind for q in survey.questions.all()} == set(QuestionKind.values)
            assert survey.process.phase(Phase.SURVEY) is not None
        assert not (
            Participant._base_manager.filter(survey__in=surveys)
            .values("survey", "user")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .exists()
        )
        answers = Answer._base_manager.filter(response__survey__in=surveys)
        assert not answers.exclude(municipality=F("response__municipality")).exists()
        assert (
            answers.filter(moderation="published").exists() and answers.filter(moderation="pending").exists()
        )
        assert SurveyResponse._base_manager.filter(survey__in=surveys, is_paper=True).exists()
        # The stored counts the results read equal a full recount of the copied rows.
        assert survey_selectors.surveys_with_stale_tallies(list(surveys)) == []
        results = survey_selectors.results(surveys.first())
        assert results.responses == 1000 and all(q.answered for q in results.questions)
        assert (
            results.paper_responses
            == SurveyResponse._base_manager.filter(survey=surveys.first(), is_paper=True).count()
        )
        assert len(survey_selectors.public_results().filter(municipality__in=towns)) == 2 * len(towns)


def test_processes_in_every_phase_and_valid_rows(seeded):
    _consortium, towns = seeded
    from django.utils import timezone

    today = timezone.localdate()
    with scopes_disabled():
        for town in towns:
            processes = Process._base_manager.filter(municipality=town).prefetch_related("phases")
            current = {p.current_phase(today).kind for p in processes}
            assert current == set(Phase.values), town
            assert any(p.accepts_ideas(today) for p in processes)
            assert any(p.accepts_votes(today) for p in processes)
            assert any(p.results_public(today) for p in processes)
        rng = random.Random(3)
        for model in (
            Idea,
            Comment,
            Support,
            OfficialAnswer,
            Process,
            Project,
            ProjectPartner,
            Indicator,
            Measurement,
            Grant,
            BudgetLine,
            Spending,
            DisbursementRequest,
            Milestone,
            ProofOfUse,
            Ballot,
            Vote,
            Membership,
            ProjectEvent,
            ParticipationEvent,
        ):
            rows = list(model._base_manager.filter(municipality__in=towns))
            assert rows, model
            for row in rng.sample(rows, min(len(rows), 15)):
                row.full_clean()
        for user in User.objects.filter(email__contains=towns[0].slug)[:10]:
            user.full_clean()
            assert not user.has_usable_password()
        for town in towns:
            town.full_clean()
        # Funding as the funding app models it: grants with requests within the federal share, milestones done,
        # waived and open, interim proofs and a final one.
        for grant in Grant._base_manager.filter(municipality__in=towns):
            called = sum(d.amount for d in grant.disbursements.filter(status__in=DisbursementRequest.CALLED))
            assert 0 < called <= grant.federal_share
            assert {m.status for m in grant.milestones.all()} == {"done", "waived", "open"}
            assert grant.proofs.filter(kind="final").count() == 1
        # A year of KPI measurements.
        for indicator in Indicator._base_manager.filter(municipality__in=towns)[:5]:
            assert indicator.measurements.count() == 12
        assert Idea._base_manager.filter(municipality__in=towns, latitude__isnull=False).exists()
        assert Idea._base_manager.filter(municipality__in=towns, answers__isnull=False).exists()
        for idea in Idea._base_manager.filter(municipality__in=towns, latitude__isnull=False)[:20]:
            assert idea.municipality.contains_point(idea.latitude, idea.longitude)
        # Every status change came with an answer, the last of which names the idea's status.
        for idea in Idea._base_manager.filter(municipality__in=towns).exclude(status="submitted"):
            assert idea.answers.order_by("created_at", "pk").last().status_after == idea.status


def test_the_same_seed_gives_the_same_data(db):
    with scopes_disabled():
        fingerprints = []
        for _ in range(2):
            with transaction.atomic():
                consortium = _seed(towns=2, ideas_per_town=25, projects_per_town=3)
                fingerprints.append(_fingerprint(consortium))
                transaction.set_rollback(True)
        assert fingerprints[0] == fingerprints[1]
        other = _seed(towns=2, ideas_per_town=25, projects_per_town=3, seed=8)
        assert _fingerprint(other) != fingerprints[0]


def test_refuses_a_database_with_other_data(db, town_a, settings):
    with pytest.raises(CommandError, match="did not make"):
        call_command("seed_scale", towns=1, ideas_per_town=2, stdout=io.StringIO())
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_scale", towns=1, ideas_per_town=2, stdout=io.StringIO())
    assert not Consortium.objects.filter(slug__startswith="seed-").exists()


def test_a_second_run_adds_a_second_consortium_next_to_seed_data(seeded):
    _first, _towns = seeded
    with scopes_disabled():
        # Only seed data in the database: no --force needed (the fixture's run used it for the demo case).
        if Municipality.objects.exclude(consortium__slug__startswith="seed-").exists():
            pytest.skip("the database holds the demo")
        call_command("seed_scale", towns=1, ideas_per_town=5, projects_per_town=1, stdout=io.StringIO())
        assert Consortium.objects.filter(slug__startswith="seed-").count() == 2
        assert Project._base_manager.values("slug").annotate(n=Count("pk")).filter(n__gt=1).count() == 0
