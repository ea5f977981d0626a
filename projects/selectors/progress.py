"""Derived progress and the facts the lists show, computed in SQL and stored on the project."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Round

from municipalities.models import Consortium
from municipalities.scoping import public_region_scope
from projects.models import Bundle, ProgressUpdate, Project, ProjectPartner
from projects.selectors.common import CACHE_SECONDS, towns_version

if TYPE_CHECKING:
    from django.db.models.expressions import CombinedExpression


# --- Derived progress ------------------------------------------------------------------------------------
# Correlated subqueries use the unscoped base manager: they only ever reach rows of the outer project,
# which the outer (scoped) query has already admitted.
def _own_progress() -> Case:
    latest_percent = Subquery(
        ProgressUpdate._base_manager.filter(project=OuterRef("pk"), progress_percent__isnull=False)
        .order_by("-published_on", "-pk")
        .values("progress_percent")[:1],
        output_field=IntegerField(),
    )
    return Case(
        When(status=Project.Status.COMPLETED, then=Value(100)),
        default=Coalesce(latest_percent, Value(0)),
        output_field=IntegerField(),
    )


def _weighted_mean(progress: Any) -> CombinedExpression:
    return Cast(Sum(progress * F("weight")), FloatField()) / Cast(Sum("weight"), FloatField())


def progress_expression() -> Case:
    """A project's progress in percent (float): its own, or the weighted mean of its sub-projects."""
    children = (
        Project._base_manager.filter(parent=OuterRef("pk"))
        .exclude(status=Project.Status.CANCELLED)
        .order_by()
        .values("parent")
        .annotate(mean=_weighted_mean(_own_progress()))
        .values("mean")
    )
    has_children = Exists(
        Project._base_manager.filter(parent=OuterRef("pk")).exclude(status=Project.Status.CANCELLED)
    )
    return Case(
        When(has_children, then=Subquery(children, output_field=FloatField())),
        default=Cast(_own_progress(), FloatField()),
        output_field=FloatField(),
    )


def derived_facts() -> dict[str, Any]:
    """The stored facts of a project, derived from its rows (for ``UPDATE … SET``, see
    ``projects.services.project_facts_refresh``): its progress, the day of its latest update (public or not) and
    the number of its partner towns."""
    latest = (
        ProgressUpdate._base_manager.filter(project=OuterRef("pk"))
        .order_by("-published_on")
        .values("published_on")[:1]
    )
    partners = (
        ProjectPartner._base_manager.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return {
        "stored_progress": progress_expression(),
        "last_update_on": Subquery(latest),
        "partner_count": Coalesce(Subquery(partners, output_field=IntegerField()), Value(0)),
    }


def projects_with_stale_facts(qs: QuerySet[Project]) -> list[int]:
    """The ids of the projects of ``qs`` whose stored facts differ from :func:`derived_facts` (none while every
    write goes through the services; ``manage.py project_facts_refresh --check``)."""
    derived = derived_facts()
    names = tuple(derived)
    rows = (
        qs.order_by("pk")
        .annotate(**{f"derived_{name}": expression for name, expression in derived.items()})
        .values_list("pk", *names, *(f"derived_{name}" for name in names))
    )
    stale = []
    for pk, progress, last_update_on, partners, progress_now, last_update_now, partners_now in rows:
        if abs(progress - progress_now) > 1e-9 or (last_update_on, partners) != (
            last_update_now,
            partners_now,
        ):
            stale.append(pk)
    return stale


def with_list_facts(qs: QuerySet[Project]) -> QuerySet[Project]:
    """Everything a project list shows, in a fixed number of queries whatever the number of rows: the stored facts
    (``progress`` rounded, as the lists and the API show it) and the related rows."""
    return (
        qs.select_related("municipality", "bundle")
        .prefetch_related("fields_of_action", "partner_towns")
        .annotate(progress=Round(F("stored_progress")))
    )


def bundles_with_progress(*, consortium: Consortium) -> list[Bundle]:
    """The consortium's bundles of measures, each with ``progress`` (None without members) and
    ``member_count``, derived from public member projects of all towns in one aggregate query."""
    with public_region_scope() as towns:
        # Summed over the region's thousands of projects, so kept in the cache under the active towns' stored
        # versions (any change of a project or a bundle makes a new key).
        key = f"projects:bundles:{consortium.pk}:{towns_version(towns)}"
        figures = cache.get(key)
        if figures is None:
            members = (
                Project.objects.public()
                .filter(bundle__consortium=consortium, parent__isnull=True)
                .exclude(status=Project.Status.CANCELLED)
                .order_by()
                .values("bundle")
                .annotate(progress=_weighted_mean(F("stored_progress")), member_count=Count("pk"))
            )
            figures = {row["bundle"]: row for row in members}
            cache.set(key, figures, CACHE_SECONDS)
    bundles = list(Bundle.objects.filter(consortium=consortium).order_by("number"))
    for bundle in bundles:
        row = figures.get(bundle.pk)
        bundle.progress = round(row["progress"]) if row and row["progress"] is not None else None  # type: ignore[attr-defined]  # figures for the page
        bundle.member_count = row["member_count"] if row else 0  # type: ignore[attr-defined]
    return bundles
