"""The staff's exports of a survey: its results (the figures of each question) and its responses (one line per
response, a column per question), each as CSV and as XLSX.

Both are tables of (header, kind) columns and rows of values, written by ``smartcity5.spreadsheets``: text never
starts a formula, numbers stay numbers. CSV as the portal's other CSV files (UTF-8 with BOM, semicolons, decimal
comma)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook

from smartcity5.spreadsheets import DATE, NUMBER, PERCENT, TEXT, csv_text, table_sheet

from .models import QuestionKind, Survey
from .selectors import ResponseTable, SurveyResults

#: A column that holds a number with decimals (an average), shown with two.
AVERAGE = "average"

Columns = list[tuple[str, str]]
Rows = list[list[Any]]


def results_table(results: SurveyResults) -> tuple[Columns, Rows]:
    """One row per answer of each question (per value of a scale, per cell of a matrix); a text question gives
    one row with how many answered and how many texts are published and waiting."""
    columns = [
        (_("No."), NUMBER),
        (_("Question"), TEXT),
        (_("Kind of question"), TEXT),
        (_("Row"), TEXT),
        (_("Answer"), TEXT),
        (_("Count"), NUMBER),
        (_("Share"), PERCENT),
        (_("Average"), AVERAGE),
        (_("Answered by"), NUMBER),
    ]
    rows: Rows = []
    for number, item in enumerate(results.questions, start=1):
        question = item.question
        head = [number, question.text, question.get_kind_display()]
        if item.matrix:
            for line in item.matrix:
                for cell in line.cells:
                    rows.append(
                        [
                            *head,
                            line.row.label,
                            cell.option.label,
                            cell.count,
                            cell.share,
                            None,
                            item.answered,
                        ]
                    )
        elif item.options:
            for found in item.options:
                rows.append(
                    [
                        *head,
                        "",
                        found.option.label,
                        found.count,
                        found.share,
                        found.average_rank,
                        item.answered,
                    ]
                )
        elif question.kind == QuestionKind.SCALE:
            for value, count, share in item.scale:
                rows.append([*head, "", str(value), count, share, item.average, item.answered])
        else:
            published = len(item.texts)
            rows.append(
                [
                    *head,
                    "",
                    _("%(published)s published, %(waiting)s waiting for moderation")
                    % {"published": published, "waiting": item.texts_waiting},
                    item.answered,
                    None,
                    None,
                    item.answered,
                ]
            )
    rows.append([None, _("Responses"), "", "", "", results.responses, None, None, None])
    rows.append([None, _("of which on paper"), "", "", "", results.paper_responses, None, None, None])
    return columns, rows


def responses_table(table: ResponseTable) -> tuple[Columns, Rows]:
    """One row per response: its number, the day it arrived, whether on paper, then the answers."""
    columns: Columns = [(_("No."), NUMBER), (_("Submitted"), DATE), (_("Paper questionnaire"), TEXT)]
    for column in table.columns:
        header = (
            column.question.text if column.row is None else f"{column.question.text} – {column.row.label}"
        )
        columns.append((header, NUMBER if column.question.kind == QuestionKind.SCALE else TEXT))
    yes, no = _("yes"), _("no")
    rows = [
        [line.number, line.submitted_on, yes if line.is_paper else no, *line.values] for line in table.lines
    ]
    return columns, rows


def _csv_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == DATE:
        return value.strftime("%d.%m.%Y")
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    if kind == TEXT:
        return csv_text(value)
    return str(value)


def as_csv(columns: Columns, rows: Rows) -> bytes:
    """UTF-8 with a BOM (so that spreadsheet programs read it as such), semicolons, decimal comma; text that
    would start a formula keeps a leading apostrophe."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    writer.writerow([csv_text(header) for header, _kind in columns])
    for row in rows:
        writer.writerow([_csv_value(value, kind) for value, (_h, kind) in zip(row, columns, strict=True)])
    return out.getvalue().encode("utf-8")


def as_xlsx(title: str, sheet: str, columns: Columns, rows: Rows) -> bytes:
    """One sheet with the table (header row frozen, filters on); shares as percentages, averages with two
    decimals."""
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = title[:200]
    wb.properties.creator = "smartcity5"
    kinds = [(header, "decimal" if kind == AVERAGE else kind) for header, kind in columns]
    table_sheet(
        wb,
        sheet[:31],
        kinds,
        ([_xlsx_value(v, k) for v, (_h, k) in zip(row, columns, strict=True)] for row in rows),
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Any, kind: str) -> Any:
    if kind == PERCENT and value is not None:
        return value / 100  # a percent-formatted cell holds the fraction
    if kind == AVERAGE and value is not None:
        return Decimal(value).quantize(Decimal("0.01"))
    return value


def filename(survey: Survey, what: str, ext: str) -> str:
    """``umfrage-<process>-v<version>-<what>.<ext>``, ASCII only."""
    return f"umfrage-{slugify(survey.process.slug)}-v{survey.version}-{what}.{ext}"
