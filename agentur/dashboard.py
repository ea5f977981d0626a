"""The Agentur's cross-town dashboard: the key figures of every town side by side, quarterly trends, links and
charts.

The key figures (projects by status, processes, ideas, funding) are those of :mod:`agentur.figures`, the
one definition the town dashboards, the region report and the API share: a row counts once, for the town that
owns it (a joint project for its lead town); a partner town shows joint rows as "+N gemeinsam" beside its own
count. Here they are joined by the Agentur's own figures (share of open projects recently updated, median days
to the first answer, moderation, staff, barrier reports) and trends.

Everything runs inside the audited scope that :func:`agentur.crosstown.agentur_dashboard` enters; only the
towns that scope holds are counted (``figures.towns_in_scope``), each from its own rows (as ``agentur.figures``). Figures and trends are one
query over the towns, with a correlated scalar subquery per figure (and quarter); the number of queries does not
depend on the number of towns or rows.
"""

import datetime
import functools
import hashlib
import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate,
    Exists,
    F,
    FloatField,
    Func,
    Min,
    OuterRef,
    Subquery,
)
from django.template.defaultfilters import floatformat
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.formats import localize, number_format
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from municipalities import freshness
from projects.constants import STALE_AFTER_DAYS
from smartcity5.charts import trend_chart_svg

from . import figures as key_figures
from .figures import amount as _sum
from .figures import count as _count
from .figures import scalar as _scalar

if TYPE_CHECKING:
    from municipalities.models import Municipality

TREND_QUARTERS = 8


# --- SQL helpers -----------------------------------------------------------------------------------------


class Median(Aggregate):
    """The median (``percentile_cont(0.5)``), PostgreSQL only; SQLite gets the Python fallback below."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class DaysBetween(Func):
    """``end - start`` of two timestamps in (fractional) days."""

    output_field = FloatField()
    arg_joiner = " - "
    template = "(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)"

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template="(julianday(%(expressions)s))",
            arg_joiner=") - julianday(",
            **extra,
        )


# --- Filters ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardFilters(key_figures.Filters):
    """Field of action (projects, processes and ideas) and programme phase (projects). Unknown values are
    dropped."""

    @property
    def active(self) -> bool:
        return bool(self.field or self.phase)

    def project_query(self) -> dict[str, str]:
        """The same filters as GET parameters of the town's staff project list."""
        query = {}
        if self.field:
            query["field"] = self.field.slug
        if self.phase:
            query["phase"] = self.phase
        return query


def dashboard_filters(query, *, fields) -> DashboardFilters:
    from projects.models import Project

    slug, phase = query.get("field", ""), query.get("phase", "")
    field = next((f for f in fields if f.slug == slug), None)
    return DashboardFilters(field=field, phase=phase if phase in Project.Phase.values else "")


def _first_answers(qs):
    """Ideas that have an official answer, with the days from submission to the first one."""
    from participation.models import OfficialAnswer

    first = (
        OfficialAnswer._base_manager.filter(idea=OuterRef("pk"))
        .order_by()
        .values("idea")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    # Which ideas have an answer is the stored fact (``figures.answered``, a column of the row): the first answer
    # is then looked up for those only, once each.
    return (
        key_figures.answered(qs)
        .annotate(first_answer_at=Subquery(first))
        .annotate(days=DaysBetween(F("first_answer_at"), F("created_at")))
    )


# --- Figures ---------------------------------------------------------------------------------------------


def figure_annotations(*, filters: DashboardFilters, today: datetime.date) -> dict:
    """The Agentur's figures beyond the key figures of :mod:`agentur.figures` (same rules: own rows)."""
    from accounts.models import Membership, Role
    from funding.models import Grant
    from municipalities.models import AccessibilityFeedback
    from participation.models import Comment, Idea
    from participation.selectors.moderation import waiting_for_moderation
    from projects.models import ProgressUpdate, Project

    open_projects = key_figures.projects(filters).filter(status__in=Project.ACTIVE_STATUSES)
    recent = Exists(
        ProgressUpdate._base_manager.filter(
            project=OuterRef("pk"), published_on__gt=today - datetime.timedelta(days=STALE_AFTER_DAYS)
        )
    )
    annotations = {
        "projects_open": _count(open_projects),
        "projects_open_updated": _count(open_projects.filter(recent)),
        "first_grant": _scalar(
            Grant._base_manager.filter(municipality=OuterRef("pk")), Min("pk"), Grant._meta.pk, None
        ),
        # Counted in the town that owns the contribution (the lead town of a joint process): the town whose
        # moderation queue lists it and whose moderators decide on it.
        "moderation_open": (
            _count(
                Idea._base_manager.filter(
                    waiting_for_moderation(Idea, reported_in_sql=True), municipality=OuterRef("pk")
                )
            )
            + _count(
                Comment._base_manager.filter(
                    waiting_for_moderation(Comment, reported_in_sql=True), municipality=OuterRef("pk")
                )
            )
        ),
        "admins": _count(Membership._base_manager.filter(municipality=OuterRef("pk"), role=Role.ADMIN)),
        "editors": _count(Membership._base_manager.filter(municipality=OuterRef("pk"), role=Role.EDITOR)),
        "viewers": _count(Membership._base_manager.filter(municipality=OuterRef("pk"), role=Role.VIEWER)),
        "open_feedback": _count(
            AccessibilityFeedback._base_manager.filter(
                municipality=OuterRef("pk"), status=AccessibilityFeedback.Status.NEW
            )
        ),
    }
    if connection.vendor == "postgresql":
        annotations["answer_days_median"] = _scalar(
            _first_answers(key_figures.ideas(filters)), Median("days"), FloatField(), None
        )
    return annotations


def _median_days_python(*, towns, filters: DashboardFilters) -> dict[int, float | None]:
    """SQLite has no percentile function: the days to the first answer per idea (the published ideas of the
    town's own processes, as ``figures.ideas``), the median in Python (one query, only on SQLite)."""
    from participation.models import Idea

    qs = Idea.objects.visible().filter(municipality__in=[town.pk for town in towns])
    if filters.field:
        qs = qs.filter(field_of_action=filters.field)
    days: dict[int, list[float]] = {town.pk: [] for town in towns}
    for town_id, value in _first_answers(qs).values_list("municipality_id", "days"):
        days.setdefault(town_id, []).append(value)
    return {town: statistics.median(values) if values else None for town, values in days.items()}


@dataclass(frozen=True)
class Quarter:
    start: datetime.date
    end: datetime.date  # exclusive

    @property
    def label(self) -> str:
        return f"Q{(self.start.month - 1) // 3 + 1}/{self.start.year}"

    def aware(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def last_quarters(today: datetime.date, count: int = TREND_QUARTERS) -> list[Quarter]:
    """The ``count`` quarters up to and including today's, oldest first."""
    year, index = today.year, (today.month - 1) // 3
    quarters = []
    for _step in range(count):
        start = datetime.date(year, index * 3 + 1, 1)
        end = datetime.date(year + (index == 3), (index + 1) % 4 * 3 + 1, 1)
        quarters.append(Quarter(start, end))
        year, index = (year - 1, 3) if index == 0 else (year, index - 1)
    return quarters[::-1]


TRENDS = ("updates", "ideas", "called")
# The Agentur's own figures that add up over the towns (each row has one owning town).
ADDITIVE = (
    "projects_open",
    "projects_open_updated",
    "moderation_open",
    "admins",
    "editors",
    "viewers",
    "open_feedback",
)


def trend_annotations(*, filters: DashboardFilters, quarters: list[Quarter]) -> dict:
    from funding.models import DisbursementRequest
    from projects.models import ProgressUpdate

    # Updates count for the town whose staff posted them (a partner's update on a joint project: the partner).
    updates = key_figures.filter_projects(
        ProgressUpdate._base_manager.filter(municipality=OuterRef("pk")), filters, "project__"
    )
    ideas = key_figures.ideas(filters)
    called = DisbursementRequest._base_manager.filter(
        municipality=OuterRef("pk"), status__in=DisbursementRequest.CALLED
    )
    annotations = {}
    for i, quarter in enumerate(quarters):
        annotations[f"updates_{i}"] = _count(
            updates.filter(published_on__gte=quarter.start, published_on__lt=quarter.end)
        )
        annotations[f"ideas_{i}"] = _count(
            ideas.filter(
                created_at__gte=quarter.aware(quarter.start), created_at__lt=quarter.aware(quarter.end)
            )
        )
        annotations[f"called_{i}"] = _sum(
            called.filter(submitted_on__gte=quarter.start, submitted_on__lt=quarter.end)
        )
    return annotations


def town_figures(
    *, towns, filters: DashboardFilters, today: datetime.date | None = None, versions: dict | None = None
) -> dict:
    """The figures of every town in ``towns`` and their trends per quarter: each town's row from the cache while
    its version has not moved (the figures' channel of :mod:`municipalities.freshness`), the others counted in one query (two on
    SQLite). Runs in the caller's (cross-town) scope."""
    today = today or timezone.localdate()
    quarters = last_quarters(today)
    pks = [town.pk for town in towns]
    by_pk = {town.pk: town for town in towns}

    def finish(rows: dict) -> None:
        if connection.vendor != "postgresql":
            counted = [by_pk[pk] for pk in rows]
            for pk, median in _median_days_python(towns=counted, filters=filters).items():
                if pk in rows:
                    rows[pk]["answer_days_median"] = median

    found = key_figures.town_figures(
        towns=towns,
        filters=filters,
        today=today,
        extra_name="agentur",
        finish=finish,
        versions=versions,
        extra=lambda: {
            **figure_annotations(filters=filters, today=today),
            **trend_annotations(filters=filters, quarters=quarters),
        },
    )
    figures = {pk: found[pk].values for pk in pks}
    trends = {
        name: [(by_pk[pk], [figures[pk][f"{name}_{i}"] for i in range(len(quarters))]) for pk in pks]
        for name in TRENDS
    }
    return {
        "towns": towns,
        "figures": [figures[pk] for pk in pks],
        "key_figures": [found[pk] for pk in pks],
        "totals": key_figures.region_totals(
            [found[pk] for pk in pks], keys=[*key_figures.key_names(), *ADDITIVE]
        ),
        "trends": trends,
        "quarters": quarters,
        "today": today,
    }


# --- The table -------------------------------------------------------------------------------------------


@dataclass
class Cell:
    value: object
    kind: str = "count"  # count, percent, eur, days
    url: str = ""
    note: str = ""  # e.g. "3/4" beside a percentage
    town: "Municipality | None" = None
    joint: int | None = None  # joint rows another town leads with this one as a partner ("+N gemeinsam")
    joint_url: str = ""  # the list of those joint rows


def _percent(part, whole) -> Decimal | None:
    return key_figures.absorption(part, whole)


_TOWN = "sc5-town-placeholder"  # a valid slug that no town has (the slug is substituted after reversing)


@functools.lru_cache(maxsize=1024)
def _reversed(name: str, prefix: str, kwargs: tuple) -> str:
    return reverse(name, kwargs={"town_slug": _TOWN, **dict(kwargs)})


def _url(name: str, municipality, query: dict | None = None, fragment: str = "", **kwargs) -> str:
    """The address of a town's page: reversed once per route (and script prefix), the town's slug put in; the
    table has a link in every cell (about 1,400 for 50 towns)."""
    url = _reversed(name, get_script_prefix(), tuple(sorted(kwargs.items()))).replace(
        _TOWN, municipality.slug, 1
    )
    if query:
        url += "?" + urlencode(query)
    return url + (f"#{fragment}" if fragment else "")


@dataclass(frozen=True)
class _AnyTown:
    slug: str = _TOWN


def _url_pattern(name: str, query: dict | None = None, fragment: str = ""):
    """A function of (town, figures) giving the address of ``name`` for the town, built once for the whole row."""
    pattern = _url(name, _AnyTown(), query, fragment)
    return lambda town, row: pattern.replace(_TOWN, town.slug, 1)


def _milestones_url(state: str):
    """One grant: its milestone page filtered by ``state``; several: the grant list, which shows the counts per
    grant."""

    def url(town, row) -> str:
        if row["grants"] == 1:
            return _url("funding:milestones", town, {"state": state}, pk=row["first_grant"])
        return _url("funding:list", town)

    return url


def table_sections(data: dict, *, filters: DashboardFilters) -> list[dict]:
    """The table, figure by figure (rows), town by town (columns), each cell with the link to its list, and the
    region's total (the sum over the towns; each row counts once, under the town that owns it)."""
    from projects.models import Project

    rows = list(zip(data["towns"], data["figures"], strict=True))
    totals = data["totals"]
    project_query = filters.project_query()

    def line(
        key,
        label,
        value,
        *,
        kind="count",
        url=None,
        note=None,
        help_text="",
        joint=False,
        joint_url=None,
        total=None,
    ):
        """A row: ``value``, ``url``, ``note`` and ``joint_url`` are functions of (town, figures of the town);
        ``joint``: the row has a ``<key>_joint`` figure; ``total``: a function of the region's totals (the sum of
        ``key`` if not given; none for a median)."""
        cells = [
            Cell(
                value(row),
                kind,
                url(town, row) if url else "",
                note(row) if note else "",
                town,
                row[f"{key}_joint"] if joint else None,
                joint_url(town, row) if joint_url else "",
            )
            for town, row in rows
        ]
        region = total(totals) if total else totals.get(key)
        return {
            "key": key,
            "label": label,
            "help": help_text,
            "cells": cells,
            # Built when the template asks for it (it calls it), not for the API, which reads the cells.
            "cells_html": functools.partial(cells_html, cells, label),
            "total": Cell(region, kind),
        }

    def figure(key):
        return lambda row: row[key]

    town_url = _url_pattern

    def status_url(status, lead="ja"):
        """The town's staff project list: the projects it leads (``lead=ja``), or the joint ones a partner town
        leads (``lead=nein``), as the figure and its "+N gemeinsam" count them."""
        return town_url("projects:staff-list", {"status": status, "lead": lead, **project_query})

    projects = [
        line(
            f"projects_{status}",
            label,
            figure(f"projects_{status}"),
            url=status_url(status),
            joint=True,
            joint_url=status_url(status, "nein"),
        )
        for status, label in Project.Status.choices
    ]
    projects.append(
        line(
            "projects_updated",
            _("Open projects with an update in the last %(days)s days") % {"days": STALE_AFTER_DAYS},
            lambda row: _percent(row["projects_open_updated"], row["projects_open"]),
            kind="percent",
            url=town_url("agentur:staff-dashboard", fragment="projects-heading"),
            note=lambda row: f"{row['projects_open_updated']}/{row['projects_open']}",
            total=lambda t: _percent(t["projects_open_updated"], t["projects_open"]),
            help_text=_(
                "Open projects the town leads: planned, in progress or paused. The link leads to the town's "
                "projects without a recent update."
            ),
        )
    )
    grants = town_url("funding:list", fragment="grant-totals")
    funding = [
        line("milestones_done", _("Milestones done"), figure("milestones_done"), url=_milestones_url("done")),
        line(
            "milestones_at_risk",
            _("Milestones at risk"),
            figure("milestones_at_risk"),
            url=_milestones_url("at_risk"),
            help_text=_("Open and due within 30 days."),
        ),
        line(
            "milestones_overdue",
            _("Milestones overdue"),
            figure("milestones_overdue"),
            url=_milestones_url("overdue"),
        ),
        line("approved", _("Approved federal share"), figure("approved"), kind="eur", url=grants),
        line(
            "called",
            _("Called from the funder"),
            figure("called"),
            kind="eur",
            url=grants,
            help_text=_("Disbursement requests submitted or paid."),
        ),
        line("spent", _("Spent"), figure("spent"), kind="eur", url=grants),
        line(
            "absorption",
            _("Absorption rate"),
            lambda row: _percent(row["called"], row["approved"]),
            kind="percent",
            url=grants,
            total=lambda t: _percent(t["called"], t["approved"]),
            help_text=_("Called ÷ approved federal share."),
        ),
    ]
    idea_query = {"moderation": "published"}
    if filters.field:
        idea_query["field_of_action"] = filters.field.slug

    def idea_url(lead="ja", **query):
        """The town's staff idea list: published ideas of the processes it runs (``lead=ja``), or of the joint
        processes a partner town runs (``lead=nein``), as the figure and its "+N gemeinsam" count them."""
        return town_url("participation:staff-ideas", {**query, **idea_query, "lead": lead})

    ideas, answered = idea_url(), idea_url(answered="yes")
    participation = [
        line(
            "processes",
            _("Published processes"),
            figure("processes"),
            url=town_url("participation:staff-overview"),
            joint=True,
        ),
        line(
            "ideas_received",
            _("Ideas received"),
            figure("ideas_received"),
            url=ideas,
            joint=True,
            joint_url=idea_url("nein"),
            help_text=_("Published ideas in the town's own processes."),
        ),
        line(
            "ideas_answered",
            _("Ideas answered"),
            figure("ideas_answered"),
            url=answered,
            joint=True,
            joint_url=idea_url("nein", answered="yes"),
            help_text=_("Ideas with at least one official answer."),
        ),
        line(
            "answer_days",
            _("Median days to the first official answer"),
            figure("answer_days_median"),
            kind="days",
            url=answered,
            total=lambda t: None,
        ),
        line(
            "moderation_open",
            _("Open moderation items"),
            figure("moderation_open"),
            url=town_url("participation:staff-moderation"),
            help_text=_(
                "Ideas and comments waiting for moderation, hidden after reports, or reported "
                "and still visible."
            ),
        ),
    ]
    team = [
        line("admins", _("Administrators"), figure("admins")),
        line("editors", _("Editors"), figure("editors")),
        line("viewers", _("Viewers"), figure("viewers")),
        line(
            "open_feedback",
            _("New accessibility reports"),
            figure("open_feedback"),
            url=town_url("municipalities:staff-feedback", {"status": "new"}),
        ),
    ]
    return [
        {"id": "projects", "title": _("Projects"), "filtered": filters.active, "rows": projects},
        {"id": "funding", "title": _("Funding"), "filtered": False, "rows": funding},
        {
            "id": "participation",
            "title": _("Participation"),
            "filtered": bool(filters.field),
            "rows": participation,
        },
        {"id": "team", "title": _("Staff and accessibility"), "filtered": False, "rows": team},
    ]


def _cell_value(cell: Cell) -> str:
    """A cell's value as the table shows it (escaped): euros, a percentage, days with one decimal, or a count."""
    from smartcity5.templatetags.formats import DASH, eur, pct

    if cell.kind == "eur":
        return conditional_escape(eur(cell.value))
    if cell.kind == "percent":
        return conditional_escape(pct(cell.value))
    if cell.kind == "days":
        return DASH if cell.value is None else conditional_escape(floatformat(cell.value, 1))
    return conditional_escape(str(localize(cell.value)))


def cells_html(cells: list[Cell], label) -> str:
    """The town cells of one row of the table, as HTML: built here rather than by the template (about 1,400 cells
    at 50 towns, a fifth of a second through the template engine for every change of a town's figures). Each cell
    links to its list, with the figure and the town for screen readers, and "+N gemeinsam" beside it."""
    label = conditional_escape(label)
    joint_text = gettext("+%(count)s joint")
    parts = []
    for cell in cells:
        town = cell.town
        value = _cell_value(cell)
        if cell.url:
            value = (
                f'<a href="{conditional_escape(cell.url)}">{value}<span class="kern-sr-only"> – {label}, '
                f"{conditional_escape(getattr(town, 'name', ''))}</span></a>"
            )
        if cell.joint:
            text = joint_text % {"count": conditional_escape(localize(cell.joint))}
            if cell.joint_url:
                text = f'<a href="{conditional_escape(cell.joint_url)}">{text}</a>'
            value += f' <span class="kern-body--small sc5-joint">{text}</span>'
        if cell.note:
            value += f'<br><span class="kern-body--small">{conditional_escape(cell.note)}</span>'
        parts.append(
            '<td class="kern-table__cell kern-table__cell--numeric sc5-num" '
            f'data-town="{conditional_escape(getattr(town, "slug", ""))}">{value}</td>'
        )
    return mark_safe("\n      ".join(parts))


def _format_count(value) -> str:
    return number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)


def trend_charts(data: dict) -> list[dict]:
    """The three trend charts, each with the figures behind it (for the table beside it)."""
    from funding.money import format_eur

    quarters = data["quarters"]
    specs = (
        (
            "updates",
            _("Progress updates per quarter"),
            _("Progress updates posted by each town's staff, per quarter."),
            _format_count,
        ),
        (
            "ideas",
            _("Ideas per quarter"),
            _("Ideas received in each town's processes, per quarter."),
            _format_count,
        ),
        (
            "called",
            _("Funds called per quarter"),
            _("Disbursement requests submitted to the funder by each town, per quarter of submission."),
            format_eur,
        ),
    )
    # Each chart is drawn once for what it shows (language, quarters, each town's name and values) and kept: a
    # write in one town changes one or two of the three, and drawing one costs about 20 ms at 50 towns.
    keys = {
        name: f"{freshness.KEY_PREFIX}:agentur-chart:"
        + hashlib.sha256(
            repr(
                (
                    name,
                    get_language(),
                    [quarter.label for quarter in quarters],
                    [(town.pk, town.name, values) for town, values in data["trends"][name]],
                )
            ).encode()
        ).hexdigest()
        for name, *_rest in specs
    }
    drawn = cache.get_many(list(keys.values()))
    charts, new = [], {}
    for name, title, summary, formatter in specs:
        series = data["trends"][name]
        parts = drawn.get(keys[name])
        if parts is None:
            parts = new[keys[name]] = {
                "svg": trend_chart_svg(
                    title=str(title),
                    summary=str(summary),
                    quarters=quarters,
                    series=series,
                    formatter=formatter,
                ),
                "rows": [
                    {"quarter": quarter, "values": [formatter(values[i]) for _town, values in series]}
                    for i, quarter in enumerate(quarters)
                ],
            }
        charts.append({"id": name, "title": title, "summary": summary, **parts})
    if new:
        cache.set_many(new, freshness.CACHE_SECONDS)
    return charts
