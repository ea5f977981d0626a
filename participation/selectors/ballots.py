"""The vote on a shortlist or a participatory budget: what is on the ballot, a person's votes, paper ballots, the results and a budget's winners; the voting codes ordered for a process."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from participation.models import Ballot, Feasibility, Idea, Process, Vote, VotingCodeBatch
from participation.selectors.ideas import IdeaFilters, idea_list

if TYPE_CHECKING:
    from accounts.permissions import AnyUser
    from municipalities.models import Municipality


def shortlist(*, process: Process) -> list[Idea]:
    """The process's shortlisted published ideas, most supported first, as its page lists them: title and address
    (the town's slug), not every column of the idea and its author, process and field of action."""
    qs = idea_list(filters=IdeaFilters(process=process, shortlisted=True, sort="supported"))
    return list(
        qs.select_related(None).select_related("municipality").only("id", "title", "municipality__slug")
    )


# --- Votes -----------------------------------------------------------------------------------------------
def ballot_votes(*, process: Process, user: AnyUser) -> dict[int, int]:
    """The person's current votes in the process: idea id → votes."""
    if not user.is_authenticated:
        return {}
    return dict(
        Vote.objects.filter(ballot__process=process, ballot__user=user).values_list("idea_id", "count")
    )


def ballot_lines(
    *, process: Process, user: AnyUser | None = None, ballot: Ballot | None = None
) -> list[Vote]:
    """The votes of one ballot — ``ballot``, or else ``user``'s own in ``process`` (none for an anonymous
    visitor) — each with its idea's title and the town's cost (``vote.idea``), in the order of the titles: what the
    API answers about a ballot. Never a voter: a code's ballot is read only by the request that cast it."""
    if ballot is not None:
        votes = Vote.objects.filter(ballot=ballot)
    elif user is not None and user.is_authenticated:
        votes = Vote.objects.filter(ballot__process=process, ballot__user=user)
    else:
        return []
    return list(
        votes.select_related("idea")
        .only("count", "idea", "idea__title", "idea__cost_estimate")
        .order_by("idea__title", "idea_id")
    )


def ballot_ideas(*, process: Process) -> QuerySet[Idea]:
    """What the vote is about: the published shortlisted ideas, or in a participatory budget the published
    proposals the town found feasible (they have the town's cost; a check constraint keeps it so)."""
    ideas = Idea.objects.visible().filter(process=process)
    if process.is_budget:
        return ideas.filter(feasibility=Feasibility.FEASIBLE, cost_estimate__isnull=False)
    return ideas.filter(is_shortlisted=True)


def paper_ballot_count(*, process: Process) -> int:
    return Ballot.objects.filter(process=process, is_paper=True).count()


#: The rule of a participatory budget's winners, as the results page states it.
BUDGET_RULE = _(
    "The proposals are taken in the order of their votes, most first; a proposal wins if its cost still fits "
    "into what is left of the budget, otherwise the next one is looked at. Of proposals with equal votes the "
    "cheaper one comes first (so that more of them fit), then the one submitted earlier. A proposal without "
    "a vote does not win."
)


def budget_winners(ideas: Sequence[Any], cap: Decimal) -> Decimal:
    """Mark the winners of a participatory budget (``idea.wins``) among ``ideas``, in the order of the results
    (:data:`BUDGET_RULE`), with what is left after each (``idea.left_after``); returns the total spent."""
    spent = Decimal(0)
    for idea in ideas:
        cost = idea.cost_estimate or Decimal(0)
        idea.wins = bool(idea.vote_total) and spent + cost <= cap
        if idea.wins:
            spent += cost
        idea.left_after = cap - spent
    return spent


def votes_of_the_idea() -> QuerySet[Vote, Any]:
    """The votes of the outer idea (``OuterRef("pk")``) as one sum, for a scalar subquery: an aggregate that names
    no ballot and no voter (the results, and the open data once the results are public)."""
    return (
        Vote._base_manager.filter(idea=OuterRef("pk"))
        .order_by()
        .values("idea")
        .annotate(total=Sum("count"))
        .values("total")
    )


def vote_results(*, process: Process) -> dict[str, Any]:
    """Votes per idea on the ballot (most first; equal votes share a rank) and the number of ballots that gave a
    vote to one of them, in two queries; in a participatory budget also the winners within the budget."""
    votes = votes_of_the_idea()
    shortlist = ballot_ideas(process=process)
    order = (
        ("-vote_total", "cost_estimate", "created_at", "pk")
        if process.is_budget
        else ("-vote_total", "title", "pk")
    )
    ideas: list[Any] = list(
        shortlist.select_related("municipality", "project")
        .annotate(vote_total=Coalesce(Subquery(votes, output_field=IntegerField()), Value(0)))
        .order_by(*order)
    )
    ballots = (
        Ballot.objects.filter(process=process, votes__idea__in=shortlist.values("pk"))
        .values("pk")
        .distinct()
        .count()
    )
    total = sum(i.vote_total for i in ideas)
    for position, idea in enumerate(ideas, start=1):
        same = position > 1 and ideas[position - 2].vote_total == idea.vote_total
        idea.rank = ideas[position - 2].rank if same else position
        idea.share = round(idea.vote_total * 100 / total, 1) if total else 0
    results: dict[str, Any] = {"ideas": ideas, "ballots": ballots, "votes": total}
    if process.is_budget and process.budget_cap is not None:
        spent = budget_winners(ideas, process.budget_cap)
        results.update(
            budget=process.budget_cap,
            spent=spent,
            left=process.budget_cap - spent,
            winners=[i for i in ideas if i.wins],
            rule=BUDGET_RULE,
        )
    return results


# --- Voting codes ------------------------------------------------------------------------------------------------
def voting_code_batches(*, process: Process, municipality: Municipality) -> list[VotingCodeBatch]:
    """A town's batches of voting codes for a process, newest first, each with ``used``: how many of its codes
    were used (counts only: which code voted what is nowhere to be read)."""
    return list(
        VotingCodeBatch.objects.filter(process=process, municipality=municipality)
        .annotate(used=Count("codes", filter=Q(codes__used_at__isnull=False)))
        .order_by("-created_at", "-pk")
    )
