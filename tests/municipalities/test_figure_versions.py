"""The towns' key figures are cached under a version that every write moves (municipalities.freshness): after
each kind of write the figures served equal the figures counted from scratch, a write moves the versions of the
towns it concerns (a joint row: the lead town and its partners) and no other, and the cache is used when nothing
changed. Real database and cache; the writes go through the services, as pages and tasks make them."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.models import Role
from agentur import dashboard
from funding import services as funding_services
from municipalities import freshness
from municipalities.scoping import cross_town_scope, town_scope
from participation.models import Moderation
from participation.services import answers as answers_services
from participation.services import flags as flags_services
from participation.services import moderation as moderation_services
from participation.services import processes as processes_services
from projects import services as project_services
from tests import factories, helpers

pytestmark = pytest.mark.django_db


def _figures(towns) -> dict:
    """The Agentur's figures of every town (the key figures and the Agentur's own), as the dashboard reads them."""
    with cross_town_scope(purpose="test", municipalities=towns):
        data = dashboard.town_figures(towns=towns, filters=dashboard.DashboardFilters())
    return {town.slug: row for town, row in zip(data["towns"], data["figures"], strict=True)}


def _recounted(towns) -> dict:
    cache.clear()
    return _figures(towns)


def _versions(towns) -> dict:
    return {
        town.slug: version
        for town, version in zip(
            towns, [freshness.read_versions([town.pk])[town.pk] for town in towns], strict=True
        )
    }


@pytest.fixture
def towns(town_a, town_b, town_c):
    return [town_a, town_b, town_c]


def test_each_write_shows_at_once_and_moves_only_its_towns(towns, town_a, town_b, town_c, citizen, moderator):
    """A joint process and a joint project of Arnsberg with Soest; Olpe stands apart. After each write the figures
    served equal a recount, and only the towns the write concerns got a new version."""
    process = factories.process(municipality=town_a, partners=[town_b])
    project = factories.project(municipality=town_a, partners=[town_b], status="planned")
    grant = factories.grant(municipality=town_c)
    factories.budget_line(grant=grant, year=helpers.today().year, amount="200000.00")
    _figures(towns)  # the cache holds every town now

    def idea():
        state["idea"] = factories.idea(process=process)

    def answer():
        with town_scope(town_b):  # a partner town's editors answer ideas of the joint process too
            answers_services.idea_answer(
                idea=state["idea"], by=None, acting_town=town_b, body="Wir prüfen das.", to="under_review"
            )

    def report():
        with town_scope(town_a):
            flags_services.flag_submit(target=state["idea"], reporter=citizen, reason="spam")

    def hide():
        with town_scope(town_a):
            moderation_services.moderation_hide(
                target=state["idea"], by=moderator, acting_town=town_a, reason="Werbung"
            )

    def project_status():
        with town_scope(town_a):
            project_services.project_transition(
                project=project, to="in_progress", by=None, acting_town=town_a
            )

    def update_by_partner():
        factories.progress_update(project=project, acting_town=town_b, published_on=helpers.today())

    def milestone():
        with town_scope(town_c):
            funding_services.milestone_save(
                grant=grant,
                by=None,
                fields={"title": "Ausschreibung", "due_on": helpers.today() - datetime.timedelta(1)},
            )

    def called():
        with town_scope(town_c):
            item = funding_services.disbursement_prepare(
                grant=grant, by=None, fields={"year": helpers.today().year, "amount": Decimal("1000.00")}
            )
            funding_services.disbursement_submit(item=item, by=None, submitted_on=helpers.today())

    def team():
        account_services.membership_grant(municipality=town_c, user=factories.UserFactory(), role=Role.EDITOR)

    def feedback():
        factories.feedback(municipality=town_c)

    state = {}
    joint, olpe = {"arnsberg", "soest"}, {"olpe"}
    steps = [
        (idea, joint),
        (answer, joint),
        (report, {"arnsberg"}),
        (hide, joint),
        (project_status, joint),
        (update_by_partner, joint),
        (milestone, olpe),
        (called, olpe),
        (team, olpe),
        (feedback, olpe),
    ]
    for write, concerned in steps:
        before = _versions(towns)
        served_before = _figures(towns)
        write()
        moved = {slug for slug, version in _versions(towns).items() if version != before[slug]}
        assert moved == concerned, write.__name__
        served = _figures(towns)
        assert served == _recounted(towns), write.__name__
        assert served != served_before or write is report, write.__name__  # each step changes a figure


def test_the_figures_follow_each_step(towns, town_a, town_b, moderator):
    """The numbers themselves, read between writes with the cache warm."""
    process = factories.process(municipality=town_a, partners=[town_b])
    assert _figures(towns)["arnsberg"]["ideas_received"] == 0
    idea = factories.idea(process=process)
    figures = _figures(towns)
    assert (figures["arnsberg"]["ideas_received"], figures["soest"]["ideas_received_joint"]) == (1, 1)
    with town_scope(town_a):
        answers_services.idea_answer(idea=idea, by=None, acting_town=town_a, body="Danke.", to="under_review")
    figures = _figures(towns)
    assert (figures["arnsberg"]["ideas_answered"], figures["soest"]["ideas_answered_joint"]) == (1, 1)
    with town_scope(town_a):
        moderation_services.moderation_hide(target=idea, by=moderator, acting_town=town_a, reason="Doppelt")
    figures = _figures(towns)
    assert (figures["arnsberg"]["ideas_received"], figures["arnsberg"]["ideas_answered"]) == (0, 0)
    assert figures["soest"]["ideas_received_joint"] == 0


def test_a_published_comment_moves_no_version_and_a_held_one_does(towns, town_a):
    """Comments count only as moderation items: a lively discussion in a post-moderation town leaves its figures
    cached; a comment held for pre-moderation is an open item."""
    process = factories.process(municipality=town_a)
    idea = factories.idea(process=process)
    _figures(towns)
    before = _versions(towns)
    factories.comment(idea=idea)
    assert _versions(towns) == before
    with town_scope(town_a):
        processes_services.settings_change(municipality=town_a, by=None, fields={"moderation": "pre"})
    held = factories.comment(idea=idea)
    assert held.moderation == Moderation.PENDING
    assert _versions(towns)["arnsberg"] != before["arnsberg"]
    assert (
        _figures(towns)["arnsberg"]["moderation_open"]
        == 1
        == _recounted(towns)["arnsberg"]["moderation_open"]
    )


def test_unchanged_towns_are_read_from_the_cache(towns, town_a, django_assert_max_num_queries):
    """The versions are one query (beside the audit entry of the cross-town read); the towns counted again are
    those written to, in one query."""
    process = factories.process(municipality=town_a)
    _figures(towns)
    with django_assert_max_num_queries(2):
        _figures(towns)
    factories.idea(process=process)
    with CaptureQueriesContext(connection) as counted:
        _figures(towns)
    # The figures' query over the towns (on SQLite one more reads the days to the first answer of the same town).
    figures_query = [
        q["sql"]
        for q in counted
        if "participation_idea" in q["sql"] and q["sql"].startswith('SELECT "municipalities_municipality"')
    ]
    assert len(figures_query) == 1 and f"IN ({town_a.pk})" in figures_query[0].replace('"', "")


def test_prune_keeps_each_towns_version(towns, town_a, town_b):
    process = factories.process(municipality=town_a)
    for _ in range(3):
        factories.idea(process=process)
    freshness.changed([town_b.pk])
    before = _versions(towns)
    assert freshness.prune() > 0
    assert _versions(towns) == before
