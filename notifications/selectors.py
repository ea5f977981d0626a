"""Reads of a person's own notifications and notification settings, and of who is due a digest."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from municipalities.scoping import cross_town_scope

from .kinds import Delivery, kind_get, kinds_for
from .models import Notification, NotificationPreference

if TYPE_CHECKING:
    from accounts.models import User
    from accounts.permissions import AnyUser


def user_notifications(*, user: AnyUser) -> QuerySet[Notification]:
    """A person's own notifications from every town, newest first.

    This reads across towns, but only the person's own rows, so it needs no audit entry (like
    ``accounts.selectors.user_memberships``); it is the one place that may do so for notifications.
    """
    return (
        Notification.objects.with_scopes_disabled()
        .filter(recipient=user)
        .select_related("municipality")
        .order_by("-created_at", "-pk")
    )


def user_digest_pending(*, user: AnyUser, plan: str) -> QuerySet[Notification]:
    """A person's own notifications from every town that wait for their ``plan`` (daily or weekly) digest,
    oldest first.

    Own rows only, read through :func:`user_notifications` (the one cross-town exception), so no audit entry.
    """
    return (
        user_notifications(user=user)
        .filter(email_plan=plan, emailed_at__isnull=True)
        .order_by("created_at", "pk")
    )


def digest_recipient_ids(*, plan: str, before: datetime.datetime) -> list[int]:
    """Who has notifications from any town waiting for the ``plan`` digest, created before ``before``.

    A platform job reading every town, so it goes through the audited ``cross_town_scope``; it reads only
    the recipients, and each person's rows are then read by :func:`user_digest_pending`.
    """
    with cross_town_scope(purpose=f"job:notification-digest:{plan}"):
        return list(
            Notification.objects.filter(
                email_plan=plan, emailed_at__isnull=True, created_at__lt=before, recipient__is_active=True
            )
            .exclude(recipient__email="")
            .order_by("recipient_id")
            .values_list("recipient_id", flat=True)
            .distinct()
        )


def unread_count(*, user: AnyUser) -> int:
    if not user.is_authenticated:
        return 0
    return user_notifications(user=user).filter(read_at__isnull=True).count()


def deliveries_for(*, users: Iterable[User], kind: str) -> dict[int, str]:
    """How each of ``users`` wants the e-mail of ``kind``, by user id (the kind's default where they have no
    setting); one query for all of them."""
    default = kind_get(kind).default
    stored = dict(
        NotificationPreference.objects.filter(kind=kind, user__in=[u.pk for u in users]).values_list(
            "user_id", "delivery"
        )
    )
    return {user.pk: stored.get(user.pk, default) for user in users}


def user_preferences(*, user: User) -> dict[str, Delivery]:
    """A person's setting for each kind they can receive (the default where they have none stored)."""
    kinds = kinds_for(user)
    stored = dict(
        NotificationPreference.objects.filter(user=user, kind__in=[k.key for k in kinds]).values_list(
            "kind", "delivery"
        )
    )
    return {kind.key: Delivery(stored.get(kind.key, kind.default)) for kind in kinds}


def oldest_unsent_immediate_created_at() -> datetime.datetime | None:
    """When the oldest notification still waiting for its "immediate" e-mail was created (None: none waits).

    For /readyz (notifications.health). It spans every town but reads a single time stamp, no person's data, so
    it is not audited. Rows whose recipient cannot get a mail (inactive, no address) never will and are left out.
    """
    return (
        Notification.objects.with_scopes_disabled()
        .filter(email_plan=Delivery.IMMEDIATE, emailed_at__isnull=True, recipient__is_active=True)
        .exclude(recipient__email="")
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
