"""XLSX builders: the reports as workbooks (openpyxl), with the cell helpers of the funding ledger export, whose
workbook is the funding report itself."""

from io import BytesIO

from django.utils.translation import gettext
from openpyxl import Workbook

from funding.exports import (
    AMOUNT,
    DATE,
    DECIMAL,
    NUMBER,
    PERCENT,
    TEXT,
    _fraction,
    _put,
    _table_sheet,
    _widths,
)
from funding.exports import grant_ledger_xlsx as funding_report_xlsx  # noqa: F401 - the funding report as XLSX
from projects.models import Project


def _workbook(title: str) -> Workbook:
    wb = Workbook()
    wb.properties.title = title[:200]
    wb.properties.creator = "smartcity5"
    return wb


def _joint_format() -> str:
    """The number format of a "+N gemeinsam" cell: the count stays a number, shown as the pages show it."""
    prefix, _sep, suffix = (gettext("+%(count)s joint") % {"count": "\0"}).partition("\0")
    return f'"{prefix}"#,##0"{suffix}"'


def _facts_sheet(ws, title: str, facts: list[tuple]) -> None:
    """Label and value per row; a fourth item is the joint count beside the value (column C, "+N gemeinsam")."""
    ws.title = title
    joint_format = _joint_format()
    for row, (label, value, kind, *joint) in enumerate(facts, start=1):
        _put(ws, row, 1, label, bold=True)
        _put(ws, row, 2, value, kind)
        if joint:
            _put(ws, row, 3, joint[0], NUMBER).number_format = joint_format
    _widths(ws, [max(len(fact[0]) for fact in facts), 24, 16])


def _save(wb: Workbook) -> bytes:
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# Sheet names stay German whatever the language (formulas elsewhere refer to sheets by name).
TOWN_SHEETS = ("Übersicht", "Projekte", "Kennzahlen", "Messwerte", "Beteiligung")
REGION_SHEETS = ("Übersicht", "Projekte", "Förderung", "Meilensteine", "Beteiligung")


def town_report_xlsx(data, *, progress) -> bytes:
    municipality = data.municipality
    wb = _workbook(gettext("Town report %(town)s") % {"town": municipality.name})
    strategy, figures = data.strategy, data.figures
    _facts_sheet(
        wb.active,
        TOWN_SHEETS[0],
        [
            (gettext("Town"), municipality.official_name or municipality.name, TEXT),
            (gettext("Status as of"), data.today, DATE),
            (gettext("Strategy"), strategy.title if strategy else "", TEXT),
            (gettext("Adopted on"), strategy.adopted_on if strategy else None, DATE),
            # The key figures (agentur.figures), each with the joint ones of partner towns beside it.
            (gettext("Projects led by the town"), figures.project_total, NUMBER, figures.project_total_joint),
            *[
                (str(Project.Status(status).label), count, NUMBER, joint)
                for status, count, joint in data.projects_by_status
            ],
            (gettext("Key performance indicators"), len(data.indicators), NUMBER),
            (gettext("Published processes"), figures["processes"], NUMBER, figures["processes_joint"]),
            (gettext("Published ideas"), figures["ideas_received"], NUMBER, figures["ideas_received_joint"]),
            (
                gettext("With an official answer"),
                figures["ideas_answered"],
                NUMBER,
                figures["ideas_answered_joint"],
            ),
            (gettext("Supports"), data.participation["supports"], NUMBER),
            (gettext("Waiting for moderation"), data.participation["waiting"], NUMBER),
        ],
    )
    progress(60)
    _table_sheet(
        wb,
        TOWN_SHEETS[1],
        [
            (gettext("Project"), TEXT),
            (gettext("Status"), TEXT),
            (gettext("Lead town"), TEXT),
            (gettext("Partner towns"), TEXT),
            (gettext("Progress"), PERCENT),
            (gettext("Last update"), DATE),
            (gettext("Planned start"), DATE),
            (gettext("Planned end"), DATE),
            (gettext("Planned budget"), AMOUNT),
            (gettext("Visibility"), TEXT),
        ],
        (
            [
                p.title,
                p.get_status_display(),
                p.municipality.name,
                _names(p.partner_towns.all()),
                None if p.progress is None else p.progress / 100,
                p.last_update_on,
                p.planned_start,
                p.planned_end,
                p.planned_budget,
                p.get_visibility_display(),
            ]
            for p in data.projects
        ),
    )
    _table_sheet(
        wb,
        TOWN_SHEETS[2],
        [
            (gettext("Project"), TEXT),
            (gettext("Indicator"), TEXT),
            (gettext("Unit"), TEXT),
            (gettext("Baseline"), DECIMAL),
            (gettext("Target"), DECIMAL),
            (gettext("Target date"), DATE),
            (gettext("Measurements"), NUMBER),
        ],
        (
            [i.project.title, i.name, i.unit, i.baseline, i.target, i.target_date, len(i.measurements.all())]
            for i in data.indicators
        ),
    )
    ws = wb.create_sheet(TOWN_SHEETS[3])
    columns = [
        (gettext("Project"), TEXT),
        (gettext("Indicator"), TEXT),
        (gettext("Date"), DATE),
        (gettext("Value"), DECIMAL),
        (gettext("Note"), TEXT),
    ]
    for column, (header, _kind) in enumerate(columns, start=1):
        _put(ws, 1, column, header, bold=True)
    row = 1
    for indicator in data.indicators:
        for m in indicator.measurements.all():
            row += 1
            _put(ws, row, 1, indicator.project.title)
            _put(ws, row, 2, indicator.name)
            _put(ws, row, 3, m.measured_on, DATE)
            _put(ws, row, 4, m.value, DECIMAL)
            _put(ws, row, 5, m.note)
    _widths(ws, [30, 30, 12, 12, 30])
    ws.freeze_panes = "A2"
    _table_sheet(
        wb,
        TOWN_SHEETS[4],
        [
            (gettext("Process"), TEXT),
            (gettext("Published"), TEXT),
            (gettext("Ideas"), NUMBER),
        ],
        (
            [p.title, gettext("yes") if p.is_published else gettext("no"), p.idea_count]
            for p in data.processes
        ),
    )
    progress(80)
    return _save(wb)


def _names(towns) -> str:
    """The towns' names, joined: a cell people read, not a count."""
    return ", ".join(sorted(town.name for town in towns))


def region_report_xlsx(data: dict, *, progress) -> bytes:
    wb = _workbook(gettext("Region report"))
    totals = data["totals"]
    _facts_sheet(
        wb.active,
        REGION_SHEETS[0],
        [
            (gettext("Status as of"), data["today"], DATE),
            (gettext("Towns"), len(data["rows"]), NUMBER),
            (gettext("Projects"), totals.project_total, NUMBER),
            (gettext("Federal share approved"), totals.federal_share, AMOUNT),
            (gettext("Requested"), totals.called, AMOUNT),
            (gettext("Spent"), totals.spent, AMOUNT),
            (gettext("Absorption rate"), _fraction(totals.absorption), PERCENT),
            (gettext("Published ideas"), totals.ideas, NUMBER),
        ],
    )
    progress(60)
    rows = [*data["rows"]]
    statuses = list(Project.Status)
    _table_sheet(
        wb,
        REGION_SHEETS[1],
        [(gettext("Town"), TEXT), *[(str(s.label), NUMBER) for s in statuses], (gettext("Total"), NUMBER)],
        ([r.municipality.name, *[r.projects[s] for s in statuses], r.project_total] for r in rows),
    )
    _table_sheet(
        wb,
        REGION_SHEETS[2],
        [
            (gettext("Town"), TEXT),
            (gettext("Federal share approved"), AMOUNT),
            (gettext("Requested"), AMOUNT),
            (gettext("Spent"), AMOUNT),
            (gettext("Absorption rate"), PERCENT),
        ],
        ([r.municipality.name, r.federal_share, r.called, r.spent, _fraction(r.absorption)] for r in rows),
    )
    states = (
        ("done", gettext("Done")),
        ("open", gettext("Open")),
        ("at_risk", gettext("At risk")),
        ("overdue", gettext("Overdue")),
        ("waived", gettext("Waived")),
    )
    _table_sheet(
        wb,
        REGION_SHEETS[3],
        [(gettext("Town"), TEXT), *[(label, NUMBER) for _s, label in states]],
        ([r.municipality.name, *[r.milestones[s] for s, _l in states]] for r in rows),
    )
    _table_sheet(
        wb,
        REGION_SHEETS[4],
        [
            (gettext("Town"), TEXT),
            (gettext("Published ideas"), NUMBER),
            (gettext("With an official answer"), NUMBER),
        ],
        ([r.municipality.name, r.ideas, r.answered] for r in rows),
    )
    progress(80)
    return _save(wb)
