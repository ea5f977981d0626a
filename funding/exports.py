"""XLSX export of a grant's ledger: overview, budget plan, spending, requests, milestones and proofs."""

from decimal import Decimal
from io import BytesIO
from typing import cast

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

# The cell and table helpers are shared by every workbook the portal writes (smartcity5.spreadsheets); the
# short names stay for the reports' workbooks, which import them from here.
from smartcity5.spreadsheets import (  # noqa: F401 - re-exported for reports.xlsx
    AMOUNT,
    DATE,
    DECIMAL,
    MIN_WIDTH,
    NUMBER,
    PERCENT,
    RATE,
    TEXT,
    WIDTHS,
    YEAR,
)
from smartcity5.spreadsheets import put_cell as _put
from smartcity5.spreadsheets import set_widths as _widths
from smartcity5.spreadsheets import table_sheet as _table_sheet
from smartcity5.spreadsheets import write_table as _table

from . import money, selectors
from .models import BudgetLine, DisbursementRequest, Grant, Milestone, ProofOfUse, Spending
from .templatetags.funding_tags import STATES

# Sheet names stay German whatever the language: formulas in other workbooks refer to sheets by name.
SHEETS = ("Übersicht", "Ausgabenplan", "Ausgaben", "Mittelabrufe", "Meilensteine", "Verwendungsnachweise")


def _label(model, name: str) -> str:
    return str(capfirst(model._meta.get_field(name).verbose_name))


def _fraction(percent: Decimal | None) -> Decimal | None:
    """A percentage (65.00) as the fraction a percent-formatted cell expects (0.65)."""
    return None if percent is None else percent / money.HUNDRED


def _overview(ws, grant: Grant, today) -> None:
    facts = [
        (_label(Grant, "title"), grant.title, TEXT),
        (_label(Grant, "programme"), grant.programme, TEXT),
        (_label(Grant, "funder"), grant.funder, TEXT),
        (_label(Grant, "reference"), grant.reference, TEXT),
        (_label(Grant, "cohort"), grant.cohort, TEXT),
        (_label(Grant, "recipient"), grant.get_recipient_display(), TEXT),
        (_label(Grant, "approved_on"), grant.approved_on, DATE),
        (_label(Grant, "period_start"), grant.period_start, DATE),
        (_label(Grant, "period_end"), grant.period_end, DATE),
        (_label(Grant, "phase_a_start"), grant.phase_a_start, DATE),
        (_label(Grant, "phase_a_end"), grant.phase_a_end, DATE),
        (_label(Grant, "phase_b_start"), grant.phase_b_start, DATE),
        (_label(Grant, "phase_b_end"), grant.phase_b_end, DATE),
        (_label(Grant, "eligible_costs"), grant.eligible_costs, AMOUNT),
        (_label(Grant, "funding_rate"), _fraction(grant.funding_rate), RATE),
        (_label(Grant, "federal_share"), grant.federal_share, AMOUNT),
        (gettext("Own share (EUR)"), grant.own_share, AMOUNT),
    ]
    for row, (label, value, kind) in enumerate(facts, start=1):
        _put(ws, row, 1, label, bold=True)
        _put(ws, row, 2, value, kind)
    _widths(
        ws,
        [
            max(len(label) for label, _v, _k in facts),
            max(
                len(str(value)) if kind == TEXT and value else WIDTHS.get(kind, MIN_WIDTH)
                for _l, value, kind in facts
            ),
        ],
    )

    figures = selectors.grant_figures(grant, today=today)
    first = len(facts) + 2
    columns = [
        (gettext("Year"), YEAR),
        (gettext("Planned costs"), AMOUNT),
        (gettext("Federal share of the plan"), AMOUNT),
        (gettext("Spent"), AMOUNT),
        (gettext("Requested"), AMOUNT),
        (gettext("Paid"), AMOUNT),
        (gettext("Absorption rate"), PERCENT),
    ]
    rows = (
        [
            year.year,
            year.planned,
            year.planned_federal,
            year.spent,
            year.called,
            year.paid,
            _fraction(year.absorption),
        ]
        for year in figures.years
    )
    last = _table(ws, columns, rows, first_row=first)
    ws.auto_filter.ref = f"A{first}:{get_column_letter(len(columns))}{last}"
    # The year rows are summed; the absorption rate of the whole grant is against the approved federal share.
    planned_federal = sum((year.planned_federal for year in figures.years), Decimal("0.00"))
    totals = [
        gettext("Total"),
        figures.planned,
        planned_federal,
        figures.spent,
        figures.called,
        figures.paid,
        _fraction(figures.absorption),
    ]
    for column, (value, (_header, kind)) in enumerate(zip(totals, columns, strict=True), start=1):
        _put(ws, last + 1, column, value, TEXT if column == 1 else kind, bold=True)


def grant_ledger_xlsx(grant: Grant) -> bytes:
    """The grant's ledger as an XLSX workbook (bytes).

    Call inside the grant's town scope; the number of queries does not grow with the rows."""
    today = timezone.localdate()
    wb = Workbook()
    wb.properties.title = grant.title[:200]
    wb.properties.creator = "smartcity5"
    overview = wb.active
    overview.title = SHEETS[0]
    _overview(overview, grant, today)

    _table_sheet(
        wb,
        SHEETS[1],
        [
            (_label(BudgetLine, "year"), YEAR),
            (_label(BudgetLine, "cost_type"), TEXT),
            (_label(BudgetLine, "project"), TEXT),
            (_label(BudgetLine, "amount"), AMOUNT),
            (_label(BudgetLine, "note"), TEXT),
        ],
        (
            [
                line.year,
                line.get_cost_type_display(),
                line.project.title if line.project else "",
                line.amount,
                line.note,
            ]
            for line in selectors.budget_lines(grant)
        ),
    )

    _table_sheet(
        wb,
        SHEETS[2],
        [
            (_label(Spending, "spent_on"), DATE),
            (_label(Spending, "cost_type"), TEXT),
            (_label(Spending, "project"), TEXT),
            (_label(Spending, "amount"), AMOUNT),
            (_label(Spending, "description"), TEXT),
            (_label(Spending, "payee"), TEXT),
            (_label(Spending, "voucher"), TEXT),
            (_label(Spending, "created_by"), TEXT),
        ],
        (
            [
                item.spent_on,
                item.get_cost_type_display(),
                item.project.title if item.project else "",
                item.amount,
                item.description,
                item.payee,
                item.voucher,
                str(item.created_by) if item.created_by else "",
            ]
            for item in selectors.spendings(grant)
        ),
    )

    _table_sheet(
        wb,
        SHEETS[3],
        [
            (_label(DisbursementRequest, "number"), NUMBER),
            (_label(DisbursementRequest, "year"), YEAR),
            (_label(DisbursementRequest, "amount"), AMOUNT),
            (_label(DisbursementRequest, "purpose"), TEXT),
            (_label(DisbursementRequest, "status"), TEXT),
            (_label(DisbursementRequest, "submitted_on"), DATE),
            (_label(DisbursementRequest, "paid_on"), DATE),
            (_label(DisbursementRequest, "rejected_on"), DATE),
            (_label(DisbursementRequest, "reason"), TEXT),
        ],
        (
            [
                item.number,
                item.year,
                item.amount,
                item.purpose,
                item.get_status_display(),
                item.submitted_on,
                item.paid_on,
                item.rejected_on,
                item.reason,
            ]
            for item in selectors.disbursements(grant)
        ),
    )

    _table_sheet(
        wb,
        SHEETS[4],
        [
            (_label(Milestone, "title"), TEXT),
            (_label(Milestone, "phase"), TEXT),
            (_label(Milestone, "due_on"), DATE),
            (_label(Milestone, "status"), TEXT),
            (_label(Milestone, "done_on"), DATE),
            (_label(Milestone, "waived_reason"), TEXT),
            (_label(Milestone, "projects"), TEXT),
        ],
        (
            [
                item.title,
                item.get_phase_display(),
                item.due_on,
                # The timeline annotates the derived state, which replaces Milestone.state() on its rows.
                str(STATES.get(cast(str, item.state), (item.state,))[0]),
                item.done_on,
                item.waived_reason,
                ", ".join(project.title for project in item.projects.all()),
            ]
            for item in selectors.milestone_timeline(grant, today=today)
        ),
    )

    _table_sheet(
        wb,
        SHEETS[5],
        [
            (_label(ProofOfUse, "kind"), TEXT),
            (_label(ProofOfUse, "year"), YEAR),
            (_label(ProofOfUse, "due_on"), DATE),
            (_label(ProofOfUse, "submitted_on"), DATE),
            (_label(ProofOfUse, "accepted_on"), DATE),
            (_label(ProofOfUse, "note"), TEXT),
        ],
        (
            [item.get_kind_display(), item.year, item.due_on, item.submitted_on, item.accepted_on, item.note]
            for item in selectors.proofs(grant)
        ),
    )

    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
