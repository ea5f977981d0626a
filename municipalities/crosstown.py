"""Cross-town reads for the Südwestfalen Agentur. Each function enters an audited cross-town scope."""

from django.db.models import Count, Q

from accounts.models import Membership, Role

from .models import AccessibilityFeedback, Municipality
from .scoping import cross_town_scope


def towns_overview(*, user, path: str) -> list[dict]:
    """One row per active town: staff by role and open barrier reports; three queries in all."""
    towns = list(Municipality.objects.active().order_by("name"))
    with cross_town_scope(purpose="agentur:towns-overview", user=user, path=path, municipalities=towns):
        staff = {
            row["municipality"]: row
            for row in Membership.objects.values("municipality").annotate(
                viewers=Count("pk", filter=Q(role=Role.VIEWER)),
                editors=Count("pk", filter=Q(role=Role.EDITOR)),
                admins=Count("pk", filter=Q(role=Role.ADMIN)),
            )
        }
        open_feedback = dict(
            AccessibilityFeedback.objects.filter(status=AccessibilityFeedback.Status.NEW)
            .values_list("municipality").annotate(n=Count("pk"))
        )
    return [
        {
            "municipality": town,
            "viewers": staff.get(town.pk, {}).get("viewers", 0),
            "editors": staff.get(town.pk, {}).get("editors", 0),
            "admins": staff.get(town.pk, {}).get("admins", 0),
            "open_feedback": open_feedback.get(town.pk, 0),
        }
        for town in towns
    ]
