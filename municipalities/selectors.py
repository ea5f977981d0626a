"""Reads of the municipalities app. The Agentur's cross-town read lives in :mod:`agentur.crosstown`."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from smartcity5 import fragments

from .models import AccessibilityFeedback, Consortium, Municipality


def consortium_get() -> Consortium | None:
    return Consortium.objects.order_by("pk").first()


def member_towns(*, municipality: Municipality | None = None) -> list[Municipality]:
    """The active towns by name (every page's footer and the towns' colours). Under ``/<town>/`` read once per worker
    and version of that town (``content_version``, which the middleware read with the town): a change of any town
    moves every town's version (municipalities.freshness, ``Municipality``: everywhere). The list is shared by the
    worker's requests: read it, never change its towns."""
    if municipality is None:
        return list(Municipality.objects.active().order_by("name"))
    towns: list[Municipality] = fragments.kept_value(
        ("member_towns", connection.alias, municipality.pk, municipality.content_version),
        lambda: list(Municipality.objects.active().order_by("name")),
    )
    return towns


def town_consortium(*, municipality: Municipality) -> Consortium | None:
    """``town.consortium``, read once per worker and version of the town (a change of the consortium moves every
    town's version, municipalities.freshness). Shared by the worker's requests: read it, never change it."""
    consortium: Consortium | None = fragments.kept_value(
        (
            "consortium",
            connection.alias,
            municipality.pk,
            municipality.content_version,
            municipality.consortium_id,
        ),
        lambda: Consortium.objects.filter(pk=municipality.consortium_id).first(),
    )
    return consortium


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
