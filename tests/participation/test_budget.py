"""The participatory budget (Bürgerhaushalt): proposals with costs, the town's check of cost and feasibility, a
ballot that stays within the budget, paper ballots, the winners within the budget, and a winner's project."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from municipalities.scoping import town_scope
from notifications.models import Notification
from participation.models import Ballot, Feasibility, Idea, ParticipationEvent, Process
from participation.selectors import ballots as ballots_selectors
from participation.services import ballots as ballots_services
from participation.services import budget as budget_services
from participation.services import processes as processes_services
from participation.services import supports as supports_services
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
    item = factories.process(municipality=town_a, vote_mode="budget", budget_cap=Decimal("100000"))
    with town_scope(town_a):
        yield Process.objects.get(pk=item.pk)


def _assess(idea, cost, verdict=Feasibility.FEASIBLE, reason="Geprüft.", by=None, on=None):
    return budget_services.idea_assess(
        idea=idea,
        by=by,
        acting_town=idea.process.municipality,
        cost_estimate=None if cost is None else Decimal(cost),
        feasibility=verdict,
        reason=reason,
        on=on,
    )


@pytest.fixture
def proposals(process):
    """Four feasible proposals (60,000, 50,000, 30,000 and 20,000 €) and one not feasible."""
    made = []
    for title, cost in (("Spielplatz", 60000), ("Radweg", 50000), ("Bänke", 30000), ("Bäume", 20000)):
        idea = factories.idea(process=process, title=title, estimated_cost=Decimal(cost - 5000))
        made.append(_assess(idea, cost))
    pool = factories.idea(process=process, title="Freibad", estimated_cost=Decimal("2000000"))
    _assess(pool, None, Feasibility.NOT_FEASIBLE, "Das Grundstück gehört nicht der Stadt.")
    return made


def _cast(process, user, ideas, on=None):
    return ballots_services.ballot_cast(
        process=process, user=user, votes={i.pk: 1 for i in ideas}, on=_vote_start() if on is None else on
    )


def test_a_budget_process_needs_its_budget(town_a):
    with pytest.raises(ValidationError) as error:
        factories.process(municipality=town_a, vote_mode="budget")
    assert "budget_cap" in error.value.message_dict


def test_the_citizens_estimate_is_kept_only_in_a_budget(process, town_a):
    idea = factories.idea(process=process, estimated_cost=Decimal("1234.50"))
    assert idea.estimated_cost == Decimal("1234.50")
    plain = factories.idea(process=factories.process(municipality=town_a), estimated_cost=Decimal("99"))
    assert plain.estimated_cost is None


def test_the_town_checks_cost_and_feasibility_with_a_reason(
    process, citizen, editor_a, django_capture_on_commit_callbacks
):
    idea = factories.idea(process=process, author=citizen, estimated_cost=Decimal("8000"))
    with pytest.raises(ValidationError) as error:
        _assess(idea, None, reason="")
    assert set(error.value.message_dict) == {"cost_estimate", "feasibility_reason"}
    with django_capture_on_commit_callbacks(execute=True):
        _assess(idea, "9500", by=editor_a, reason="Mit Fundament etwas teurer.")
    idea.refresh_from_db()
    assert (idea.cost_estimate, idea.feasibility) == (Decimal("9500"), Feasibility.FEASIBLE)
    assert idea.feasibility_checked_at is not None
    event = ParticipationEvent.objects.get(idea=idea, kind="feasibility")
    assert event.actor == editor_a and "cost_estimate" in event.changes
    note = Notification.objects.get(recipient=citizen)
    assert "ist umsetzbar" in note.title or "feasible" in note.title


def test_only_editors_check_and_only_until_the_vote_starts(process, citizen):
    idea = factories.idea(process=process)
    with pytest.raises(PermissionDenied):
        _assess(idea, "100", by=citizen)
    with pytest.raises(ValidationError) as error:
        _assess(idea, "100", on=_vote_start())
    assert error.value.code == "phase"


def test_only_feasible_proposals_with_a_cost_are_on_the_ballot(process, proposals):
    pending = factories.idea(process=process, title="Noch offen")
    on_ballot = set(ballots_selectors.ballot_ideas(process=process).values_list("title", flat=True))
    assert on_ballot == {"Spielplatz", "Radweg", "Bänke", "Bäume"}
    with pytest.raises(ValidationError) as error:
        ballots_services.ballot_cast(
            process=process, user=factories.UserFactory(), votes={pending.pk: 1}, on=_vote_start()
        )
    assert error.value.code == "shortlist"


def test_a_ballot_over_the_budget_is_refused_and_nothing_is_stored(process, proposals, citizen):
    playground, cycle_path, benches, trees = proposals
    with pytest.raises(ValidationError) as error:
        _cast(process, citizen, [playground, cycle_path])  # 110,000 € > 100,000 €
    assert error.value.code == "over_budget"
    assert "10.000 €" in error.value.messages[0] or "10,000 €" in error.value.messages[0]
    assert not Ballot.objects.exists()
    ballot = _cast(process, citizen, [playground, benches])  # exactly 90,000 €
    assert ballots_selectors.ballot_votes(process=process, user=citizen) == {playground.pk: 1, benches.pk: 1}
    # Changing it: still one ballot, and the over-budget change leaves the old choice.
    with pytest.raises(ValidationError):
        _cast(process, citizen, [playground, cycle_path, trees])
    assert ballots_selectors.ballot_votes(process=process, user=citizen) == {playground.pk: 1, benches.pk: 1}
    assert _cast(process, citizen, [cycle_path, benches, trees]).pk == ballot.pk


def test_a_choice_is_one_vote_whatever_number_is_sent(process, proposals, citizen):
    ballots_services.ballot_cast(process=process, user=citizen, votes={proposals[3].pk: 5}, on=_vote_start())
    assert ballots_selectors.ballot_votes(process=process, user=citizen) == {proposals[3].pk: 1}


def test_winners_within_the_budget_greedily_in_the_order_of_votes(process, proposals):
    playground, cycle_path, benches, trees = proposals
    for choice in (
        [cycle_path, benches],
        [cycle_path, trees],
        [cycle_path],
        [playground, trees],
        [playground],
    ):
        _cast(process, factories.UserFactory(), choice)
    # votes: Radweg 3, Spielplatz 2, Bäume 2, Bänke 1
    results = ballots_selectors.vote_results(process=process)
    assert [(i.title, i.vote_total, i.rank, i.wins) for i in results["ideas"]] == [
        ("Radweg", 3, 1, True),  # 50,000
        ("Bäume", 2, 2, True),  # equal votes: the cheaper first; 70,000
        ("Spielplatz", 2, 2, False),  # 60,000 does not fit into the 30,000 left
        ("Bänke", 1, 4, True),  # 30,000 fits: 100,000
    ]
    assert results["spent"] == Decimal("100000") and results["left"] == 0
    assert [i.title for i in results["winners"]] == ["Radweg", "Bäume", "Bänke"]
    assert (results["ballots"], results["votes"]) == (5, 8)


def test_a_proposal_without_votes_does_not_win(process, proposals):
    _cast(process, factories.UserFactory(), [proposals[3]])
    results = ballots_selectors.vote_results(process=process)
    assert [i.title for i in results["winners"]] == ["Bäume"]


def test_paper_ballots_follow_the_same_rules_and_count(process, proposals, editor_a, citizen, town_a):
    playground, cycle_path, _benches, trees = proposals
    enter = ballots_services.paper_ballot_enter
    with pytest.raises(PermissionDenied):
        enter(process=process, by=citizen, acting_town=town_a, votes={trees.pk: 1}, on=_vote_start())
    with pytest.raises(ValidationError) as error:
        enter(process=process, by=editor_a, acting_town=town_a, votes={trees.pk: 1}, on=_vote_start() - DAY)
    assert error.value.code == "phase"
    with pytest.raises(ValidationError) as error:
        enter(
            process=process,
            by=editor_a,
            acting_town=town_a,
            votes={playground.pk: 1, cycle_path.pk: 1},
            on=_vote_start(),
        )
    assert error.value.code == "over_budget"
    with pytest.raises(ValidationError) as error:
        enter(process=process, by=editor_a, acting_town=town_a, votes={}, on=_vote_start())
    assert error.value.code == "empty"
    for _ in range(2):  # two paper ballots alike are two ballots; after the end too (late post)
        ballot = enter(
            process=process, by=editor_a, acting_town=town_a, votes={trees.pk: 1}, on=_vote_end() + DAY
        )
    assert ballot.is_paper and ballot.user is None and ballot.entered_by == editor_a
    _cast(process, citizen, [trees])
    results = ballots_selectors.vote_results(process=process)
    assert (results["ballots"], results["ideas"][0].title, results["ideas"][0].vote_total) == (3, "Bäume", 3)
    assert ParticipationEvent.objects.filter(kind="paper_ballot", process=process).count() == 2


def test_the_kind_of_vote_is_fixed_once_the_vote_has_started(town_a):
    today = helpers.today()
    process = factories.process(
        municipality=town_a,
        vote_mode="budget",
        budget_cap=Decimal("5000"),
        phases=[
            {"kind": "ideas", "starts_on": today - 20 * DAY, "ends_on": today - 10 * DAY},
            {"kind": "vote", "starts_on": today - 9 * DAY, "ends_on": today + 9 * DAY},
        ],
    )
    with town_scope(town_a), pytest.raises(ValidationError) as error:
        processes_services.process_change(
            process=process, by=None, acting_town=town_a, fields={"budget_cap": Decimal("9000")}
        )
    assert "budget_cap" in error.value.message_dict


@pytest.fixture
def finished(town_a):
    """A budget process whose vote has ended, with the winners Bäume (2 votes) and Bänke (1)."""
    today = helpers.today()
    process = factories.process(
        municipality=town_a,
        vote_mode="budget",
        budget_cap=Decimal("50000"),
        phases=[
            {"kind": "ideas", "starts_on": today - 40 * DAY, "ends_on": today - 31 * DAY},
            {"kind": "evaluation", "starts_on": today - 30 * DAY, "ends_on": today - 21 * DAY},
            {"kind": "vote", "starts_on": today - 20 * DAY, "ends_on": today - 1 * DAY},
        ],
    )
    with town_scope(town_a):
        ideas = []
        for title, cost in (("Bäume", 20000), ("Bänke", 30000), ("Spielplatz", 45000)):
            idea = Idea.objects.create(
                process=process,
                municipality=town_a,
                author=factories.UserFactory(),
                title=title,
                body="Vorschlag",
                cost_estimate=Decimal(cost),
                feasibility=Feasibility.FEASIBLE,
            )
            ideas.append(idea)
        for choice in ([0, 1], [0], [2]):
            ballot = Ballot.objects.create(process=process, municipality=town_a, user=factories.UserFactory())
            for index in choice:
                ballot.votes.create(idea=ideas[index], municipality=town_a)
        yield process, ideas


def test_a_winner_becomes_a_project_linked_both_ways_and_followed(
    finished, editor_a, town_a, citizen, django_capture_on_commit_callbacks
):
    _process, (trees, _benches, playground) = finished
    supports_services.Support.objects.create(idea=trees, user=citizen, municipality=town_a)
    with pytest.raises(ValidationError) as error:
        budget_services.project_from_proposal(idea=playground, by=editor_a, acting_town=town_a)
    assert error.value.code == "not_winner"
    with django_capture_on_commit_callbacks(execute=True):
        project = budget_services.project_from_proposal(idea=trees, by=editor_a, acting_town=town_a)
    trees.refresh_from_db()
    assert trees.project == project and list(project.source_ideas.all()) == [trees]
    assert project.planned_budget == Decimal("20000") and project.title == "Bäume"
    with pytest.raises(ValidationError) as error:
        budget_services.project_from_proposal(idea=trees, by=editor_a, acting_town=town_a)
    assert error.value.code == "linked"
    told = set(Notification.objects.filter(kind="idea.project").values_list("recipient_id", flat=True))
    assert told == {trees.author_id, citizen.pk}


def test_winners_are_told_once(finished, town_a, citizen):
    from participation import tasks

    process, (trees, benches, _playground) = finished
    supports_services.Support.objects.create(idea=trees, user=citizen, municipality=town_a)
    assert tasks.budget_won_notify(municipality_id=town_a.pk, process_id=process.pk) == 3
    assert tasks.budget_won_notify(municipality_id=town_a.pk, process_id=process.pk) == 0
    told = set(
        Notification.objects.filter(key__startswith="idea:won:").values_list("recipient_id", flat=True)
    )
    assert told == {trees.author_id, benches.author_id, citizen.pk}


def test_the_daily_job_tells_the_winners_of_budgets_that_just_ended(
    finished, town_a, django_capture_on_commit_callbacks
):
    from participation import tasks

    _process, _ideas = finished
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.budget_winners_dispatch() == 1
    assert Notification.objects.filter(key__startswith="idea:won:").count() == 2


def test_results_of_a_budget_take_two_queries_whatever_the_number_of_proposals(
    process, proposals, django_assert_num_queries
):
    for choice in (proposals[:2], proposals[2:]):
        _cast(process, factories.UserFactory(), [choice[0]])
    with django_assert_num_queries(2):
        results = ballots_selectors.vote_results(process=process)
        assert [i.title for i in results["winners"]] and all(i.project is None for i in results["ideas"])
