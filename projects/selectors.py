"""Reads of the projects app: lists with filters, derived progress, and the staff dashboard figures.

Progress is derived, never stored: a project's progress is the percentage of its latest update that
gives one (100 once completed); a project with sub-projects, and a bundle of measures, take the
weighted mean of their members (cancelled ones left out). All of it is computed in SQL.
"""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Round
from django.utils import timezone

from municipalities.models import Consortium, Municipality
from municipalities.scoping import public_region_scope

from .models import (
    Bundle,
    FieldOfAction,
    Indicator,
    Measurement,
    ProgressUpdate,
    Project,
    ProjectEvent,
    ProjectFile,
    Strategy,
)

STALE_AFTER_DAYS = 90


# --- Derived progress ------------------------------------------------------------------------------------
# Correlated subqueries use the unscoped base manager: they only ever reach rows of the outer project,
# which the outer (scoped) query has already admitted.

def _own_progress() -> Case:
    latest_percent = Subquery(
        ProgressUpdate._base_manager.filter(project=OuterRef("pk"), progress_percent__isnull=False)
        .order_by("-published_on", "-pk").values("progress_percent")[:1],
        output_field=IntegerField(),
    )
    return Case(When(status=Project.Status.COMPLETED, then=Value(100)),
                default=Coalesce(latest_percent, Value(0)), output_field=IntegerField())


def _weighted_mean(progress) -> Cast:
    return Cast(Sum(progress * F("weight")), FloatField()) / Cast(Sum("weight"), FloatField())


def progress_expression():
    """A project's progress in percent (float): its own, or the weighted mean of its sub-projects."""
    children = (
        Project._base_manager.filter(parent=OuterRef("pk")).exclude(status=Project.Status.CANCELLED)
        .order_by().values("parent").annotate(mean=_weighted_mean(_own_progress())).values("mean")
    )
    has_children = Exists(Project._base_manager.filter(parent=OuterRef("pk"))
                          .exclude(status=Project.Status.CANCELLED))
    return Case(When(has_children, then=Subquery(children, output_field=FloatField())),
                default=Cast(_own_progress(), FloatField()), output_field=FloatField())


def with_list_facts(qs: QuerySet[Project]) -> QuerySet[Project]:
    """Everything a project list shows, in a fixed number of queries whatever the number of rows."""
    return (
        qs.select_related("municipality", "bundle")
        .prefetch_related("fields_of_action", "partner_towns")
        .annotate(
            progress=Round(progress_expression()),
            partner_count=Count("partnerships", distinct=True),
            last_update_on=Max("updates__published_on"),
        )
    )


# --- Lists -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectFilters:
    """The filters offered on every project list (town, region and staff)."""

    q: str = ""
    field: str = ""  # FieldOfAction.slug
    status: str = ""
    phase: str = ""
    joint: bool | None = None
    town: str = ""  # Municipality.slug, region list only
    visibility: str = ""  # staff list only
    bundle: int | None = None


def _apply_filters(qs: QuerySet[Project], filters: ProjectFilters) -> QuerySet[Project]:
    if filters.q:
        for word in filters.q.split()[:8]:
            qs = qs.filter(Q(title__icontains=word) | Q(summary__icontains=word) | Q(description__icontains=word)
                           | Q(tags__name__iexact=word) | Q(location_label__icontains=word))
        qs = qs.filter(pk__in=qs.values("pk"))  # the tag join may repeat rows; this keeps each once
    if filters.field:
        qs = qs.filter(pk__in=Project._base_manager.filter(fields_of_action__slug=filters.field).values("pk"))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.phase:
        qs = qs.filter(phase=filters.phase)
    if filters.joint is not None:
        has_partners = Exists(Project.partner_towns.through._base_manager.filter(project=OuterRef("pk")))
        qs = qs.filter(has_partners) if filters.joint else qs.exclude(has_partners)
    if filters.town:
        qs = qs.filter(Q(municipality__slug=filters.town) | Q(pk__in=Project._base_manager.filter(
            partner_towns__slug=filters.town).values("pk")))
    if filters.visibility:
        qs = qs.filter(visibility=filters.visibility)
    if filters.bundle:
        qs = qs.filter(bundle_id=filters.bundle)
    return qs


def project_list(*, filters: ProjectFilters = ProjectFilters(), include_internal: bool = False
                 ) -> QuerySet[Project]:
    """Projects of the active town scope (own and joint ones), newest activity first."""
    qs = Project.objects.all()
    if not include_internal:
        qs = qs.public()
    qs = _apply_filters(qs, filters)
    return with_list_facts(qs).order_by(F("last_update_on").desc(nulls_last=True), "title")


def region_project_list(*, filters: ProjectFilters = ProjectFilters()) -> QuerySet[Project]:
    """Public projects of all active towns. Evaluated inside the region scope, so returns a list."""
    with public_region_scope():
        return list(project_list(filters=filters))


def project_get(*, slug: str, include_internal: bool = False) -> Project:
    """One project visible in the active town scope; raises ``Project.DoesNotExist`` otherwise."""
    qs = Project.objects.all() if include_internal else Project.objects.public()
    return with_list_facts(qs).select_related("parent").get(slug=slug)


def project_detail_related(*, project: Project, include_internal: bool = False) -> dict:
    """What the detail page shows besides the project itself, each in one query."""
    updates = project.updates.select_related("municipality", "author")
    files = project.files.all()
    children = project.children.all()
    if not include_internal:
        updates = updates.filter(is_public=True)
        files = files.filter(is_public=True)
        children = children.filter(visibility=Project.Visibility.PUBLIC)
    indicators = list(project.indicators.prefetch_related(
        Prefetch("measurements", queryset=Measurement.objects.order_by("measured_on"))))
    return {
        "updates": list(updates.order_by("-published_on", "-pk")),
        "indicators": indicators,
        "images": [f for f in files if f.kind == ProjectFile.Kind.IMAGE],
        "documents": [f for f in files if f.kind == ProjectFile.Kind.DOCUMENT],
        "children": list(with_list_facts(children).order_by("title")),
        "tags": list(project.tags.all()),
    }


def project_history(*, project: Project) -> QuerySet:
    return project.events.select_related("actor", "municipality").order_by("-at", "-pk")


def indicator_get(*, project: Project, pk: int) -> Indicator:
    return project.indicators.get(pk=pk)


def update_get(*, project: Project, pk: int) -> ProgressUpdate:
    return project.updates.select_related("municipality").get(pk=pk)


def file_get(*, project: Project, pk: int, include_internal: bool = False) -> ProjectFile:
    files = project.files.all() if include_internal else project.files.filter(is_public=True)
    return files.get(pk=pk)


def parent_choices(*, municipality: Municipality, exclude: Project | None = None) -> QuerySet[Project]:
    """Top-level projects of the town that may take sub-projects."""
    qs = Project.objects.led_by(municipality).filter(parent__isnull=True)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.order_by("title")


# --- Strategy and bundles --------------------------------------------------------------------------------

def strategy_for(*, municipality: Municipality, kind: str = Strategy.Kind.TOWN) -> Strategy | None:
    return (Strategy.objects.filter(municipality=municipality, kind=kind)
            .prefetch_related("fields_of_action").first())


def joint_strategy(*, consortium: Consortium) -> Strategy | None:
    """The consortium's joint strategy, kept by the lead town; public, so read in the region scope."""
    with public_region_scope():
        return (Strategy.objects.filter(kind=Strategy.Kind.JOINT, municipality__consortium=consortium)
                .select_related("municipality").prefetch_related("fields_of_action").first())


def bundles_with_progress(*, consortium: Consortium) -> list[Bundle]:
    """The consortium's bundles of measures, each with ``progress`` (None without members) and
    ``member_count``, derived from public member projects of all towns in one aggregate query."""
    with public_region_scope():
        members = (
            Project.objects.public().filter(bundle__consortium=consortium, parent__isnull=True)
            .exclude(status=Project.Status.CANCELLED)
            .order_by().values("bundle")
            .annotate(progress=_weighted_mean(progress_expression()), member_count=Count("pk"))
        )
        figures = {row["bundle"]: row for row in members}
    bundles = list(Bundle.objects.filter(consortium=consortium).order_by("number"))
    for bundle in bundles:
        row = figures.get(bundle.pk)
        bundle.progress = round(row["progress"]) if row and row["progress"] is not None else None
        bundle.member_count = row["member_count"] if row else 0
    return bundles


def fields_of_action() -> QuerySet[FieldOfAction]:
    return FieldOfAction.objects.order_by("position", "name")


# --- Staff dashboard -------------------------------------------------------------------------------------

def status_counts(*, municipality: Municipality) -> dict[str, int]:
    """Projects led by the town, counted by status in one query (every status present, zero if none)."""
    counts = dict(Project.objects.led_by(municipality).order_by().values_list("status").annotate(n=Count("pk")))
    return {status: counts.get(status, 0) for status in Project.Status.values}


def stale_projects(*, municipality: Municipality, days: int = STALE_AFTER_DAYS,
                   today: datetime.date | None = None) -> QuerySet[Project]:
    """Open projects of the town (led or joint) with no update for ``days`` days."""
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=days)
    qs = with_list_facts(Project.objects.filter(status__in=Project.ACTIVE_STATUSES))
    return qs.filter(Q(last_update_on__lt=cutoff) | Q(last_update_on__isnull=True, created_at__date__lt=cutoff)
                     ).order_by(F("last_update_on").asc(nulls_first=True), "title")

# --- Quarterly progress report (reviews) -----------------------------------------------------------------

def period_activity(*, municipality: Municipality, start: datetime.date, end: datetime.date,
                    limit: int = 50) -> dict:
    """What happened to the projects led by the town from ``start`` to ``end`` (both included): status changes,
    starts and completions, progress updates the town posted, KPI measurements of its projects. Seven queries,
    whatever the number of rows; the lists are cut at ``limit``."""
    led = Project.objects.led_by(municipality)
    dates = Q(at__date__gte=start, at__date__lte=end)
    changes = (ProjectEvent.objects.filter(dates, project__municipality=municipality, kind=ProjectEvent.Kind.STATUS)
               .select_related("project").order_by("at", "pk"))
    moves = led.aggregate(started=Count("pk", filter=Q(actual_start__gte=start, actual_start__lte=end)),
                          completed=Count("pk", filter=Q(actual_end__gte=start, actual_end__lte=end,
                                                         status=Project.Status.COMPLETED)))
    updates = ProgressUpdate.objects.filter(municipality=municipality, published_on__gte=start,
                                            published_on__lte=end).aggregate(
        count=Count("pk"), projects=Count("project", distinct=True))
    in_period = Q(measurements__measured_on__gte=start, measurements__measured_on__lte=end)
    latest = (Measurement._base_manager.filter(indicator=OuterRef("pk"), measured_on__gte=start, measured_on__lte=end)
              .order_by("-measured_on", "-pk"))
    indicators = (Indicator.objects.filter(project__municipality=municipality).annotate(
        n=Count("measurements", filter=in_period),
        latest_value=Subquery(latest.values("value")[:1]), latest_on=Subquery(latest.values("measured_on")[:1]))
        .filter(n__gt=0).select_related("project").order_by("project__title", "position", "pk"))
    measurements = Measurement.objects.filter(indicator__project__municipality=municipality, measured_on__gte=start,
                                              measured_on__lte=end).count()
    return {
        "status_changes": changes.count(),
        "changes": [{"project": event.project.title, "slug": event.project.slug, "on": event.at.date(),
                     "from": (event.changes.get("status") or ["", ""])[0],
                     "to": (event.changes.get("status") or ["", ""])[1], "reason": event.reason}
                    for event in changes[:limit]],
        "started": moves["started"], "completed": moves["completed"],
        "updates": updates["count"], "updated_projects": updates["projects"],
        "measurements": measurements,
        "indicators": list(indicators[:limit]),
    }


def field_counts(*, municipality: Municipality) -> dict[int, int]:
    """Projects led by the town per field of action (id → count), one query."""
    rows = (Project.fields_of_action.through._base_manager.filter(project__municipality=municipality)
            .order_by().values("fieldofaction").annotate(n=Count("project", distinct=True)))
    return {row["fieldofaction"]: row["n"] for row in rows}
