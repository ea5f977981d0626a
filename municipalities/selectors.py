"""Reads of the municipalities app. Cross-town reads live in :mod:`municipalities.crosstown`."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import AccessibilityFeedback, Consortium, Municipality


def consortium_get() -> Consortium | None:
    return Consortium.objects.order_by("pk").first()


def municipality_lead(*, consortium: Consortium | None) -> Municipality | None:
    if consortium is None:
        return None
    return consortium.municipalities.active().filter(is_lead=True).first()


def accessibility_feedback_list(
    *, municipality: Municipality, status: str | None = None
) -> QuerySet[AccessibilityFeedback]:
    qs = AccessibilityFeedback.objects.filter(municipality=municipality).select_related("handled_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at")


def accessibility_feedback_get(*, municipality: Municipality, pk: int) -> AccessibilityFeedback:
    return AccessibilityFeedback.objects.get(municipality=municipality, pk=pk)
