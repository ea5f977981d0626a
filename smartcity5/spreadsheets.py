"""Text that goes into spreadsheet files (CSV, XLSX) written by the portal.

Spreadsheet programs run a cell starting with = + - @ (or a tab or line break) as a formula, so text typed by
people — idea titles, project names — must never start a cell that way ("CSV injection"). Every export asks here.
XLSX workbooks are written cell by cell with :func:`put_cell` (numbers and dates as such, text always as text) and
tables with :func:`table_sheet`, the helpers of every workbook the portal writes.
"""

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from smartcity5.numbers import decimal_places, plain_decimal

#: Starts of a cell text that spreadsheet programs read as a formula (or as the start of one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def csv_text(value) -> str:
    """Text for a CSV cell: a leading apostrophe keeps formula-like text as text."""
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) else text


TEXT, NUMBER, DECIMAL, YEAR, AMOUNT, DATE, RATE, PERCENT = (
    "text",
    "number",
    "decimal",
    "year",
    "amount",
    "date",
    "rate",
    "percent",
)
# Number formats are written in Excel's neutral notation; the spreadsheet program shows them in its own language
# (1.500,5 in German). A year has no thousands separator.
FORMATS = {
    NUMBER: "#,##0",
    YEAR: "0",
    AMOUNT: '#,##0.00 "€"',
    DATE: "DD.MM.YYYY",
    RATE: "0.00 %",
    PERCENT: "0.0 %",
}
WIDTHS = {NUMBER: 8, DECIMAL: 12, YEAR: 6, AMOUNT: 18, DATE: 12, RATE: 10, PERCENT: 10}
MIN_WIDTH, MAX_WIDTH = 8, 60
BOLD = Font(bold=True)


def put_cell(ws, row: int, column: int, value, kind: str = TEXT, *, bold: bool = False):
    """Write one cell: numbers and dates as such with their format, text always as text (never a formula)."""
    cell = ws.cell(row=row, column=column)
    if bold:
        cell.font = BOLD
    if value is None or value == "":
        return cell
    if kind == TEXT:
        text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        cell.value = text
        # openpyxl takes a leading "=" for a formula: the type is set after the value. quotePrefix keeps the
        # cell text in Excel and LibreOffice even when someone edits it.
        cell.data_type = "s"
        if looks_like_formula(text):
            cell.quotePrefix = True
    elif kind == DECIMAL:
        # A measured value with as many decimals as it has (1500 → 1.500, 1.25 → 1,25): Excel has no format that
        # groups thousands and drops unused decimals without leaving a trailing separator.
        cell.value, places = plain_decimal(value), decimal_places(value)  # 1500, never 1.5E+3
        cell.number_format = "#,##0" + ("." + "0" * places if places else "")
    else:
        cell.value = value
        cell.number_format = FORMATS[kind]
    return cell


def write_table(ws, columns: list[tuple[str, str]], rows, *, first_row: int = 1) -> int:
    """A table with a bold header row: ``columns`` are (header, kind), ``rows`` the values in that order.
    Returns the number of the last row written."""
    widths = [max(len(header), WIDTHS.get(kind, MIN_WIDTH)) for header, kind in columns]
    for column, (header, _kind) in enumerate(columns, start=1):
        put_cell(ws, first_row, column, header, bold=True)
    row_number = first_row
    for row_number, values in enumerate(rows, start=first_row + 1):
        for column, (value, (_header, kind)) in enumerate(zip(values, columns, strict=True), start=1):
            put_cell(ws, row_number, column, value, kind)
            if kind == TEXT and value:
                widths[column - 1] = max(widths[column - 1], len(str(value)))
    set_widths(ws, widths)
    return row_number


def set_widths(ws, widths: list[int]) -> None:
    """Column widths from the longest text, within limits; never narrower than set before."""
    for column, width in enumerate(widths, start=1):
        letter = get_column_letter(column)
        current = ws.column_dimensions[letter].width if letter in ws.column_dimensions else 0
        ws.column_dimensions[letter].width = max(current or 0, min(max(width, MIN_WIDTH), MAX_WIDTH) + 2)


def table_sheet(wb: Workbook, title: str, columns: list[tuple[str, str]], rows) -> None:
    ws = wb.create_sheet(title)
    last = write_table(ws, columns, rows)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last}"
