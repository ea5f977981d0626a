"""Reads of the projects app: lists with filters, derived progress, and the staff dashboard figures.

A project's progress is the percentage of its latest update that gives one (100 once completed); a project with
sub-projects, and a bundle of measures, take the weighted mean of their members (cancelled ones left out). The rule
is computed in SQL (:func:`derived_facts`) when a service changes something it depends on, and stored on the
project with the other facts the lists show (``Project.stored_progress``, ``last_update_on``, ``partner_count``;
``projects.services.project_facts_refresh``): the lists read columns.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.core.paginator import Page
from django.db import connection
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
from django.db.models.functions import Cast, Coalesce, Least, Round
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django_scopes import get_scope

from accounts import permissions
from municipalities.models import Consortium, Municipality
from municipalities.scoping import public_region_scope
from smartcity5.pagination import CountedPaginator
from smartcity5.search import Matches, search_words, text_condition

from .constants import STALE_AFTER_DAYS
from .models import (
    Bundle,
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

if TYPE_CHECKING:
    from django.db.models.expressions import CombinedExpression

    from accounts.permissions import AnyUser

#: How long region-wide figures stay in the cache (the catalogue's size, similar projects). Their keys hold the towns'
#: stored version (municipalities.freshness.region_version), so a change makes a new key long before.
CACHE_SECONDS = 3600


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


#: The columns the text search looks in (each has a trigram index on PostgreSQL, migration 0005).
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
            qs = qs.filter(text_condition(word, SEARCH_COLUMNS) | Q(pk__in=_tagged(word)))
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
        qs = qs.filter(Q(municipality=town) | Q(pk__in=_joined(town)))
    return qs


def _joined(town: int) -> list[int]:
    """The ids of the projects ``town`` joins as a partner (a handful)."""
    return list(ProjectPartner._base_manager.filter(municipality=town).values_list("project_id", flat=True))


#: The order of the project lists (latest update first, then title).
LIST_ORDER = (F("last_update_on").desc(nulls_last=True), "title")


def project_pages(qs: QuerySet[Project], *, version: str | None = None) -> Matches:
    """A searched project list (``project_list(…)``), for ``CountedPaginator(…, cap=COUNT_CAP)``: its first 1,001
    matches in the list's order are read once (id and whether it has a place), and the capped count, each page
    and the map's points come from them (smartcity5.search), instead of counting, sorting and mapping every match
    of the town in three queries. ``version``: the stored version of the town's pages (``Municipality.
    content_version``, moved by every write of a project row of the town): the matches are cached under it."""
    return Matches(
        qs,
        by_ids=lambda ids: with_list_facts(Project.objects.filter(pk__in=ids)).order_by(*LIST_ORDER),
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


def fields_of_action() -> QuerySet[FieldOfAction]:
    return FieldOfAction.objects.order_by("position", "name")


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


# --- Knowledge transfer: similar projects and the catalogue of transferable projects ---------------------
# Both read published projects of every town inside public_region_scope() (public data, no audit entry) and
# only ever public rows, so an internal project of another town can never appear.

SIMILAR_LIMIT = 5
# The similarity score adds each shared field of action, each shared tag and the text similarity (0..1).
# Text weighs most: a project that describes the same thing is the most useful pointer; a shared field
# alone is a weak hint. Text similarity is PostgreSQL's ts_rank (normalised to rank / (rank + 1)) times
# SIMILAR_RANK_SCALE, capped at 1, or the word-stem overlap on SQLite; both put the same text at about 0.8,
# two shared key words at about 0.3 and one common word below SIMILAR_TEXT_MIN (measured on demo-like texts
# in tests/projects/test_knowledge.py), so the threshold means the same on both paths.
SIMILAR_FIELD_WEIGHT = 1.0
SIMILAR_TAG_WEIGHT = 0.75
SIMILAR_TEXT_WEIGHT = 3.0
SIMILAR_TEXT_MIN = 0.2  # below this the text is not named as a reason, and alone does not qualify
SIMILAR_RANK_SCALE = 6.0
SIMILAR_QUERY_WORDS = 40
SIMILAR_FALLBACK_CANDIDATES = 500
#: Full-text ranking computes each candidate's vector (to_tsvector of its texts): only the most recently changed
#: candidates are ranked, so that a project page costs the same in a region of 500 or of 20,000 public projects
#: (all of them took about 1 s of SQL per page at 20,000, bench/README.md).
SIMILAR_SEARCH_CANDIDATES = 200

_WORD = re.compile(r"\w{3,}", re.UNICODE)
# Only for the word-overlap fallback; PostgreSQL's 'german' configuration brings its own stop words.
_STOP_WORDS = frozenset(
    "aber alle allen auch auf aus bei bis das dass dem den der des die dies diese dieser durch ein eine einem "
    "einen einer eines für hat ihre ist mit nach nicht noch oder sich sie sind über und uns von vor wie wir "
    "wird werden zum zur zwischen".split()
)


@dataclass
class SimilarProject:
    """A public project of another town like the one on the page, and why it was chosen."""

    project: Project
    score: float
    shared_fields: list[FieldOfAction]
    shared_tag_count: int
    similar_text: bool

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.shared_fields:
            reasons.append(
                gettext("same field of action: %(fields)s")
                % {"fields": ", ".join(f.name for f in self.shared_fields)}
            )
        if self.shared_tag_count:
            reasons.append(
                ngettext("%(count)d shared tag", "%(count)d shared tags", self.shared_tag_count)
                % {"count": self.shared_tag_count}
            )
        if self.similar_text:
            reasons.append(gettext("similar description"))
        return reasons


def _project_text(project: Project) -> str:
    return " ".join(filter(None, (project.title, project.summary, project.description)))


def _query_words(text: str, limit: int = SIMILAR_QUERY_WORDS) -> list[str]:
    """Distinct words of a text in order of appearance (title first), for an OR search query."""
    seen, words = set(), []
    for word in _WORD.findall(text.lower()):
        if word not in seen and not word.isdigit():
            seen.add(word)
            words.append(word)
            if len(words) == limit:
                break
    return words


def _stem(word: str) -> str:
    # A crude German stemmer for the fallback only: enough to match "Sensoren" with "Sensor".
    for suffix in ("ungen", "ung", "en", "er", "es", "e", "n", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _stems(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if len(w) >= 4 and w not in _STOP_WORDS}


def _other_towns_candidates(project: Project) -> QuerySet[Project]:
    """Public projects in which none of ``project``'s towns takes part (call inside the region scope)."""
    towns = {project.municipality_id, *(t.pk for t in project.partner_towns.all())}
    partnered = ProjectPartner._base_manager.filter(municipality__in=towns).values("project")
    return (
        Project.objects.public()
        .exclude(municipality__in=towns)
        .exclude(pk__in=partnered)
        .exclude(status=Project.Status.CANCELLED)
    )


def _shared_count(through: Any, column: str, ids: set[int]) -> Value | Coalesce:
    if not ids:
        return Value(0, output_field=IntegerField())
    return Coalesce(
        Subquery(
            through.objects.filter(project_id=OuterRef("pk"), **{f"{column}__in": ids})
            .order_by()
            .values("project_id")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def similar_projects(
    *, project: Project, limit: int = SIMILAR_LIMIT, use_search: bool | None = None
) -> list[SimilarProject]:
    """Up to ``limit`` public projects of other towns like ``project``, best first, each with its reasons.

    Ranked by shared fields of action, shared tags and text similarity: PostgreSQL full-text search with the
    'german' configuration (stemming, stop words), or on other databases the overlap of word stems
    (:func:`_similar_by_word_overlap`). ``use_search`` forces one path (tests). A bounded number of queries.
    """
    if use_search is None:
        use_search = connection.vendor == "postgresql"
    with public_region_scope() as towns:
        # Kept in the cache under the active towns' stored versions: any change of a project of any town (its
        # texts, fields, tags, status, visibility, partners) makes a new key. Ranking the candidates' texts was
        # most of the SQL of a project page (about 45 ms at 20,000 projects).
        key = f"projects:similar:{project.pk}:{limit}:{int(use_search)}:{towns_version(towns)}"
        found = cache.get(key)
        if found is None:
            found = _similar_projects(project, limit, use_search)
            cache.set(key, found, CACHE_SECONDS)
    return found


def towns_version(towns: list[Municipality]) -> str:
    """The stored version of what the region scope of ``towns`` (the active ones) shows: their ids and
    ``content_version``s, which every write of a project row raises for its lead and partner towns
    (municipalities/freshness.py), and a change of a town itself for all."""
    return f"{len(towns)}.{sum(t.pk for t in towns)}.{sum(t.content_version for t in towns)}"


def _similar_projects(project: Project, limit: int, use_search: bool) -> list[SimilarProject]:
    """(Inside the region scope.)"""
    field_ids = {f.pk for f in project.fields_of_action.all()}
    tag_ids = set(project.tags.values_list("pk", flat=True))
    candidates = _other_towns_candidates(project)
    if use_search:
        return _similar_by_search(project, candidates, field_ids, tag_ids, limit)
    return _similar_by_word_overlap(project, candidates, field_ids, tag_ids, limit)


def _similar_by_search(
    project: Project, candidates: QuerySet[Project], field_ids: set[int], tag_ids: set[int], limit: int
) -> list[SimilarProject]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    words = _query_words(_project_text(project))
    recent = candidates.order_by("-updated_at").values("pk")[:SIMILAR_SEARCH_CANDIDATES]
    candidates = candidates.filter(pk__in=recent)
    rank: Value | Least = Value(0.0, output_field=FloatField())
    if words:
        vector = (
            SearchVector("title", weight="A", config="german")
            + SearchVector("summary", weight="B", config="german")
            + SearchVector("description", weight="C", config="german")
        )
        query = SearchQuery(" or ".join(words), config="german", search_type="websearch")
        rank = Least(
            SearchRank(vector, query, normalization=Value(32)) * Value(SIMILAR_RANK_SCALE), Value(1.0)
        )
    qs = candidates.annotate(
        shared_fields=_shared_count(Project.fields_of_action.through, "fieldofaction_id", field_ids),
        shared_tags=_shared_count(Project.tags.through, "tag_id", tag_ids),
        text_similarity=rank,
    ).annotate(
        score=F("shared_fields") * SIMILAR_FIELD_WEIGHT
        + F("shared_tags") * SIMILAR_TAG_WEIGHT
        + F("text_similarity") * SIMILAR_TEXT_WEIGHT
    )
    qs = (
        qs.filter(Q(shared_fields__gt=0) | Q(shared_tags__gt=0) | Q(text_similarity__gte=SIMILAR_TEXT_MIN))
        .select_related("municipality")
        .prefetch_related("fields_of_action")
        .order_by("-score", "title")[:limit]
    )
    return [
        SimilarProject(
            project=p,
            score=p.score,
            shared_tag_count=p.shared_tags,
            shared_fields=[f for f in p.fields_of_action.all() if f.pk in field_ids],
            similar_text=p.text_similarity >= SIMILAR_TEXT_MIN,
        )
        for p in qs
    ]


def _similar_by_word_overlap(
    project: Project, candidates: QuerySet[Project], field_ids: set[int], tag_ids: set[int], limit: int
) -> list[SimilarProject]:
    """The fallback without full-text search (SQLite): shared fields and tags, and the overlap of word stems
    (shared stems ÷ √(stems of one × stems of the other)), over at most SIMILAR_FALLBACK_CANDIDATES rows."""
    own = _stems(_project_text(project))
    rows = list(
        candidates.select_related("municipality")
        .prefetch_related("fields_of_action", "tags")
        .order_by("-updated_at")[:SIMILAR_FALLBACK_CANDIDATES]
    )
    found = []
    for row in rows:
        theirs = _stems(_project_text(row))
        overlap = len(own & theirs) / math.sqrt(len(own) * len(theirs)) if own and theirs else 0.0
        shared_fields = [f for f in row.fields_of_action.all() if f.pk in field_ids]
        shared_tags = sum(1 for t in row.tags.all() if t.pk in tag_ids)
        if not (shared_fields or shared_tags or overlap >= SIMILAR_TEXT_MIN):
            continue
        score = (
            len(shared_fields) * SIMILAR_FIELD_WEIGHT
            + shared_tags * SIMILAR_TAG_WEIGHT
            + overlap * SIMILAR_TEXT_WEIGHT
        )
        found.append(
            SimilarProject(
                project=row,
                score=score,
                shared_fields=shared_fields,
                shared_tag_count=shared_tags,
                similar_text=overlap >= SIMILAR_TEXT_MIN,
            )
        )
    found.sort(key=lambda s: (-s.score, s.project.title))
    return found[:limit]


@dataclass(frozen=True)
class CatalogueFilters:
    """Filters of the catalogue of transferable projects."""

    field: str = ""  # FieldOfAction.slug
    town: str = ""  # Municipality.slug (lead or partner town)
    transferability: str = ""  # "yes" or "partly"; both when empty
    open_source: bool = False  # only projects that publish their code


TRANSFERABLE = (Project.Transferability.YES, Project.Transferability.PARTLY)


def transfer_catalogue(
    *, filters: CatalogueFilters = CatalogueFilters(), page: str | int | None = None, per_page: int = 20
) -> Page[Any]:
    """One page of the public projects of all towns that others can re-use (fully or partly), fully
    re-usable ones first. Evaluated inside the region scope: the page's ``object_list`` is a list."""
    wanted = [filters.transferability] if filters.transferability in TRANSFERABLE else list(TRANSFERABLE)
    with public_region_scope() as towns:
        qs = filter_projects(
            Project.objects.public().filter(transferability__in=wanted),
            ProjectFilters(field=filters.field, town=filters.town),
        )
        if filters.open_source:
            qs = qs.exclude(open_source_url="")
        qs = (
            qs.select_related("municipality")
            .prefetch_related("fields_of_action", "partner_towns")
            .order_by(
                Case(When(transferability=Project.Transferability.YES, then=Value(0)), default=Value(1)),
                "title",
            )
        )
        # The whole catalogue's size is kept in the cache under the towns' stored version (any change of a project
        # makes a new key): counting its thousands of rows took longer than reading a page by its index.
        key = f"projects:catalogue:{towns_version(towns)}" if filters == CatalogueFilters() else None
        count = cache.get(key) if key is not None else None
        page_obj = CountedPaginator(qs, per_page, count=count).get_page(page)
        page_obj.object_list = list(page_obj.object_list)
        if key is not None and count is None:
            cache.set(key, page_obj.paginator.count, CACHE_SECONDS)
    return page_obj
