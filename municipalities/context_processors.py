"""Template context: the current town and the list of member towns for navigation."""

from django.utils.functional import SimpleLazyObject

from . import selectors


def municipality(request):
    town = getattr(request, "municipality", None)
    return {
        "municipality": town,
        "member_towns": SimpleLazyObject(lambda: selectors.member_towns(town=town)),
    }
