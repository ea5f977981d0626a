"""Reads of the municipalities app. The Agentur's cross-town read lives in :mod:`agentur.crosstown`."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import AccessibilityFeedback, Consortium, Municipality


def consortium_get() -> Consortium | None:
    return Consortium.objects.order_by("pk").first()


def lead_town() -> Municipality | None:
    """The town that speaks for the consortium: the lead town, else (none is marked as lead) the first active
    town. It answers for the region's legal pages, publishes the region's open data, owns the region reports
    and tells a person that their export (which belongs to no town) is ready. ``None`` only without towns."""
    towns = Municipality.objects.active().order_by("pk")
    return towns.filter(is_lead=True).first() or towns.first()


def accessibility_feedback_list(
    *, municipality: Municipality, status: str | None = None
) -> QuerySet[AccessibilityFeedback]:
    qs = AccessibilityFeedback.objects.filter(municipality=municipality).select_related("handled_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at")


def accessibility_feedback_get(*, municipality: Municipality, pk: int) -> AccessibilityFeedback:
    return AccessibilityFeedback.objects.get(municipality=municipality, pk=pk)
