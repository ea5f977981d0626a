"""Template context: the current town and the list of member towns for navigation."""

from django.utils.functional import SimpleLazyObject

from .models import Municipality


def municipality(request):
    return {
        "municipality": getattr(request, "municipality", None),
        "member_towns": SimpleLazyObject(lambda: list(Municipality.objects.active().order_by("name"))),
    }
