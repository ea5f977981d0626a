"""Template context: the number of unread notifications, for the link in the header."""

from django.utils.functional import SimpleLazyObject

from . import selectors


def unread_notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": SimpleLazyObject(lambda: selectors.unread_count(user=user))}
