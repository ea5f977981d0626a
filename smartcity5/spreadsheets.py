"""Text that goes into spreadsheet files (CSV, XLSX) written by the portal.

Spreadsheet programs run a cell starting with = + - @ (or a tab or line break) as a formula, so text typed by
people — idea titles, project names — must never start a cell that way ("CSV injection"). Every export asks here.
"""

#: Starts of a cell text that spreadsheet programs read as a formula (or as the start of one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def csv_text(value) -> str:
    """Text for a CSV cell: a leading apostrophe keeps formula-like text as text."""
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) else text
