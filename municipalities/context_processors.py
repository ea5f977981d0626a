"""Template context: the current town and the list of member towns for navigation."""

from django.utils.functional import SimpleLazyObject

from . import selectors


def municipality(request):
    municipality = getattr(request, "municipality", None)
    return {
        "municipality": municipality,
        "member_towns": SimpleLazyObject(lambda: selectors.member_towns(municipality=municipality)),
    }
