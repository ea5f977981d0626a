"""The vote on a shortlist: a person's votes and the results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from participation.models import Ballot, Idea, Process, Vote

if TYPE_CHECKING:
    from accounts.permissions import AnyUser


# --- Votes -----------------------------------------------------------------------------------------------
def ballot_votes(*, process: Process, user: AnyUser) -> dict[int, int]:
    """The person's current votes in the process: idea id → votes."""
    if not user.is_authenticated:
        return {}
    return dict(
        Vote.objects.filter(ballot__process=process, ballot__user=user).values_list("idea_id", "count")
    )


def vote_results(*, process: Process) -> dict[str, Any]:
    """Votes per shortlisted idea (most first; equal votes share a rank) and the number of ballots that gave a
    vote to one of them, in two queries."""
    votes = (
        Vote._base_manager.filter(idea=OuterRef("pk"))
        .order_by()
        .values("idea")
        .annotate(total=Sum("count"))
        .values("total")
    )
    shortlist = Idea.objects.visible().filter(process=process, is_shortlisted=True)
    ideas = list(
        shortlist.select_related("municipality")
        .annotate(vote_total=Coalesce(Subquery(votes, output_field=IntegerField()), Value(0)))
        .order_by("-vote_total", "title", "pk")
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
    return {"ideas": ideas, "ballots": ballots, "votes": total}
