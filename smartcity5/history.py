"""The history of every app, once: the abstract :class:`HistoryEvent` that the history tables of projects,
funding, participation and reviews inherit, the one :func:`record` that writes their rows, field snapshots and
old → new diffs, and the one place that turns a stored change into what people read (labels, formatted amounts,
rates, numbers, dates).

A history row stores ``{field name: [old, new]}`` with normalised values: choice labels and names of related
rows as text, dates in ISO form, decimals with the field's places, text with plain line breaks. Comparing
these finds only real changes. :func:`readable_changes` formats them when they are shown, in the reader's
language, so rows written before a format changed read the same as new ones.

Like pretix's ``LoggedModel.log_action`` (one call writes one entry for any model) and Saleor's ``events``
modules (typed helpers over one kind of row), but with one table per app: each table keeps its own foreign key
to what it is the history of (a project, a grant, a report, a process / idea / comment), its own index and its
own sharing with partner towns, and every row carries its town (``TownOwnedModel``).
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Model
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TownOwnedModel
from smartcity5.money import format_eur
from smartcity5.numbers import plain_decimal

# Units of decimal and integer fields, declared per model as ``HISTORY_UNITS = {field name: unit}``.
EUR = "eur"
PERCENT = "percent"


def _text(value: str) -> str:
    # Browsers send a textarea's line breaks as CRLF: the same text typed again is no change.
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def display(instance: Model, field_name: str) -> str:
    """A field's value, normalised for the history (choice labels, names of related rows, ISO dates)."""
    field: Any = instance._meta.get_field(field_name)  # a concrete field of the row
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
    return {
        name: [before.get(name, ""), value] for name, value in after.items() if before.get(name, "") != value
    }


def names(rows) -> str:
    return ", ".join(sorted(str(row) for row in rows))


# --- Writing ---------------------------------------------------------------------------------------------


class HistoryEvent(TownOwnedModel):
    """One entry of a history: what happened (``kind``, with the ``subject`` it concerns), who did it, when,
    the changed values (``changes``: field → [old, new], normalised, see :func:`snapshot`) and why (``reason``).

    Each app's table adds the foreign key to what it records, its ``Kind`` choices and, where it needs them,
    typed columns of its own (a report's status before and after, which its notifications key on). Rows are
    written only by :func:`record`, never edited."""

    #: Each table declares its kinds: ``kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)``.
    kind = models.CharField(_("kind"), max_length=30)
    subject = models.CharField(
        _("subject"),
        max_length=300,
        blank=True,
        help_text=_("The row the change concerns, as people name it."),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    changes = models.JSONField(
        _("changes"), default=dict, blank=True, help_text=_("Field → [old, new], as shown to people.")
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        abstract = True
        ordering = ["-at", "-pk"]

    def history_model(self) -> type[Model] | None:
        """The model whose fields ``changes`` names (for their labels and formats)."""
        return None

    @property
    def reason_label(self) -> str:
        return capfirst(self._meta.get_field("reason").verbose_name)  # type: ignore[union-attr,return-value]

    def recorded(self) -> None:
        """Called by :func:`record` right after the entry is written, inside the writer's transaction: what an
        app does after every entry of its history (tell other apps, mark public pages as changed)."""


E = TypeVar("E", bound=HistoryEvent)


def record(
    event_model: type[E],
    *,
    municipality,
    kind: str,
    by=None,
    subject="",
    before: dict | None = None,
    after: dict | None = None,
    changes: dict | None = None,
    reason: str = "",
    **fields,
) -> E | None:
    """Write one history entry and return it, or ``None`` when there is nothing to record.

    ``before`` / ``after`` are :func:`snapshot` s of the row (plus values that are not plain fields, e.g. the
    names of linked rows); they give the changes:

    * both: a change. Written only if a value really changed, or if a ``reason`` says why something was decided
      (an official answer that keeps an idea's status): saving a form unchanged leaves no entry.
    * only ``after``: a new row, with its values; only ``before``: a deleted row, with the values it had.
    * neither: an act without values (a report's figures refreshed, an idea hidden): always written.

    ``changes`` adds values the caller worked out itself (a text removed for privacy). ``by`` is the person who
    acted (``None`` or an anonymous user: the portal itself); ``municipality`` the town the row belongs to (or its
    id); ``fields`` are the table's own columns (``project=…``, ``grant=…``, ``idea=…``). The subject and the
    values are stored in the portal's main language, whoever acted, and are formatted for the reader when shown.
    """
    is_change = before is not None and after is not None
    if before is not None and after is None:
        after = dict.fromkeys(before, "")
    found = diff(before or {}, after or {})
    found.update(changes or {})
    reason = (reason or "").strip()
    if is_change and not found and not reason:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        subject = str(subject or "")
    town = (
        {"municipality_id": municipality} if isinstance(municipality, int) else {"municipality": municipality}
    )
    event = event_model.objects.create(
        **town,
        kind=kind,
        actor=by if by is not None and by.is_authenticated else None,
        subject=subject[: event_model._meta.get_field("subject").max_length],  # type: ignore[union-attr]
        changes=found,
        reason=reason,
        **fields,
    )
    event.recorded()
    return event


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
    shown = plain_decimal(value)
    assert shown is not None  # a Decimal in, a Decimal out
    return number_format(shown, use_l10n=True, force_grouping=True)


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
            return format_eur(number, nbsp=True)
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
    for name, values in sorted(
        (event.changes or {}).items(), key=lambda item: order.get(item[0], len(order))
    ):
        old, new = (list(values) + ["", ""])[:2] if isinstance(values, (list, tuple)) else ("", values)
        rows.append((label(model, name), readable(model, name, old), readable(model, name, new)))
    return rows
