"""The vote: a shortlist fixed when the vote starts, one ballot per person within the process's limits, changeable
until the end, and results with counts."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from municipalities.scoping import town_scope
from participation.models import Ballot, Idea, ParticipationEvent, Process, Vote
from participation.selectors import ballots as ballots_selectors
from participation.selectors import people as people_selectors
from participation.services import answers as answers_services
from participation.services import ballots as ballots_services
from participation.services import flags as flags_services
from participation.services import ideas as ideas_services
from participation.services import moderation as moderation_services
from participation.services import processes as processes_services
from tests import factories, helpers

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _vote_start():
    """The first day of the vote in the factory's default plan, counted from today when the test runs."""
    return helpers.today() + 41 * DAY


def _vote_end():
    """The last day of the vote in the factory's default plan."""
    return helpers.today() + 60 * DAY


@pytest.fixture
def process(town_a):
    item = factories.process(municipality=town_a, votes_per_person=3, votes_per_idea=2)
    with town_scope(town_a):
        yield Process.objects.get(pk=item.pk)


@pytest.fixture
def shortlist(process):
    ideas = [factories.idea(process=process, title=title) for title in ("Bänke", "Bäume", "Brunnen")]
    for idea in ideas:
        ideas_services.idea_set_shortlisted(
            idea=idea, shortlisted=True, by=None, acting_town=process.municipality
        )
    return ideas


def _cast(process, user, votes, on=None):
    return ballots_services.ballot_cast(
        process=process,
        user=user,
        votes={i.pk: n for i, n in votes.items()},
        on=_vote_start() if on is None else on,
    )


def test_votes_stay_within_the_limits_per_person_and_per_idea(process, shortlist, citizen):
    benches, trees, fountain = shortlist
    with pytest.raises(ValidationError) as error:
        _cast(process, citizen, {benches: 3})
    assert error.value.code == "per_idea"
    with pytest.raises(ValidationError) as error:
        _cast(process, citizen, {benches: 2, trees: 1, fountain: 1})
    assert error.value.code == "total"
    assert not Vote.objects.exists()
    ballot = _cast(process, citizen, {benches: 2, trees: 1, fountain: 0})
    assert ballots_services.ballot_total(ballot) == 3
    assert ballots_selectors.ballot_votes(process=process, user=citizen) == {benches.pk: 2, trees.pk: 1}


def test_votes_go_only_to_published_ideas_on_the_shortlist_of_this_process(
    process, shortlist, citizen, town_a
):
    unlisted = factories.idea(process=process, title="Nicht ausgewählt")
    other = factories.process(municipality=town_a)
    elsewhere = factories.idea(process=other)
    ideas_services.idea_set_shortlisted(idea=elsewhere, shortlisted=True, by=None, acting_town=town_a)
    reported = shortlist[2]
    processes_services.settings_change(municipality=town_a, by=None, fields={"report_threshold": 1})
    flags_services.flag_submit(target=reported, reporter=factories.UserFactory(), reason="spam")
    for wrong in (unlisted, elsewhere, reported):
        with pytest.raises(ValidationError) as error:
            _cast(process, citizen, {shortlist[0]: 1, wrong: 1})
        assert error.value.code == "shortlist", wrong
    assert not Ballot.objects.filter(user=citizen).exists()


def test_the_shortlist_is_fixed_when_the_vote_starts(process, shortlist, editor_a):
    late = factories.idea(process=process, title="Zu spät")
    with pytest.raises(ValidationError):
        ideas_services.idea_set_shortlisted(
            idea=late, shortlisted=True, by=editor_a, acting_town=process.municipality, on=_vote_start()
        )
    with pytest.raises(ValidationError):
        ideas_services.idea_set_shortlisted(
            idea=shortlist[0],
            shortlisted=False,
            by=editor_a,
            acting_town=process.municipality,
            on=_vote_start(),
        )
    ideas_services.idea_set_shortlisted(
        idea=late, shortlisted=True, by=editor_a, acting_town=process.municipality, on=_vote_start() - DAY
    )
    assert Idea.objects.filter(is_shortlisted=True).count() == 4
    event = ParticipationEvent.objects.filter(idea=late, kind="shortlist").get()
    assert event.actor == editor_a and event.changes == {"is_shortlisted": ["–", "✓"]}


def test_rejected_and_merged_ideas_cannot_be_shortlisted(process, shortlist):
    rejected = factories.idea(process=process)
    answers_services.idea_answer(
        idea=rejected, by=None, acting_town=process.municipality, to="rejected", body="Nein."
    )
    with pytest.raises(ValidationError) as error:
        ideas_services.idea_set_shortlisted(
            idea=rejected, shortlisted=True, by=None, acting_town=process.municipality
        )
    assert error.value.code == "status"


def test_a_ballot_can_change_until_the_last_day_and_stays_one(process, shortlist, citizen):
    benches, trees, fountain = shortlist
    with pytest.raises(ValidationError) as error:
        _cast(process, citizen, {benches: 1}, on=_vote_start() - DAY)
    assert error.value.code == "phase"
    first = _cast(process, citizen, {benches: 2, trees: 1})
    second = _cast(process, citizen, {fountain: 2}, on=_vote_end())
    assert first.pk == second.pk and Ballot.objects.filter(user=citizen).count() == 1
    assert ballots_selectors.ballot_votes(process=process, user=citizen) == {fountain.pk: 2}
    with pytest.raises(ValidationError):
        _cast(process, citizen, {benches: 1}, on=_vote_end() + DAY)
    assert ballots_selectors.ballot_votes(process=process, user=citizen) == {fountain.pk: 2}


def test_results_count_the_votes_and_the_ballots(process, shortlist):
    benches, trees, fountain = shortlist
    for votes in ({benches: 2, trees: 1}, {benches: 2, fountain: 1}, {trees: 1}, {}):
        _cast(process, factories.UserFactory(), votes)
    results = ballots_selectors.vote_results(process=process)
    assert [(i.title, i.vote_total, i.rank, i.share) for i in results["ideas"]] == [
        ("Bänke", 4, 1, 57.1),
        ("Bäume", 2, 2, 28.6),
        ("Brunnen", 1, 3, 14.3),
    ]
    assert (results["votes"], results["ballots"]) == (7, 3)  # the empty ballot is no vote


def test_results_of_a_vote_without_ballots(process, shortlist):
    results = ballots_selectors.vote_results(process=process)
    assert [(i.vote_total, i.share) for i in results["ideas"]] == [(0, 0)] * 3
    assert (results["votes"], results["ballots"]) == (0, 0)


def test_my_votes_are_listed_in_few_queries(process, shortlist, citizen, django_assert_max_num_queries):
    _cast(process, citizen, {shortlist[0]: 2, shortlist[1]: 1})
    with django_assert_max_num_queries(4):
        votes = people_selectors.user_contributions(user=citizen)["votes"]
        rows = [(v.ballot.process.title, v.municipality.slug, v.idea.title, v.count) for v in votes]
    assert sorted(r[2:] for r in rows) == [("Bänke", 2), ("Bäume", 1)]


def test_equal_votes_share_a_rank_and_ballots_for_hidden_ideas_do_not_count(process, shortlist, town_a):
    benches, trees, fountain = shortlist
    _cast(process, factories.UserFactory(), {benches: 2})
    _cast(process, factories.UserFactory(), {trees: 2})
    _cast(process, factories.UserFactory(), {fountain: 1})
    moderation_services.moderation_hide(target=fountain, by=None, acting_town=town_a, reason="Werbung")
    results = ballots_selectors.vote_results(process=process)
    assert [(i.title, i.rank, i.vote_total) for i in results["ideas"]] == [("Bänke", 1, 2), ("Bäume", 1, 2)]
    assert (results["ballots"], results["votes"]) == (2, 4)
