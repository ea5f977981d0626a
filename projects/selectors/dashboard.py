"""The staff dashboard's figures: status counts, stale projects, activity in a period, fields."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from municipalities.models import Municipality
from projects.constants import STALE_AFTER_DAYS
from projects.models import Indicator, Measurement, ProgressUpdate, Project, ProjectEvent, ProjectPartner
from projects.selectors.progress import with_list_facts


# --- Staff dashboard -------------------------------------------------------------------------------------
def status_counts(*, municipality: Municipality) -> dict[str, int]:
    """Projects led by the town, counted by status in one query (every status present, zero if none)."""
    counts = dict(
        Project.objects.led_by(municipality).order_by().values_list("status").annotate(n=Count("pk"))
    )
    return {status: counts.get(status, 0) for status in Project.Status.values}


def stale_projects(
    *,
    municipality: Municipality,
    days: int = STALE_AFTER_DAYS,
    today: datetime.date | None = None,
    limit: int = 20,
) -> QuerySet[Project]:
    """Open projects of the town (led or joint) with no update for ``days`` days, the longest without first: at
    most ``limit``.

    The candidates are found first, by the town's own projects and its partnerships (two indexes; the scope's
    ``OR EXISTS`` condition alone made PostgreSQL walk every project of the region), by the stored date of the
    latest update; only the ``limit`` found get the list's related rows."""
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=days)
    joint = list(
        ProjectPartner._base_manager.filter(municipality=municipality).values_list("project_id", flat=True)
    )
    ids = list(
        Project.objects.filter(
            Q(municipality=municipality) | Q(pk__in=joint), status__in=Project.ACTIVE_STATUSES
        )
        .filter(Q(last_update_on__lt=cutoff) | Q(last_update_on__isnull=True, created_at__date__lt=cutoff))
        .order_by(F("last_update_on").asc(nulls_first=True), "title")
        .values_list("pk", flat=True)[:limit]
    )
    return with_list_facts(Project.objects.filter(pk__in=ids)).order_by(
        F("last_update_on").asc(nulls_first=True), "title"
    )


# --- Quarterly progress report (reviews) -----------------------------------------------------------------
def period_activity(
    *, municipality: Municipality, start: datetime.date, end: datetime.date, limit: int = 50
) -> dict[str, Any]:
    """What happened to the projects led by the town from ``start`` to ``end`` (both included): status changes,
    starts and completions, progress updates the town posted, KPI measurements of its projects. Seven queries,
    whatever the number of rows; the lists are cut at ``limit``."""
    led = Project.objects.led_by(municipality)
    dates = Q(at__date__gte=start, at__date__lte=end)
    changes = (
        ProjectEvent.objects.filter(dates, project__municipality=municipality, kind=ProjectEvent.Kind.STATUS)
        .select_related("project")
        .order_by("at", "pk")
    )
    moves = led.aggregate(
        started=Count("pk", filter=Q(actual_start__gte=start, actual_start__lte=end)),
        completed=Count(
            "pk", filter=Q(actual_end__gte=start, actual_end__lte=end, status=Project.Status.COMPLETED)
        ),
    )
    updates = ProgressUpdate.objects.filter(
        municipality=municipality, published_on__gte=start, published_on__lte=end
    ).aggregate(count=Count("pk"), projects=Count("project", distinct=True))
    in_period = Q(measurements__measured_on__gte=start, measurements__measured_on__lte=end)
    latest = Measurement._base_manager.filter(
        indicator=OuterRef("pk"), measured_on__gte=start, measured_on__lte=end
    ).order_by("-measured_on", "-pk")
    indicators = (
        Indicator.objects.filter(project__municipality=municipality)
        .annotate(
            n=Count("measurements", filter=in_period),
            latest_value=Subquery(latest.values("value")[:1]),
            latest_on=Subquery(latest.values("measured_on")[:1]),
        )
        .filter(n__gt=0)
        .select_related("project")
        .order_by("project__title", "position", "pk")
    )
    measurements = Measurement.objects.filter(
        indicator__project__municipality=municipality, measured_on__gte=start, measured_on__lte=end
    ).count()
    return {
        "status_changes": changes.count(),
        "changes": [
            {
                "project": event.project.title,
                "slug": event.project.slug,
                "on": event.at.date(),
                "from": (event.changes.get("status") or ["", ""])[0],
                "to": (event.changes.get("status") or ["", ""])[1],
                "reason": event.reason,
            }
            for event in changes[:limit]
        ],
        "started": moves["started"],
        "completed": moves["completed"],
        "updates": updates["count"],
        "updated_projects": updates["projects"],
        "measurements": measurements,
        "indicators": list(indicators[:limit]),
    }


def field_counts(*, municipality: Municipality) -> dict[int, int]:
    """Projects led by the town per field of action (id → count), one query."""
    rows = (
        Project.fields_of_action.through._base_manager.filter(project__municipality=municipality)
        .order_by()
        .values("fieldofaction")
        .annotate(n=Count("project", distinct=True))
    )
    return {row["fieldofaction"]: row["n"] for row in rows}
