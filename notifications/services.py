"""Writes of the notifications app: tell people about an event, once, and mark what they have read."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from municipalities.models import Municipality

from .models import Notification


def notify(*, municipality: Municipality, recipients: Iterable, kind: str, key: str, title: str, body: str = "",
           url: str = "", email: bool = True) -> list[Notification]:
    """Give each recipient an in-app notification about the event ``key`` and, unless ``email`` is off, an
    e-mail sent by the worker after the transaction commits.

    A person is told about an event once: the database refuses a second row for the same person and key,
    so a job that runs twice (or two at the same time) creates and mails nothing new. Returns the
    notifications created by this call.
    """
    from .tasks import notification_email_send

    created = []
    for user in recipients:
        if not user.is_active:
            continue
        with transaction.atomic():
            notification, is_new = Notification.objects.get_or_create(
                recipient=user, key=key[:200],
                defaults={"municipality": municipality, "kind": kind, "title": title[:200], "body": body,
                          "url": url[:500]})
        if not is_new:
            continue
        created.append(notification)
        if email and user.email:
            notification_email_send.delay_on_commit(municipality_id=municipality.pk, notification_id=notification.pk)
    return created


def notification_open(*, notification: Notification) -> Notification:
    """The person opened the notification: mark it read (once)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    from .selectors import user_notifications

    return user_notifications(user=user).filter(read_at__isnull=True).update(read_at=timezone.now())
