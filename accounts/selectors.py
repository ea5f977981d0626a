"""Reads about users that are more than one line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from .models import ApiToken, ApiTokenQuerySet, DataExport, Membership, Role, StaffInvitation, User

if TYPE_CHECKING:
    from accounts.permissions import AnyUser
    from municipalities.models import Municipality


def user_memberships(*, user: AnyUser) -> QuerySet[Membership]:
    """A user's own staff memberships in every town.

    This reads across towns, but only the user's own rows, so it needs no audit entry; it is the one
    place that may do so.
    """
    return (
        Membership.objects.with_scopes_disabled()
        .filter(user=user, municipality__is_active=True)
        .select_related("municipality")
        .order_by("municipality__name")
    )


def team_members(*, municipality: Municipality) -> QuerySet[Membership]:
    """The staff of one town with their accounts, for the team page."""
    return (
        Membership.objects.filter(municipality=municipality)
        .select_related("user")
        .order_by("user__display_name", "user__email")
    )


def town_editors(*, municipality: Municipality) -> list[User]:
    """The town's active editors and admins: the people who act on deadlines and moderation."""
    return [
        m.user
        for m in Membership.objects.filter(
            municipality=municipality, role__in=[Role.EDITOR, Role.ADMIN], user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
    ]


def agentur_moderators() -> QuerySet[User]:
    """The active moderators of the Südwestfalen Agentur: who is told about what concerns all towns."""
    return User.objects.filter(is_agentur_moderator=True, is_active=True).order_by("pk")


def last_admin_towns(*, user: AnyUser, lock: bool = False) -> list[Any]:
    """The towns in which ``user`` is the only administrator (their account cannot be deleted until someone
    else is one too). ``lock`` holds the towns' admin memberships until the transaction ends."""
    towns = []
    for membership in (
        Membership.objects.with_scopes_disabled()
        .filter(user=user, role=Role.ADMIN)
        .select_related("municipality")
        .order_by("municipality__name")
    ):
        admins = Membership.objects.with_scope(municipality=membership.municipality_id).filter(
            role=Role.ADMIN
        )
        count = len(admins.select_for_update().values_list("pk", flat=True)) if lock else admins.count()
        if count <= 1:
            towns.append(membership.municipality)
    return towns


def user_data_exports(*, user: User) -> QuerySet[DataExport]:
    """A person's own data exports, newest first."""
    return DataExport.objects.filter(user=user).order_by("-created_at", "-pk")


def user_api_tokens(*, user: User) -> ApiTokenQuerySet:
    """A person's own API tokens (revoked and expired ones too), newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def team_invitations(*, municipality: Municipality, closed: int = 20) -> list[StaffInvitation]:
    """The town's invitations for the team page: every pending one (open or expired), newest first, then the
    last ``closed`` accepted or withdrawn ones as the team's history."""
    rows = StaffInvitation.objects.filter(municipality=municipality).select_related(
        "invited_by", "accepted_by", "revoked_by"
    )
    pending = list(rows.filter(accepted_at__isnull=True, revoked_at__isnull=True).order_by("-sent_at", "-pk"))
    done = list(
        rows.exclude(accepted_at__isnull=True, revoked_at__isnull=True).order_by("-created_at", "-pk")[
            :closed
        ]
    )
    return pending + done


def invitation_by_token(token: str) -> StaffInvitation | None:
    """The invitation a link names, whatever its state, or ``None`` for a link that is broken, forged or
    superseded by a newer one (sent again). The token names its row, so this reads one row of one town."""
    from django.utils.crypto import constant_time_compare

    pk, _, mac = (token or "").partition("-")
    if not pk.isdigit() or not mac or len(pk) > 18:
        return None
    invitation = (
        StaffInvitation.objects.with_scopes_disabled()
        .select_related("municipality", "invited_by")
        .filter(pk=int(pk), municipality__is_active=True)
        .first()
    )
    if invitation is None or not constant_time_compare(invitation.token(), token):
        return None
    return invitation
