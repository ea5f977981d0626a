"""Reads of the funding app: the derived figures of a grant, all summed in SQL.

Figures per grant and budget year:

* **planned**: the budget plan (eligible costs); **planned federal**: its federal share at the grant's rate;
* **spent**: actual spending charged to the grant (eligible costs);
* **called**: disbursement requests filed with the funder (submitted or paid), **paid**: those paid out;
* **absorption rate** (Mittelabflussquote): called ÷ approved federal share (per year: ÷ planned federal);
* **remaining**: approved federal share − called.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from . import money
from .models import BudgetLine, DisbursementRequest, FundingEvent, Grant, Milestone, ProofOfUse, Spending

ZERO = Decimal("0.00")
CALLED = Q(status__in=DisbursementRequest.CALLED)
PAID = Q(status=DisbursementRequest.Status.PAID)


def _amount_subquery(qs: QuerySet[Any]) -> Coalesce:
    """The sum of ``amount`` over ``qs`` per outer grant, as a correlated subquery (no join fan-out)."""
    total = (
        qs.filter(grant=OuterRef("pk"))
        .order_by()
        .values("grant")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(
        Subquery(total, output_field=DecimalField(max_digits=14, decimal_places=2)),
        Value(ZERO),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def grant_list() -> QuerySet[Grant]:
    """The grants of the town in scope with their totals (one query)."""
    return Grant.objects.annotate(
        planned=_amount_subquery(BudgetLine.objects.all()),
        spent=_amount_subquery(Spending.objects.all()),
        called=_amount_subquery(DisbursementRequest.objects.filter(CALLED)),
        paid=_amount_subquery(DisbursementRequest.objects.filter(PAID)),
        overdue_milestones=Coalesce(
            Subquery(
                Milestone.objects.filter(
                    grant=OuterRef("pk"), status=Milestone.Status.OPEN, due_on__lt=timezone.localdate()
                )
                .order_by()
                .values("grant")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            Value(0),
        ),
    ).order_by("-period_start", "title")


@dataclass
class GrantTotals:
    """The grants of a town added up: the town's approved federal share, called, spent and absorption rate, the
    same figures as ``agentur.figures`` gives the Agentur dashboard, the town dashboard and the region
    report (every disbursement request and spending belongs to a grant of its town)."""

    federal_share: Decimal = ZERO
    planned: Decimal = ZERO
    spent: Decimal = ZERO
    called: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def absorption(self) -> Decimal | None:
        return money.percent(self.called, self.federal_share)


def grant_totals(grants: Iterable[Any]) -> GrantTotals:
    """The sums over ``grants`` (from :func:`grant_list`, already fetched: no query); each grant gets its own
    ``absorption`` rate beside them."""
    totals = GrantTotals()
    for grant in grants:
        grant.absorption = money.percent(grant.called, grant.federal_share)
        for name in ("federal_share", "planned", "spent", "called", "paid"):
            setattr(totals, name, getattr(totals, name) + getattr(grant, name))
    return totals


def grant_get(*, pk: int) -> Grant:
    """A grant of the town in scope (raises ``Grant.DoesNotExist`` for others)."""
    return Grant.objects.get(pk=pk)


@dataclass
class YearFigures:
    year: int
    planned: Decimal = ZERO
    planned_federal: Decimal = ZERO
    spent: Decimal = ZERO
    called: Decimal = ZERO
    paid: Decimal = ZERO
    drafts: Decimal = ZERO

    @property
    def absorption(self) -> Decimal | None:
        return money.percent(self.called, self.planned_federal)

    @property
    def remaining_federal(self) -> Decimal:
        return self.planned_federal - self.called

    @property
    def overspent(self) -> bool:
        return self.spent > self.planned


@dataclass
class GrantFigures:
    grant: Grant
    years: list[YearFigures] = field(default_factory=list)
    planned: Decimal = ZERO
    spent: Decimal = ZERO
    called: Decimal = ZERO
    paid: Decimal = ZERO
    drafts: Decimal = ZERO
    milestones: dict[str, int] = field(default_factory=dict)
    next_milestone: Milestone | None = None
    next_proof: ProofOfUse | None = None

    @property
    def federal_share(self) -> Decimal:
        return self.grant.federal_share

    @property
    def own_share(self) -> Decimal:
        return self.grant.own_share

    @property
    def unplanned(self) -> Decimal:
        """Eligible costs not yet in the budget plan (negative: the plan exceeds the grant)."""
        return self.grant.eligible_costs - self.planned

    @property
    def remaining_federal(self) -> Decimal:
        return self.grant.federal_share - self.called

    @property
    def absorption(self) -> Decimal | None:
        return money.percent(self.called, self.grant.federal_share)

    @property
    def spent_rate(self) -> Decimal | None:
        return money.percent(self.spent, self.grant.eligible_costs)


def grant_figures(grant: Grant, *, today: datetime.date | None = None) -> GrantFigures:
    """Planned, spent, called and paid per year and in total, milestone counts by state, and the next
    open milestone and proof: six queries, whatever the number of rows."""
    today = today or timezone.localdate()
    years = {year: YearFigures(year) for year in grant.years()}

    def row(year: int) -> YearFigures:
        return years.setdefault(year, YearFigures(year))

    for item in (
        BudgetLine.objects.filter(grant=grant).order_by().values("year").annotate(total=Sum("amount"))
    ):
        row(item["year"]).planned = item["total"]
    for item in (
        Spending.objects.filter(grant=grant)
        .annotate(year=ExtractYear("spent_on"))
        .order_by()
        .values("year")
        .annotate(total=Sum("amount"))
    ):
        row(item["year"]).spent = item["total"]
    for item in (
        DisbursementRequest.objects.filter(grant=grant)
        .order_by()
        .values("year")
        .annotate(
            called=Sum("amount", filter=CALLED),
            paid=Sum("amount", filter=PAID),
            drafts=Sum("amount", filter=Q(status=DisbursementRequest.Status.DRAFT)),
        )
    ):
        target = row(item["year"])
        target.called, target.paid, target.drafts = (
            item["called"] or ZERO,
            item["paid"] or ZERO,
            item["drafts"] or ZERO,
        )
    ordered = [years[year] for year in sorted(years)]
    for year in ordered:
        year.planned_federal = grant.federal_share_of(year.planned)
    figures = GrantFigures(
        grant=grant,
        years=ordered,
        planned=sum((y.planned for y in ordered), ZERO),
        spent=sum((y.spent for y in ordered), ZERO),
        called=sum((y.called for y in ordered), ZERO),
        paid=sum((y.paid for y in ordered), ZERO),
        drafts=sum((y.drafts for y in ordered), ZERO),
    )
    figures.milestones = milestone_counts(Milestone.objects.filter(grant=grant), today=today)
    figures.next_milestone = (
        Milestone.objects.filter(grant=grant, status=Milestone.Status.OPEN).order_by("due_on", "pk").first()
    )
    figures.next_proof = (
        ProofOfUse.objects.filter(grant=grant, submitted_on__isnull=True).order_by("due_on", "pk").first()
    )
    return figures


def milestone_state_expression(today: datetime.date) -> Case:
    """The derived state of a milestone in SQL: done / waived / overdue / at_risk / open."""
    soon = today + datetime.timedelta(days=Milestone.AT_RISK_DAYS)
    return Case(
        When(status=Milestone.Status.DONE, then=Value("done")),
        When(status=Milestone.Status.WAIVED, then=Value("waived")),
        When(due_on__lt=today, then=Value("overdue")),
        When(due_on__lte=soon, then=Value("at_risk")),
        default=Value("open"),
        output_field=CharField(),
    )


def milestone_counts(qs: QuerySet[Milestone], *, today: datetime.date) -> dict[str, int]:
    """How many milestones are in each derived state (one query)."""
    states = ("done", "waived", "overdue", "at_risk", "open")
    expression = milestone_state_expression(today)
    counts = qs.annotate(state=expression).aggregate(  # type: ignore[no-redef]  # the annotation replaces Milestone.state() on purpose
        **{state: Count("pk", filter=Q(state=state)) for state in states}
    )
    counts["total"] = sum(counts.values())
    return counts


#: The derived milestone states (``milestone_state_expression``), for filters.
MILESTONE_STATES = ("overdue", "at_risk", "open", "done", "waived")


def milestone_timeline(
    grant: Grant, *, today: datetime.date | None = None, state: str = ""
) -> QuerySet[Milestone]:
    """The grant's milestones by due date, each with its derived ``state`` and linked projects; only those in
    ``state`` if it is one of :data:`MILESTONE_STATES`."""
    today = today or timezone.localdate()
    qs = (
        Milestone.objects.filter(grant=grant)  # type: ignore[no-redef]  # the annotation replaces Milestone.state() on purpose
        .annotate(state=milestone_state_expression(today))
        .prefetch_related("projects")
        .order_by("due_on", "pk")
    )
    return qs.filter(state=state) if state in MILESTONE_STATES else qs  # type: ignore[misc]  # an annotation


def proofs(grant: Grant) -> QuerySet[ProofOfUse]:
    return ProofOfUse.objects.filter(grant=grant).select_related("submitted_by").order_by("due_on", "pk")


def budget_lines(grant: Grant) -> QuerySet[BudgetLine]:
    return (
        BudgetLine.objects.filter(grant=grant).select_related("project").order_by("year", "cost_type", "pk")
    )


def budget_matrix(grant: Grant) -> dict[str, Any]:
    """The plan as a table: one row per year, one column per cost type, totals (one query)."""
    from .models import CostType

    cells = {
        (item["year"], item["cost_type"]): item["total"]
        for item in BudgetLine.objects.filter(grant=grant)
        .order_by()
        .values("year", "cost_type")
        .annotate(total=Sum("amount"))
    }
    rows: list[dict[str, Any]] = []
    for year in sorted(set(grant.years()) | {year for year, _ in cells}):
        amounts = [cells.get((year, cost_type), ZERO) for cost_type in CostType.values]
        rows.append({"year": year, "amounts": amounts, "total": sum(amounts, ZERO)})
    column_totals = [sum((row["amounts"][i] for row in rows), ZERO) for i in range(len(CostType.values))]
    return {
        "cost_types": CostType.choices,
        "rows": rows,
        "totals": column_totals,
        "total": sum(column_totals, ZERO),
    }


def spendings(grant: Grant, *, year: int | None = None, cost_type: str = "") -> QuerySet[Spending]:
    qs = Spending.objects.filter(grant=grant).select_related("project", "created_by")
    if year:
        qs = qs.filter(spent_on__year=year)
    if cost_type:
        qs = qs.filter(cost_type=cost_type)
    return qs.order_by("-spent_on", "-pk")


def disbursements(grant: Grant) -> QuerySet[DisbursementRequest]:
    return (
        DisbursementRequest.objects.filter(grant=grant)
        .select_related("submitted_by", "created_by")
        .order_by("-number")
    )


def history(grant: Grant) -> QuerySet[FundingEvent]:
    return FundingEvent.objects.filter(grant=grant).select_related("actor").order_by("-at", "-pk")


# --- Reminders -------------------------------------------------------------------------------------------

REMINDER_DAYS = (14, 3)


def reminder_stage(due_on: datetime.date, today: datetime.date) -> str | None:
    """Which reminder is due for a deadline today: ``due-14``, ``due-3``, ``overdue`` or none.

    Windows rather than exact days, so a day the beat job missed is made up on the next run; the
    notification key makes each stage go out once.
    """
    days = (due_on - today).days
    if days < 0:
        return "overdue"
    if days <= REMINDER_DAYS[1]:
        return "due-3"
    if days <= REMINDER_DAYS[0]:
        return "due-14"
    return None


def deadlines_to_remind(*, today: datetime.date) -> list[tuple[str, Milestone | ProofOfUse, str | None]]:
    """Open milestones and unsubmitted proofs of the town in scope that need a reminder today, as
    ``(kind, item, stage)``; two queries."""
    horizon = today + datetime.timedelta(days=REMINDER_DAYS[0])
    due: list[tuple[str, Milestone | ProofOfUse, str | None]] = []
    for milestone in (
        Milestone.objects.filter(status=Milestone.Status.OPEN, due_on__lte=horizon)
        .select_related("grant")
        .order_by("due_on", "pk")
    ):
        due.append(("milestone", milestone, reminder_stage(milestone.due_on, today)))
    for proof in (
        ProofOfUse.objects.filter(submitted_on__isnull=True, due_on__lte=horizon)
        .select_related("grant")
        .order_by("due_on", "pk")
    ):
        due.append(("proof", proof, reminder_stage(proof.due_on, today)))
    return due


def amount_total(qs: QuerySet[Any]) -> Decimal:
    """The sum of ``amount`` over a (filtered) queryset, in SQL."""
    return qs.order_by().aggregate(total=Sum("amount"))["total"] or ZERO


def town_deadlines(*, limit: int = 8, today: datetime.date | None = None) -> dict[str, Any]:
    """For the staff dashboard: milestone counts by state over all of the town's grants, and the open
    milestones that are overdue or at risk, most urgent first (two queries)."""
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=Milestone.AT_RISK_DAYS)
    urgent = (
        Milestone.objects.filter(status=Milestone.Status.OPEN, due_on__lte=soon)  # type: ignore[no-redef]  # the annotation replaces Milestone.state() on purpose
        .annotate(state=milestone_state_expression(today))
        .select_related("grant")
        .order_by("due_on", "pk")
    )
    return {"counts": milestone_counts(Milestone.objects.all(), today=today), "urgent": list(urgent[:limit])}


# --- Quarterly progress report (reviews) -----------------------------------------------------------------


def period_figures(
    *, start: datetime.date, end: datetime.date, today: datetime.date | None = None, limit: int = 20
) -> dict[str, Any]:
    """The funding of the town in scope from ``start`` to ``end`` (both included): spending, funds called
    (requests submitted in the period that count as called: submitted or paid), paid out, milestones done in
    the period, and milestones overdue at its end (or today, if the period has not ended): due before that day
    and then still open. Three queries."""
    as_of = min(end, today or timezone.localdate())
    spent = amount_total(Spending.objects.filter(spent_on__gte=start, spent_on__lte=end))
    requests = DisbursementRequest.objects.order_by().aggregate(
        called=Sum("amount", filter=CALLED & Q(submitted_on__gte=start, submitted_on__lte=end)),
        called_count=Count("pk", filter=CALLED & Q(submitted_on__gte=start, submitted_on__lte=end)),
        paid=Sum("amount", filter=PAID & Q(paid_on__gte=start, paid_on__lte=end)),
    )
    overdue = Q(due_on__lt=as_of) & (
        Q(status=Milestone.Status.OPEN) | Q(status=Milestone.Status.DONE, done_on__gt=as_of)
    )
    milestones = list(
        Milestone.objects.annotate(
            done_in_period=Q(status=Milestone.Status.DONE, done_on__gte=start, done_on__lte=end),
            overdue=overdue,
        )
        .filter(Q(done_in_period=True) | Q(overdue=True))
        .select_related("grant")
        .order_by("due_on", "pk")
    )
    return {
        "as_of": as_of,
        "spent": spent,
        "called": requests["called"] or ZERO,
        "called_requests": requests["called_count"],
        "paid": requests["paid"] or ZERO,
        "milestones_done": sum(1 for m in milestones if m.done_in_period),
        "milestones_overdue": sum(1 for m in milestones if m.overdue),
        "done": [m for m in milestones if m.done_in_period][:limit],
        "overdue": [m for m in milestones if m.overdue][:limit],
    }
