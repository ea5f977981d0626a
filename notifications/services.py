"""Writes of the notifications app: tell people about an event, once, mark what they have read, and keep each
person's e-mail settings per kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from municipalities.models import Municipality

from .kinds import DIGEST_PLANS, Delivery, kind_get, kinds_for
from .models import Notification, NotificationPreference

if TYPE_CHECKING:
    from accounts.models import User


def notify(
    *,
    municipality: Municipality,
    recipients: Iterable[User],
    kind: str,
    key: str,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = True,
) -> list[Notification]:
    """Give each recipient an in-app notification about the event ``key`` and, unless ``email`` is off, an
    e-mail as the person chose for ``kind`` (``notifications.kinds``): at once, sent by the worker after the
    transaction commits; in the daily or weekly digest; or none.

    A person is told about an event once: the database refuses a second row for the same person and key,
    so a job that runs twice (or two at the same time) creates and mails nothing new. Returns the
    notifications created by this call. ``kind`` must be registered; an unknown one raises ``ValueError``.
    """
    from .selectors import deliveries_for
    from .tasks import notification_email_send

    kind_get(kind)
    key, title, url = key[:200], title[:200], url[:500]
    # Each person once, in a fixed order, so that two runs racing insert in the same order (no deadlock).
    people = sorted({user.pk: user for user in recipients if user.is_active}.values(), key=lambda u: u.pk)
    if not people:
        return []
    plans = deliveries_for(users=people, kind=kind) if email else {}
    told = set(
        Notification.objects.filter(key=key, recipient__in=[u.pk for u in people]).values_list(
            "recipient_id", flat=True
        )
    )
    rows = [
        Notification(
            municipality=municipality,
            recipient=user,
            kind=kind,
            key=key,
            title=title,
            body=body,
            url=url,
            email_plan=plans.get(user.pk, Delivery.NONE) if user.email else Delivery.NONE,
        )
        for user in people
        if user.pk not in told
    ]
    if not rows:
        return []
    try:
        with transaction.atomic():
            created = Notification.objects.bulk_create(rows)
    except IntegrityError:
        # Someone else told some of them about this event in the meantime (two runs racing): the database
        # decides row by row, and only the rows this call inserted count as new.
        created = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
            except IntegrityError:
                continue
            created.append(row)
    notification_email_send.delay_many_on_commit(
        {"municipality_id": municipality.pk, "notification_id": notification.pk}
        for notification in created
        if notification.email_plan == Delivery.IMMEDIATE
    )
    return created


def notification_open(*, notification: Notification) -> Notification:
    """The person opened the notification: mark it read (once)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    from .selectors import user_notifications

    return user_notifications(user=user).filter(read_at__isnull=True).update(read_at=timezone.now())


def preferences_save(*, user: User, choices: dict[str, str]) -> None:
    """Store how ``user`` wants the e-mails of each kind in ``choices`` (kind key → delivery).

    Only kinds the person can receive (``kinds_for``) and registered deliveries are accepted.
    """
    allowed = {kind.key for kind in kinds_for(user)}
    for key, delivery in choices.items():
        kind_get(key)
        if key not in allowed:
            raise ValueError(f"Notification kind {key!r} is not available to this person")
        if delivery not in Delivery.values:
            raise ValueError(f"Unknown delivery {delivery!r}")
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(user=user, kind=key, delivery=delivery) for key, delivery in choices.items()],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["delivery"],
    )


def digest_unsubscribe(*, user: User, plan: str) -> list[str]:
    """Stop the ``plan`` (daily or weekly) digest for ``user``: every kind they get in that digest is set to "in
    the app only" (the notifications still come). Returns the keys of the kinds changed; a second call changes
    nothing. Called by the one-click unsubscribe link of the digest (RFC 8058)."""
    from .selectors import user_preferences

    if plan not in DIGEST_PLANS:
        raise ValueError(f"Unknown digest plan {plan!r}")
    keys = [key for key, delivery in user_preferences(user=user).items() if delivery == plan]
    if keys:
        preferences_save(user=user, choices=dict.fromkeys(keys, Delivery.NONE))
    return keys


def notifications_refresh(
    *, municipality_id: int, where: Q, render: Callable[[str], Mapping[str, Any] | None]
) -> int:
    """Rewrite the stored texts of the town's notifications that ``where`` selects, event by event: ``render``
    gets each event's key and returns the ``title`` and/or ``body`` as they are to read now (``None``: leave
    them). For an app whose notifications quote content that can later be hidden or edited: the in-app list,
    an e-mail still waiting to be sent and the digests all read the stored row when they show or send it, so a
    rewrite in the same transaction as the change reaches every one of them. Returns the rows rewritten."""
    rows = Notification.objects.with_scope(municipality=municipality_id).filter(where)
    changed = 0
    for key in sorted(set(rows.values_list("key", flat=True))):
        texts = render(key)
        if not texts:
            continue
        fields = {name: texts[name] for name in ("title", "body") if name in texts}
        if "title" in fields:
            fields["title"] = fields["title"][:200]
        changed += rows.filter(key=key).update(**fields)
    return changed
