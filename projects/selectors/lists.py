"""Project lists with filters, single projects and what their pages show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet
from django_scopes import get_scope

from accounts import permissions
from municipalities.models import Consortium, Municipality
from municipalities.scoping import public_region_scope
from projects.models import (
    FieldOfAction,
    Indicator,
    Measurement,
    ProgressUpdate,
    Project,
    ProjectEvent,
    ProjectFile,
    ProjectPartner,
    Strategy,
)
from projects.selectors.progress import with_list_facts
from smartcity5.search import Matches, search_words, stored_text_condition

if TYPE_CHECKING:
    from accounts.permissions import AnyUser


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
    # Staff list only: True for the projects ``lead_town`` (a Municipality pk) leads, False for the joint projects
    # a partner town leads, as the key figures count them (``agentur.figures``).
    lead: bool | None = None
    lead_town: int | None = None


#: The columns the text search looks in, stored together in capitals as ``Project.search_text`` (its expression names
#: them; a trigram index on PostgreSQL, migration 0006).
SEARCH_COLUMNS = ("title", "summary", "description", "location_label")


def _tagged(word: str) -> list[int]:
    """The ids of the projects with a tag named ``word`` (case-insensitive), without duplicates."""
    return list(
        Project.tags.through._base_manager.filter(tag__name__iexact=word)
        .order_by()
        .values_list("project_id", flat=True)
        .distinct()
    )


def filter_projects(qs: QuerySet[Project], filters: ProjectFilters) -> QuerySet[Project]:
    if filters.q:
        for word in search_words(filters.q):
            # The portal's one text search (smartcity5.search, trigram indexes on PostgreSQL), or a tag by its
            # exact name: the tagged projects' ids as a list, a condition that PostgreSQL joins to the trigram
            # indexes' bitmaps by primary key (an EXISTS in the OR had it read every project of the town).
            qs = qs.filter(stored_text_condition(word, "search_text") | Q(pk__any_of=_tagged(word)))
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
        qs = qs.filter(
            Q(municipality__slug=filters.town)
            | Q(pk__in=Project._base_manager.filter(partner_towns__slug=filters.town).values("pk"))
        )
    if filters.visibility:
        qs = qs.filter(visibility=filters.visibility)
    if filters.bundle:
        qs = qs.filter(bundle_id=filters.bundle)
    if filters.lead is not None and filters.lead_town:
        led = Q(municipality_id=filters.lead_town)
        qs = qs.filter(led) if filters.lead else qs.exclude(led)
    return qs


def _scope_town() -> int | None:
    """The town of the active scope when it is one town (a town's pages and API), else None (the region)."""
    towns = get_scope().get("municipality")
    if isinstance(towns, list | tuple):
        return towns[0] if len(towns) == 1 else None
    return towns


def scope_projects() -> QuerySet[Project]:
    """The projects of the active scope (own and joint ones). In one town's scope its condition is repeated as two
    index lookups, the town's own projects and the few it joins (one query for their ids), since PostgreSQL can
    only check the shared-row ``EXISTS`` row by row: it read every project of the region for a town's list
    (bench/README.md, "Stored project facts")."""
    qs = Project.objects.all()
    town = _scope_town()
    if town is not None:
        qs = qs.filter(Q(municipality=town) | Q(pk__any_of=_joined(town)))
    return qs


def _joined(town: int) -> list[int]:
    """The ids of the projects ``town`` joins as a partner (a handful)."""
    return list(ProjectPartner._base_manager.filter(municipality=town).values_list("project_id", flat=True))


#: The order of the project lists (latest update first, then title).
LIST_ORDER = (F("last_update_on").desc(nulls_last=True), "title")


def project_pages(qs: QuerySet[Project], *, version: str | None = None) -> Matches:
    """A searched project list (``project_list(…)``), for ``CountedPaginator(…, cap=COUNT_CAP)``: its first 201
    matches in the list's order are read once (id and whether it has a place), and the capped count, each page
    and the map's points come from them (smartcity5.search), instead of counting, sorting and mapping every match
    of the town in three queries. ``version``: the stored version of the town's pages (``Municipality.
    content_version``, moved by every write of a project row of the town): the matches are cached under it."""
    return Matches(
        qs,
        by_ids=lambda ids: with_list_facts(Project.objects.filter(pk__any_of=ids)).order_by(*LIST_ORDER),
        version=version,
    )


#: One town's public projects (its own, and those it joins: the scope's rows), their sub-projects and the events of
#: both, summed in the database (see public_project_changes).
_TOWN_PROJECT_CHANGES = """
WITH shown AS (
    SELECT p.id, p.updated_at FROM projects_project p WHERE p.visibility = 'public' AND p.municipality_id = %s
    UNION
    SELECT p.id, p.updated_at FROM projects_project p
    INNER JOIN projects_projectpartner j ON j.project_id = p.id
    WHERE p.visibility = 'public' AND j.municipality_id = %s
), counted AS (
    SELECT id FROM shown UNION SELECT c.id FROM projects_project c WHERE c.parent_id IN (SELECT id FROM shown)
)
SELECT (SELECT COUNT(*) FROM shown), (SELECT SUM(id) FROM shown), (SELECT MAX(updated_at) FROM shown),
    MAX(e.at), COUNT(e.id)
FROM projects_projectevent e WHERE e.project_id IN (SELECT id FROM counted)
"""


def public_project_changes() -> dict[str, Any]:
    """The active scope's public projects for their freshness (the API's Last-Modified and ETag, the open data):
    how many (``n``), the sum of their ids, their newest ``updated_at``, and the newest event and number of events
    of them and their sub-projects (``events_at``, ``events``). In one town's scope on PostgreSQL it is one query
    that reads the town's own projects and those it joins by their indexes and sums in the database (at 4,000
    projects a town, the ids listed in Python and sent back as two lists cost about 100 ms of CPU per API list);
    elsewhere the projects' ids are read first and given to the event query as a list."""
    town = _scope_town()
    if town is not None and connection.vendor == "postgresql":  # (SQLite would give its datetimes as text)
        with connection.cursor() as cursor:
            cursor.execute(_TOWN_PROJECT_CHANGES, [town, town])
            n, ids, updated, events_at, events = cursor.fetchone()
        return {"n": n, "ids": ids, "updated": updated, "events_at": events_at, "events": events}
    # With the scope's condition inside a subquery PostgreSQL misjudged the number of projects (15,000 for 469) and
    # scanned every event of the table; with the list it reads the projects' events by index (event_project_at).
    rows = list(Project.objects.public().order_by().values_list("pk", "updated_at"))
    ids = [pk for pk, _ in rows]
    children = list(Project._base_manager.filter(parent__in=ids).values_list("pk", flat=True)) if ids else []
    events = {"at": None, "n": 0}
    if ids:
        events = ProjectEvent._base_manager.filter(project__in=[*ids, *children]).aggregate(
            at=Max("at"), n=Count("pk")
        )
    return {
        "n": len(rows),
        "ids": sum(ids) if rows else None,
        "updated": max((updated for _, updated in rows), default=None),
        "events_at": events["at"],
        "events": events["n"],
    }


def project_list(
    *, filters: ProjectFilters = ProjectFilters(), include_internal: bool = False
) -> QuerySet[Project]:
    """Projects of the active town scope (own and joint ones), newest activity first."""
    qs = scope_projects()
    if not include_internal:
        qs = qs.public()  # type: ignore[attr-defined]  # ProjectQuerySet's, behind the scoped manager
    qs = filter_projects(qs, filters)
    return with_list_facts(qs).order_by(*LIST_ORDER)


#: The project's own columns a project card shows (``project_tags.project_card``).
CARD_FIELDS = (
    "id",
    "slug",
    "title",
    "status",
    "visibility",
    "summary",
    "phase",
    "partner_count",
    "municipality",
    "municipality__slug",
    "municipality__name",
)


def project_cards(qs: QuerySet[Project]) -> QuerySet[Project]:
    """``qs`` (a :func:`project_list`) reading only what the project cards show: the project's :data:`CARD_FIELDS`,
    its town's slug and name, its partner towns' and fields of action's names, instead of every column of the
    project, its town and bundle, its partner towns and fields of action (a project list read a hundred model
    rows for fifteen cards; on the demo the reading was half of the page's time). The map's points, the count and
    the search read ``qs`` by their own columns as before."""
    return (
        qs.select_related(None)
        .select_related("municipality")
        .prefetch_related(None)
        .prefetch_related(
            Prefetch("fields_of_action", queryset=FieldOfAction.objects.only("id", "name")),
            Prefetch("partner_towns", queryset=Municipality.objects.only("id", "name", "slug")),
        )
        .only(*CARD_FIELDS)
    )


def region_project_list(*, filters: ProjectFilters = ProjectFilters()) -> list[Project]:
    """Public projects of all active towns. Evaluated inside the region scope, so returns a list."""
    with public_region_scope():
        return list(project_list(filters=filters))


def project_get(*, slug: str, include_internal: bool = False) -> Project:
    """One project visible in the active town scope; raises ``Project.DoesNotExist`` otherwise."""
    qs = Project.objects.all() if include_internal else Project.objects.public()
    return with_list_facts(qs).select_related("parent").get(slug=slug)


def project_for(*, slug: str, user: AnyUser, staff: bool = False) -> Project:
    """The project in the active town scope as ``user`` may see it: internal ones (and, with ``staff``, any)
    only for people who may see internal projects. Raises ``Project.DoesNotExist`` otherwise; HTML pages and
    the API use this."""
    project = project_get(slug=slug, include_internal=True)
    if (
        project.visibility == Project.Visibility.INTERNAL or staff
    ) and not permissions.can_view_internal_project(user, project):
        raise Project.DoesNotExist
    return project


def project_detail_related(*, project: Project, include_internal: bool = False) -> dict[str, Any]:
    """What the detail page shows besides the project itself, each in one query."""
    files = project.files.all()
    children = project.children.all()
    if not include_internal:
        files = files.filter(is_public=True)
        children = children.filter(visibility=Project.Visibility.PUBLIC)
    indicators = list(project_indicators(project=project))
    return {
        "updates": list(
            project_updates(project=project, include_internal=include_internal).select_related("author")
        ),
        "indicators": indicators,
        "images": [f for f in files if f.kind == ProjectFile.Kind.IMAGE],
        "documents": [f for f in files if f.kind == ProjectFile.Kind.DOCUMENT],
        "children": list(with_list_facts(children).order_by("title")),
        "tags": list(project.tags.all()),
    }


def project_updates(*, project: Project, include_internal: bool = False) -> QuerySet[ProgressUpdate]:
    updates = project.updates.select_related("municipality")
    if not include_internal:
        updates = updates.filter(is_public=True)
    return updates.order_by("-published_on", "-pk")


def project_indicators(*, project: Project) -> QuerySet[Indicator]:
    return project.indicators.prefetch_related(
        Prefetch("measurements", queryset=Measurement.objects.order_by("measured_on"))
    ).order_by("position", "pk")


def project_history(*, project: Project) -> QuerySet[ProjectEvent]:
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
    return (
        Strategy.objects.filter(municipality=municipality, kind=kind)
        .prefetch_related("fields_of_action")
        .first()
    )


def joint_strategy(*, consortium: Consortium) -> Strategy | None:
    """The consortium's joint strategy, kept by the lead town; public, so read in the region scope."""
    with public_region_scope():
        return (
            Strategy.objects.filter(kind=Strategy.Kind.JOINT, municipality__consortium=consortium)
            .select_related("municipality")
            .prefetch_related("fields_of_action")
            .first()
        )


def fields_of_action() -> QuerySet[FieldOfAction]:
    return FieldOfAction.objects.order_by("position", "name")
