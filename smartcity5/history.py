"""Field snapshots and old → new diffs for the history tables of every app (projects, funding), and the one
place that turns a stored change into what people read (labels, formatted amounts, rates, numbers, dates).

A history row stores ``{field name: [old, new]}`` with normalised values: choice labels and names of related
rows as text, dates in ISO form, decimals with the field's places, text with plain line breaks. Comparing
these finds only real changes. :func:`readable_changes` formats them when they are shown, in the reader's
language, so rows written before a format changed read the same as new ones.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Model
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.text import capfirst
from django.utils.translation import gettext

# Units of decimal and integer fields, declared per model as ``HISTORY_UNITS = {field name: unit}``.
EUR = "eur"
PERCENT = "percent"


def _text(value: str) -> str:
    # Browsers send a textarea's line breaks as CRLF: the same text typed again is no change.
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def display(instance: Model, field_name: str) -> str:
    """A field's value, normalised for the history (choice labels, names of related rows, ISO dates)."""
    field = instance._meta.get_field(field_name)
    value = getattr(instance, field_name)
    if isinstance(value, str):
        value = _text(value)
    if value is None or value == "":
        return ""
    if field.choices:
        return str(getattr(instance, f"get_{field_name}_display")())
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "✓" if value else "–"
    if isinstance(value, Decimal) and getattr(field, "decimal_places", None) is not None:
        return str(value.quantize(Decimal(1).scaleb(-field.decimal_places)))
    if hasattr(value, "name") and hasattr(value, "storage"):  # a file
        return value.name.rsplit("/", 1)[-1]
    return str(value)


def snapshot(instance: Model, fields: Iterable[str]) -> dict[str, str]:
    # The history is a record: always in the portal's main language, whatever the acting user reads.
    with translation.override(settings.LANGUAGE_CODE):
        return {name: display(instance, name) for name in fields}


def diff(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    return {name: [before.get(name, ""), value] for name, value in after.items() if before.get(name, "") != value}


def names(rows) -> str:
    return ", ".join(sorted(str(row) for row in rows))


# --- Reading ---------------------------------------------------------------------------------------------

def _field(model: type[Model] | None, name: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def label(model: type[Model] | None, name: str) -> str:
    """The field's label (its ``verbose_name``) in the active language; a reverse relation is named by the
    related model's plural; anything else by its name."""
    field = _field(model, name)
    if field is None:
        return capfirst(name.replace("_", " "))
    if field.auto_created and not field.concrete:  # a reverse relation, e.g. an indicator's measurements
        return capfirst(field.related_model._meta.verbose_name_plural)
    return capfirst(field.verbose_name)


def _number(value: Decimal) -> str:
    value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    return number_format(value, use_l10n=True, force_grouping=True)


def readable(model: type[Model] | None, name: str, value) -> str:
    """A stored value as people read it: ``7.000.000,00 €``, ``80 %``, ``1.020``, ``31.12.2026`` (in German).
    Values that are already text for people (choice labels, names) come back unchanged."""
    if value is None or value == "":
        return ""
    value = str(value)
    field = _field(model, name)
    unit = getattr(model, "HISTORY_UNITS", {}).get(name)
    if isinstance(field, models.FileField):
        # Stored files have random names (a person's file name may hold personal data): say that there is one.
        return gettext("file uploaded")
    if isinstance(field, models.DateTimeField):
        return value
    if isinstance(field, models.DateField):
        try:
            return date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    if unit or isinstance(field, (models.DecimalField, models.FloatField)):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        if not number.is_finite():
            return value
        if unit == EUR:
            amount = number_format(number.quantize(Decimal("0.01")), decimal_pos=2, use_l10n=True,
                                   force_grouping=True)
            return f"{amount}\u00a0€"
        if unit == PERCENT:
            return f"{_number(number)}\u00a0%"
        return _number(number)
    return value  # text, choice labels, names, years and counts as they are


def readable_changes(event) -> list[tuple[str, str, str]]:
    """``(label, old, new)`` for each change of a history row; the row names the model of its fields with
    ``history_model()`` (rows without one show field names and the stored values)."""
    model = event.history_model() if hasattr(event, "history_model") else None
    # The database keeps JSON keys in its own order; show them in the order of the model's fields.
    order = {field.name: index for index, field in enumerate(model._meta.get_fields())} if model else {}
    rows = []
    for name, values in sorted((event.changes or {}).items(), key=lambda item: order.get(item[0], len(order))):
        old, new = (list(values) + ["", ""])[:2] if isinstance(values, (list, tuple)) else ("", values)
        rows.append((label(model, name), readable(model, name, old), readable(model, name, new)))
    return rows
