"""Field snapshots and old → new diffs for the history tables of every app (projects, funding)."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db.models import Model
from django.utils import translation


def display(instance: Model, field_name: str) -> str:
    """A field's value as people read it (choice labels, names of related rows, ISO dates)."""
    field = instance._meta.get_field(field_name)
    value = getattr(instance, field_name)
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
