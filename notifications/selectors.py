"""Reads of a person's own notifications."""

from django.db.models import QuerySet

from .models import Notification


def user_notifications(*, user) -> QuerySet[Notification]:
    """A person's own notifications from every town, newest first.

    This reads across towns, but only the person's own rows, so it needs no audit entry (like
    ``accounts.selectors.user_memberships``); it is the one place that may do so for notifications.
    """
    return (Notification.objects.with_scopes_disabled().filter(recipient=user)
            .select_related("municipality").order_by("-created_at", "-pk"))


def unread_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return user_notifications(user=user).filter(read_at__isnull=True).count()
