"""Many people at the same moment, on PostgreSQL with one connection per thread: supports and ballots stay one per
person, counts stay exact, reports hide a contribution once, and nothing but the domain's own refusals leaks out."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from municipalities.scoping import town_scope
from participation.models import Ballot, Idea, Moderation, ParticipationEvent, Process, Support, Vote
from participation.selectors import ballots as ballots_selectors
from participation.selectors import ideas as ideas_selectors
from participation.services import ballots as ballots_services
from participation.services import flags as flags_services
from participation.services import ideas as ideas_services
from participation.services import supports as supports_services
from tests import factories, helpers
from tests.conftest import need

pytestmark = pytest.mark.django_db(transaction=True)


def _vote_day():
    """A day in the factory's default vote phase, counted from today when the test runs."""
    return helpers.today() + datetime.timedelta(days=45)


@pytest.fixture(autouse=True)
def _postgresql():
    need(
        connection.vendor == "postgresql", "concurrent writers need PostgreSQL (SQLite locks the whole file)"
    )


def _at_once(municipality, calls):
    """Run each call in a thread of its own, all released at the same moment, each inside the town's scope and
    on its own database connection (closed when the thread ends). Returns (results, errors), in call order."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=20)
            with town_scope(municipality):
                results[index] = call()
        except Exception as error:  # noqa: BLE001 - examined by the test
            errors[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs (deadlock?)"
    return results, errors


@pytest.fixture
def idea(town_a):
    process = factories.process(municipality=town_a)
    return factories.idea(process=process)


def test_supports_clicked_at_the_same_moment_are_counted_exactly(town_a, idea):
    people = [factories.UserFactory() for _ in range(20)]
    eager = factories.UserFactory()
    calls = [lambda user=user: supports_services.support_add(idea=idea, user=user) for user in people]
    calls += [
        lambda: supports_services.support_add(idea=idea, user=eager)
    ] * 10  # one person clicking ten times
    results, errors = _at_once(town_a, calls)
    assert errors == [None] * 30
    assert results[:20] == [True] * 20
    assert sorted(results[20:]) == [False] * 9 + [True]  # one of the ten clicks added the support
    with town_scope(town_a):
        assert Support.objects.filter(idea=idea).count() == 21
        assert Support.objects.filter(idea=idea, user=eager).count() == 1
        assert ideas_selectors.idea_list().get(pk=idea.pk).support_count == 21


def test_adding_and_withdrawing_at_the_same_moment_leaves_a_consistent_count(town_a, idea):
    people = [factories.UserFactory() for _ in range(10)]
    with town_scope(town_a):
        for person in people[:5]:
            supports_services.support_add(idea=idea, user=person)
    calls = [
        lambda user=user: supports_services.support_withdraw(idea=idea, user=user) for user in people[:5]
    ]
    calls += [lambda user=user: supports_services.support_add(idea=idea, user=user) for user in people[5:]]
    calls += [lambda user=user: supports_services.support_add(idea=idea, user=user) for user in people[5:]]
    results, errors = _at_once(town_a, calls)
    assert errors == [None] * 15
    assert results[:5] == [True] * 5
    assert sorted(results[5:]) == [False] * 5 + [True] * 5
    with town_scope(town_a):
        assert set(Support.objects.filter(idea=idea).values_list("user", flat=True)) == {
            p.pk for p in people[5:]
        }
        assert Idea.objects.get(pk=idea.pk).support_count == len(people[5:])  # the stored count too


@pytest.fixture
def vote(town_a):
    # One commit (tests/reports/conftest.py's fill_town says why): the open data are built once, not seven times.
    with transaction.atomic():
        process = factories.process(municipality=town_a, votes_per_person=3, votes_per_idea=3)
        ideas = [factories.idea(process=process, title=title) for title in ("Bänke", "Bäume", "Brunnen")]
        with town_scope(town_a):
            for idea in ideas:
                ideas_services.idea_set_shortlisted(idea=idea, shortlisted=True, by=None, acting_town=town_a)
    with town_scope(town_a):
        return Process.objects.get(pk=process.pk), ideas


def test_one_ballot_per_person_when_several_tabs_cast_at_once(town_a, vote):
    process, ideas = vote
    voter = factories.UserFactory()
    others = [factories.UserFactory() for _ in range(10)]
    choices = [{ideas[n % 3].pk: 3} for n in range(10)]
    calls = [
        lambda votes=votes: ballots_services.ballot_cast(
            process=process, user=voter, votes=votes, on=_vote_day()
        )
        for votes in choices
    ]
    calls += [
        lambda user=user: ballots_services.ballot_cast(
            process=process, user=user, votes={ideas[0].pk: 1}, on=_vote_day()
        )
        for user in others
    ]
    results, errors = _at_once(town_a, calls)
    assert errors == [None] * 20
    assert len({ballot.pk for ballot in results[:10]}) == 1
    with town_scope(town_a):
        assert Ballot.objects.filter(process=process, user=voter).count() == 1
        assert Ballot.objects.filter(process=process).count() == 11
        mine = dict(Vote.objects.filter(ballot__user=voter).values_list("idea_id", "count"))
        assert mine in choices  # one whole ballot, the last one to get the lock, never a mixture
        results = ballots_selectors.vote_results(process=process)
        assert (results["votes"], results["ballots"]) == (13, 11)


def test_reports_at_the_same_moment_hide_a_contribution_once(town_a, idea, editor_a):
    reporters = [factories.UserFactory() for _ in range(6)]
    calls = [
        lambda user=user: flags_services.flag_submit(target=idea, reporter=user, reason="spam")
        for user in reporters
    ]
    results, errors = _at_once(town_a, calls)
    # The first three reports hide the idea; the rest find it already under review and are told so.
    assert sum(r is not None for r in results) == 3
    assert all(isinstance(e, ValidationError) for e in errors if e is not None)
    with town_scope(town_a):
        assert Idea.objects.get(pk=idea.pk).moderation == Moderation.REPORTED
        assert ParticipationEvent.objects.filter(idea=idea, kind="auto_hidden").count() == 1


def test_a_campaign_on_one_process_neither_deadlocks_nor_loses_a_version(town_a):
    """Supports of one idea and of other ideas, and new ideas, all in one process at the same moment, each in a
    transaction of its own as a request runs (ATOMIC_REQUESTS): the stored freshness of the process is one hot row,
    updated last and as FOR NO KEY UPDATE, so nobody waits long, nobody deadlocks, and every write counts."""
    from django.db import transaction

    process = factories.process(municipality=town_a)
    ideas = [factories.idea(process=process, title=f"Idee {n}") for n in range(5)]
    before = Process._base_manager.get(pk=process.pk).content_version
    people = [factories.UserFactory() for _ in range(20)]

    def atomic(call):
        def run():
            with transaction.atomic():
                return call()

        return run

    calls = [
        atomic(lambda user=user, n=n: supports_services.support_add(idea=ideas[n % 2], user=user))
        for n, user in enumerate(people)
    ]
    calls += [
        atomic(
            lambda user=user: ideas_services.idea_submit(
                process=process,
                author=user,
                fields={"title": "Noch eine Idee", "body": "Gleichzeitig eingereicht."},
                consent=True,
            )
        )
        for user in people[:6]
    ]
    _results, errors = _at_once(town_a, calls)
    assert errors == [None] * len(calls)
    stored = Process._base_manager.get(pk=process.pk)
    assert stored.content_version == before + len(calls)
    assert (
        stored.shown_idea_count
        == Idea._base_manager.filter(process=process, moderation="published").count()
        == 11
    )
    with town_scope(town_a):
        assert [ideas_selectors.idea_list().get(pk=idea.pk).support_count for idea in ideas[:2]] == [10, 10]
