"""A person's own contributions in every town."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from participation.models import Comment, Idea, Support, Vote

if TYPE_CHECKING:
    from accounts.permissions import AnyUser


# --- A person's own contributions, in every town ---------------------------------------------------------
def user_contributions(*, user: AnyUser) -> dict[str, Any]:
    """A person's own ideas, comments, supports and votes in every town ("My participation").

    This reads across towns, but only the person's own rows, so it needs no audit entry (like
    ``accounts.selectors.user_memberships``); it is the one place in this app that may do so."""
    ideas = list(
        Idea.objects.with_scopes_disabled()
        .filter(author=user)
        .select_related("municipality", "process", "project")
        .order_by("-created_at")
    )
    comments = list(
        Comment.objects.with_scopes_disabled()
        .filter(author=user)
        .select_related("idea", "municipality")
        .order_by("-created_at")
    )
    supports = list(
        Support.objects.with_scopes_disabled()
        .filter(user=user)
        .select_related("idea", "idea__municipality")
        .order_by("-created_at")
    )
    votes = list(
        Vote.objects.with_scopes_disabled()
        .filter(ballot__user=user)
        .select_related("idea", "ballot__process", "municipality")
        .order_by("ballot__process", "idea")
    )
    return {"ideas": ideas, "comments": comments, "supports": supports, "votes": votes}
