"""Template context: the current town and the list of member towns for navigation."""

from django.utils.functional import SimpleLazyObject

from . import selectors


def municipality(request):
    from accounts.permissions import can_view_staff_area

    town = getattr(request, "municipality", None)
    return {
        "municipality": town,
        "member_towns": SimpleLazyObject(lambda: selectors.member_towns(town=town)),
        # Only people who may use the town's staff area see the link to it.
        "show_staff_link": SimpleLazyObject(
            lambda: town is not None and can_view_staff_area(request.user, town)
        ),
    }
