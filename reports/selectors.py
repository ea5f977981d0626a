"""Reads of the reports app: the report lists of a town and of the Agentur, and the figures each report shows.

The figure functions run inside the scope the task entered: a town's scope for town and funding reports, an
audited cross-town scope of all active towns for the region report. Every one costs a fixed number of queries,
whatever the number of rows (projects and indicators are fetched with their measurements prefetched).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from agentur import figures as key_figures
from funding import selectors as funding_selectors
from funding.models import BudgetLine, CostType, DisbursementRequest, Grant, Spending
from municipalities.models import Municipality
from municipalities.scoping import cross_town_scope
from municipalities.selectors import lead_town
from participation.models import Moderation, Process, Support
from participation.selectors import moderation as moderation_selectors
from projects.models import Indicator, Measurement, Project
from projects.selectors import lists as lists_selectors
from projects.selectors import progress as progress_selectors

from .models import ReportRequest

if TYPE_CHECKING:
    from accounts.permissions import AnyUser

ZERO = Decimal("0.00")


# --- Lists -----------------------------------------------------------------------------------------------


def visible_report_kinds(*, user: AnyUser, municipality: Municipality) -> tuple[str, ...]:
    """Which of the town's reports a staff member sees: funding reports only with ``funding.view``."""
    from accounts.permissions import can_view_funding

    if can_view_funding(user, municipality):
        return ReportRequest.TOWN_KINDS
    return (ReportRequest.Kind.TOWN,)


def town_reports(
    *, municipality: Municipality, kinds: Iterable[str] = ReportRequest.TOWN_KINDS
) -> QuerySet[ReportRequest]:
    """The town's own reports (town and funding reports; never the region report the lead town keeps)."""
    return ReportRequest.objects.filter(municipality=municipality, kind__in=kinds).select_related(
        "requested_by", "grant", "municipality"
    )


def report_lead_town() -> Municipality | None:
    """The town that owns region reports: ``municipalities.selectors.lead_town``."""
    return lead_town()


def region_reports(*, user: AnyUser, path: str) -> list[ReportRequest]:
    """The region reports, for the Agentur's page: an audited cross-town read of the lead town's rows."""
    town = report_lead_town()
    if town is None:
        return []
    with cross_town_scope(purpose="agentur:region-reports", user=user, path=path, municipalities=[town]):
        return list(
            ReportRequest.objects.filter(kind=ReportRequest.Kind.REGION).select_related(
                "requested_by", "municipality"
            )[:50]
        )


def region_report_get(*, user: AnyUser, path: str, pk: int) -> ReportRequest:
    """One region report (audited); raises ``ReportRequest.DoesNotExist`` for any other row."""
    town = report_lead_town()
    if town is None:
        raise ReportRequest.DoesNotExist
    with cross_town_scope(purpose="agentur:region-report", user=user, path=path, municipalities=[town]):
        return ReportRequest.objects.select_related("municipality").get(kind=ReportRequest.Kind.REGION, pk=pk)


# --- Town report -----------------------------------------------------------------------------------------


@dataclass
class TownReportData:
    """The town report. Its headline figures are the town's key figures (``figures``, from
    ``agentur.figures``, as on the dashboards and in the region report): projects the town leads and
    ideas in the processes it runs, with the joint ones of partner towns beside them ("+N gemeinsam"). The lists
    (``projects``, ``indicators``, ``processes``) show everything the town takes part in, joint rows included."""

    municipality: Municipality
    today: datetime.date
    strategy: object = None
    figures: key_figures.TownFigures | None = None
    projects: list[Any] = field(default_factory=list)
    indicators: list[Any] = field(default_factory=list)
    processes: list[Any] = field(default_factory=list)
    participation: dict[str, Any] = field(default_factory=dict)

    @property
    def projects_by_status(self) -> list[tuple[str, int, int]]:
        """(status, projects the town leads, joint projects a partner town leads) for every status."""
        joint = self.figures.projects_joint  # type: ignore[union-attr]  # town_report sets the figures
        return [(status, count, joint[status]) for status, count in self.figures.projects.items()]  # type: ignore[union-attr]


def town_projects(*, municipality: Municipality) -> list[Project]:
    """Every project of the town in scope (led or joint, public or internal), by title, with list facts."""
    return list(progress_selectors.with_list_facts(Project.objects.all()).order_by("title"))


def town_indicators() -> list[Indicator]:
    """The KPIs of the projects in scope with their measurements (two queries)."""
    return list(
        Indicator.objects.select_related("project")
        .prefetch_related(
            Prefetch("measurements", queryset=Measurement.objects.order_by("measured_on", "pk"))
        )
        .order_by("project__title", "position", "pk")
    )


def town_participation(*, municipality: Municipality) -> tuple[list[Any], dict[str, int]]:
    """The town's processes (joint ones included) with their idea counts, and the participation figures beside
    the key figures: supports of the ideas in the processes the town runs (counted like its ideas) and
    contributions waiting for moderation (as the town's moderation queue counts them)."""
    processes = list(
        Process.objects.select_related("municipality")
        .annotate(
            idea_count=Count("ideas", filter=Q(ideas__moderation=Moderation.PUBLISHED), distinct=True),
        )
        .order_by("-created_at", "title")
    )
    figures = {
        "supports": Support.objects.filter(municipality=municipality).count(),
        "waiting": moderation_selectors.moderation_count(),
    }
    return processes, figures


def town_report_data(*, municipality: Municipality, today: datetime.date | None = None) -> TownReportData:
    """Everything the town report shows (call inside the town's scope)."""
    today = today or timezone.localdate()
    data = TownReportData(municipality=municipality, today=today)
    data.strategy = lists_selectors.strategy_for(municipality=municipality)
    data.figures = key_figures.town_figures(towns=[municipality], today=today)[municipality.pk]
    data.projects = town_projects(municipality=municipality)
    data.indicators = town_indicators()
    data.processes, data.participation = town_participation(municipality=municipality)
    return data


# --- Funding report --------------------------------------------------------------------------------------


def funding_report_data(*, grant: Grant, today: datetime.date | None = None) -> dict[str, Any]:
    """Ledger and milestones of one grant (call inside its town's scope)."""
    today = today or timezone.localdate()
    spending_by_type = list(
        Spending.objects.filter(grant=grant)
        .order_by()
        .values("cost_type")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .order_by("cost_type")
    )
    for row in spending_by_type:
        row["label"] = CostType(row["cost_type"]).label
    return {
        "grant": grant,
        "today": today,
        "figures": funding_selectors.grant_figures(grant, today=today),
        "matrix": funding_selectors.budget_matrix(grant),
        "spending_by_type": spending_by_type,
        "spendings": list(funding_selectors.spendings(grant)),
        "disbursements": list(funding_selectors.disbursements(grant)),
        "milestones": list(funding_selectors.milestone_timeline(grant, today=today)),
        "proofs": list(funding_selectors.proofs(grant)),
    }


# --- Region report ---------------------------------------------------------------------------------------


@dataclass
class TownRow:
    municipality: Municipality | None  # None: the region's row
    projects: dict[str, int] = field(default_factory=dict)
    projects_joint: dict[str, int] = field(
        default_factory=dict
    )  # joint projects of other lead towns it takes part in
    federal_share: Decimal = ZERO
    called: Decimal = ZERO
    spent: Decimal = ZERO
    milestones: dict[str, int] = field(default_factory=dict)
    ideas: int = 0
    answered: int = 0
    ideas_joint: int = 0  # published ideas in joint processes other towns run

    @property
    def project_total(self) -> int:
        return sum(self.projects.values())

    @property
    def project_total_joint(self) -> int:
        return sum(self.projects_joint.values())

    @property
    def absorption(self) -> Decimal | None:
        return key_figures.absorption(self.called, self.federal_share)


def _town_row(figures: key_figures.TownFigures) -> TownRow:
    return TownRow(
        municipality=figures.municipality,
        projects=figures.projects,
        projects_joint=figures.projects_joint,
        federal_share=figures["approved"],
        called=figures["called"],
        spent=figures["spent"],
        milestones=figures.milestones,
        ideas=figures["ideas_received"],
        answered=figures["ideas_answered"],
        ideas_joint=figures["ideas_received_joint"],
    )


def region_report_data(*, towns: list[Municipality], today: datetime.date | None = None) -> dict[str, Any]:
    """One row per town (projects led by status, funding approved / called / spent, milestones, published ideas:
    the key figures of ``agentur.figures``, so each joint project counts once, under its lead town) and
    the region's federal funds per year. Call inside a cross-town scope of ``towns``; four queries in all."""
    today = today or timezone.localdate()
    figures = key_figures.town_figures(towns=towns, today=today)
    town_rows = [_town_row(figures[town.pk]) for town in towns]
    region = key_figures.region_totals([figures[town.pk] for town in towns])
    totals = TownRow(
        municipality=None,
        projects={s: region[f"projects_{s}"] for s in Project.Status.values},
        federal_share=region["approved"],
        called=region["called"],
        spent=region["spent"],
        milestones={s: region[f"milestones_{s}"] for s in key_figures.MILESTONE_STATES},
        ideas=region["ideas_received"],
        answered=region["ideas_answered"],
    )

    # Federal funds per year across the region: the plan's federal share at each grant's own rate.
    rates = dict(Grant.objects.values_list("pk", "funding_rate"))
    years: dict[int, dict[str, Any]] = {}
    for item in BudgetLine.objects.order_by().values("grant", "year").annotate(total=Sum("amount")):
        from funding import money

        share = money.federal_share(item["total"], rates[item["grant"]])
        years.setdefault(item["year"], {"year": item["year"], "planned": ZERO, "called": ZERO, "paid": ZERO})
        years[item["year"]]["planned"] += share
    for item in (
        DisbursementRequest.objects.order_by()
        .values("year")
        .annotate(
            called=Sum("amount", filter=funding_selectors.CALLED),
            paid=Sum("amount", filter=funding_selectors.PAID),
        )
    ):
        target = years.setdefault(
            item["year"], {"year": item["year"], "planned": ZERO, "called": ZERO, "paid": ZERO}
        )
        target["called"], target["paid"] = item["called"] or ZERO, item["paid"] or ZERO
    return {"today": today, "rows": town_rows, "totals": totals, "years": [years[y] for y in sorted(years)]}
