"""The key figures of a town, one definition each, for every page and file that shows them.

The Agentur dashboard (``agentur.dashboard``), each town's staff dashboard (``agentur.views.staff_dashboard``), the region and town reports
(``reports.selectors.region_report_data``, ``town_report_data``) and the API (``/api/v1/agentur/towns/``, through
the dashboard) read these figures from here and nowhere else, so a number means the same everywhere:

* **A row counts once, for the town that owns it.** A joint project counts for its lead town; a process and its
  ideas count for the town that runs the process. Summed over the towns, every figure is the region's total.
* **Joint rows of a partner town** are counted apart (``<figure>_joint``) and shown beside the town's own count
  as "+N gemeinsam"; they never enter the town's figure or the region's total.
* **Projects** by status (internal ones included), **processes** (published), **ideas received** (published
  ideas) and **ideas answered** (published ideas with at least one official answer); **funding**: approved
  federal share, called (disbursement requests submitted or paid), spent, milestones by state and the absorption
  rate (Mittelabflussquote = called ÷ approved federal share).

Everything is one query over the towns with a correlated scalar subquery per figure, whatever the number of
towns or rows. It runs in the caller's scope (a town's, or an audited cross-town scope), which must hold the
towns asked for: the outer query over the towns keeps only those (:func:`towns_in_scope`), and the subqueries read
the rows of the outer town with the models' base managers. Each of them is bound to that town (its own rows, or
the joint rows it is a partner of), which the scope admits anyway; repeating the scope's shared-row condition in
each of some 150 subqueries only cost planning time and kept PostgreSQL from counting from an index alone.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, DecimalField, Exists, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

if TYPE_CHECKING:
    from municipalities.models import Municipality
    from projects.models import FieldOfAction

AMOUNT = DecimalField(max_digits=16, decimal_places=2)
ZERO = Decimal("0.00")
MILESTONE_STATES = ("done", "waived", "overdue", "at_risk", "open")
AMOUNTS = ("approved", "called", "spent")


# --- SQL helpers -----------------------------------------------------------------------------------------


def scalar(qs, aggregate, output_field, default):
    """One aggregate over ``qs`` (correlated with the outer town) as a scalar subquery; ``default`` if empty.

    Grouping by a constant leaves the GROUP BY empty: one row per outer town."""
    inner = qs.order_by().annotate(_one=Value(1)).values("_one").annotate(result=aggregate).values("result")
    if default is None:
        return Subquery(inner, output_field=output_field)
    return Coalesce(Subquery(inner, output_field=output_field), Value(default), output_field=output_field)


def count(qs):
    return scalar(qs, Count("pk"), IntegerField(), 0)


def amount(qs, column: str = "amount"):
    return scalar(qs, Sum(column), AMOUNT, ZERO)


def towns_in_scope(pks):
    """The towns of ``pks`` that the active scope holds (all of them with the scope disabled); outside a scope
    :class:`~municipalities.scoping.ScopeError`, as every read of a town-owned model."""
    from django_scopes.state import get_scope

    from municipalities.scoping import ScopeError

    current = get_scope()
    if not current.get("_enabled", True):
        return list(pks)
    if "municipality" not in current:
        raise ScopeError("The key figures are read inside a scope that holds the towns.")
    value = current["municipality"]
    if value is None:
        return list(pks)
    held = {int(pk) for pk in (value if isinstance(value, list | tuple) else [value])}
    return [pk for pk in pks if int(pk) in held]


# --- The definitions -------------------------------------------------------------------------------------
# Each returns the rows of the outer town (``OuterRef("pk")`` of a Municipality query).


@dataclass(frozen=True)
class Filters:
    """Field of action (projects, processes, ideas) and programme phase (projects); empty: no filter."""

    field: "FieldOfAction | None" = None
    phase: str = ""


NO_FILTERS = Filters()


def filter_projects(qs, filters: Filters, prefix: str = ""):
    from projects.models import Project

    if filters.field:
        tagged = Project._base_manager.filter(fields_of_action=filters.field).values("pk")
        qs = qs.filter(**{f"{prefix}pk__in": tagged})
    if filters.phase:
        qs = qs.filter(**{f"{prefix}phase": filters.phase})
    return qs


def projects(filters: Filters = NO_FILTERS, *, joint: bool = False):
    """Projects the outer town leads; ``joint``: those another town leads with it as a partner."""
    from projects.models import Project, ProjectPartner

    if joint:
        partner = ProjectPartner._base_manager.filter(
            project=OuterRef("pk"), municipality=OuterRef(OuterRef("pk"))
        )
        qs = Project._base_manager.filter(Exists(partner))
    else:
        qs = Project._base_manager.filter(municipality=OuterRef("pk"))
    return filter_projects(qs, filters)


def processes(filters: Filters = NO_FILTERS, *, joint: bool = False):
    """Published processes the outer town runs; ``joint``: those another town runs with it as a partner."""
    from participation.models import Process, ProcessPartner

    if joint:
        partner = ProcessPartner._base_manager.filter(
            process=OuterRef("pk"), municipality=OuterRef(OuterRef("pk"))
        )
        qs = Process._base_manager.filter(Exists(partner))
    else:
        qs = Process._base_manager.filter(municipality=OuterRef("pk"))
    qs = qs.filter(is_published=True)
    if filters.field:
        qs = qs.filter(field_of_action=filters.field)
    return qs


def ideas(filters: Filters = NO_FILTERS, *, joint: bool = False):
    """Published ideas in the processes the outer town runs; ``joint``: in processes another town runs with it
    as a partner. (An idea belongs to its process's town.)"""
    from participation.models import Idea, Moderation, ProcessPartner

    if joint:
        partner = ProcessPartner._base_manager.filter(
            process=OuterRef("process"), municipality=OuterRef(OuterRef("pk"))
        )
        qs = Idea._base_manager.filter(Exists(partner))
    else:
        qs = Idea._base_manager.filter(municipality=OuterRef("pk"))
    qs = qs.filter(moderation=Moderation.PUBLISHED)  # ``visible()``, the public's one rule
    if filters.field:
        qs = qs.filter(field_of_action=filters.field)
    return qs


def answered(qs):
    """Of ``qs`` (ideas), those with at least one official answer (the stored fact, ``participation.selectors``)."""
    from participation.selectors.facts import answered as has_answer

    return qs.filter(has_answer())


def called_requests():
    """Disbursement requests of the outer town filed with the funder (submitted or paid)."""
    from funding.models import DisbursementRequest

    return DisbursementRequest._base_manager.filter(
        municipality=OuterRef("pk"), status__in=DisbursementRequest.CALLED
    )


def annotations(*, filters: Filters = NO_FILTERS, today: datetime.date) -> dict:
    """The key figures as annotations of a Municipality query (one correlated subquery each)."""
    from funding.models import Grant, Milestone, Spending
    from funding.selectors import milestone_state_expression
    from projects.models import Project

    result = {}
    for joint, suffix in ((False, ""), (True, "_joint")):
        own = projects(filters, joint=joint)
        for status in Project.Status.values:
            result[f"projects_{status}{suffix}"] = count(own.filter(status=status))
        result[f"processes{suffix}"] = count(processes(filters, joint=joint))
        received = ideas(filters, joint=joint)
        result[f"ideas_received{suffix}"] = count(received)
        result[f"ideas_answered{suffix}"] = count(answered(received))
    # Not annotated as ``state``: the name of Milestone's own method, which the type checker would see shadowed.
    milestones = Milestone._base_manager.filter(municipality=OuterRef("pk")).annotate(
        derived_state=milestone_state_expression(today)
    )
    result.update(
        {f"milestones_{state}": count(milestones.filter(derived_state=state)) for state in MILESTONE_STATES}
    )
    grants = Grant._base_manager.filter(municipality=OuterRef("pk"))
    result.update(
        grants=count(grants),
        approved=amount(grants, "federal_share"),
        called=amount(called_requests()),
        spent=amount(Spending._base_manager.filter(municipality=OuterRef("pk"))),
    )
    return result


# --- The figures of a town -------------------------------------------------------------------------------


@dataclass
class TownFigures:
    """The key figures of one town (``values``: figure key → value, as :func:`annotations` names them)."""

    municipality: "Municipality"
    values: dict

    def __getitem__(self, key):
        return self.values[key]

    @property
    def projects(self) -> dict[str, int]:
        """Projects the town leads, by status (every status, zero if none)."""
        from projects.models import Project

        return {status: self.values[f"projects_{status}"] for status in Project.Status.values}

    @property
    def projects_joint(self) -> dict[str, int]:
        """Joint projects another town leads with this one as a partner, by status."""
        from projects.models import Project

        return {status: self.values[f"projects_{status}_joint"] for status in Project.Status.values}

    @property
    def project_total(self) -> int:
        return sum(self.projects.values())

    @property
    def project_total_joint(self) -> int:
        return sum(self.projects_joint.values())

    @property
    def milestones(self) -> dict[str, int]:
        return {state: self.values[f"milestones_{state}"] for state in MILESTONE_STATES}

    @property
    def absorption(self) -> Decimal | None:
        """Mittelabflussquote: called ÷ approved federal share, in percent (None without an approved share)."""
        return absorption(self.values["called"], self.values["approved"])


def absorption(called, approved) -> Decimal | None:
    from funding import money

    return money.percent(called, approved)


def town_figures(
    *,
    towns,
    filters: Filters = NO_FILTERS,
    today: datetime.date | None = None,
    extra=None,
    extra_name: str = "",
    finish=None,
    versions: dict | None = None,
) -> dict[int, TownFigures]:
    """The key figures of each town in ``towns`` (town pk → :class:`TownFigures`).

    Each town's row comes from the cache while the town's version has not moved
    (the figures' channel of :mod:`municipalities.freshness`); the others are counted in one query. ``extra`` (a dict, or a function
    giving one, called only when something is counted) adds annotations of the caller's own (the Agentur
    dashboard's staff and trend figures) to the same query, and ``finish(rows)`` may complete the counted rows
    (town pk → row) in place; ``extra_name`` names that set for the cache (without a name nothing is cached).
    ``versions``: the towns' versions if the caller has read them already.
    Call inside a scope that holds the towns."""
    from municipalities import freshness
    from municipalities.models import Municipality

    today = today or timezone.localdate()
    by_pk = {town.pk: town for town in towns}

    key = f"{extra_name or 'key'}:{getattr(filters.field, 'pk', '')}:{filters.phase}:{today.isoformat()}"

    def query(pks: list[int]):
        more = extra() if callable(extra) else (extra or {})
        return (
            Municipality.objects.filter(pk__in=pks)
            .order_by()
            .values("pk", **annotations(filters=filters, today=today), **more)
        )

    def compute(pks: list[int]) -> dict[int, dict]:
        pks = towns_in_scope(pks)
        if not pks:
            return {}
        if extra and not extra_name:
            found = list(query(pks))
        else:
            found = compiled_rows(name=f"agentur.figures:{key}", pks=pks, build=lambda: query(pks))
        rows = {row["pk"]: row for row in found}
        if finish is not None:
            finish(rows)
        return rows

    if extra and not extra_name:
        rows = compute(list(by_pk))
    else:
        rows = freshness.cached_rows(town_ids=list(by_pk), key=key, compute=compute, versions=versions)
    return {pk: TownFigures(municipality=by_pk[pk], values=row) for pk, row in rows.items() if pk in by_pk}


def compiled_rows(*, name: str, pks: list[int], build) -> list[dict]:
    """The rows of ``build()`` (a ``values()`` query over the towns ``pks``, ending in ``pk IN (…)``), its SQL
    compiled once per worker, scope, set of figures (``name``: filters and day) and number of towns
    (``municipalities.scoping.compiled_in_scope``): building and compiling some 150 subqueries cost more than
    counting one town's rows from its indexes after a write. PostgreSQL only (its drivers return the values the
    ORM would; elsewhere the query runs as it is). Nothing that ``build`` reads from the database may end up in the
    SQL's parameters (the figures' subqueries read every row at run time)."""
    from django.db import connection

    from municipalities.scoping import compiled_in_scope

    if connection.vendor != "postgresql":
        return list(build())
    count = len(pks)
    ((sql, params),) = compiled_in_scope(f"{name}:{count}", lambda: [build()])
    # The towns are the last parameters (``… WHERE id IN (%s, …)``, no ordering): put in the ones asked for.
    if not sql.endswith(f"IN ({', '.join(['%s'] * count)})"):
        return list(build())
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params[:-count], *pks))
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def key_names() -> list[str]:
    """The keys of the key figures that add up over the towns (the own rows; never the ``_joint`` ones)."""
    from projects.models import Project

    return [
        *(f"projects_{status}" for status in Project.Status.values),
        "processes",
        "ideas_received",
        "ideas_answered",
        *(f"milestones_{state}" for state in MILESTONE_STATES),
        "grants",
        "approved",
        "called",
        "spent",
    ]


def region_totals(figures, keys=None) -> dict:
    """The region's total of each figure in ``keys`` (the key figures unless given) over ``figures``: each row
    counts once, under the town that owns it, so the sum over the towns is the region's total."""
    keys = key_names() if keys is None else keys
    return {key: sum((item.values[key] for item in figures), ZERO if key in AMOUNTS else 0) for key in keys}
