"""The one rule for reading numbers people type: German notation first, anything ambiguous refused.

Every form field that takes a number (KPI values, money, percentages, counts, coordinates) and, through those
forms, the API read their input with :func:`parse_number`:

- ``1.500`` = 1500, ``1.500.000`` = 1500000, ``1.500,5`` = 1500.5, ``1500,5`` = 1500.5, ``1500`` = 1500:
  the dot separates thousands (in groups of three), the comma separates the decimals.
- Plain or English notation is accepted where it cannot mean anything else: ``1500.5`` (a thousands dot would
  need three digits after it), ``0.5``, ``1,500.5`` and ``1,500,000`` (both separators, or the comma
  repeated, say which is which).
- Ambiguous input is refused with a message that says how to write it, never guessed: ``1,500`` (1500 in
  English, 1,5 in German), ``1.50`` and ``12.5`` (a decimal point, or a thousands dot with a digit missing?).
- Coordinates (``grouping=False``) have no thousands, so there a single dot or comma is the decimal separator:
  ``51.396`` and ``51,396`` are both 51.396.

JSON numbers from the API are machine notation and are read as such (:class:`PlainNumber`).
The same rule writes numbers back into forms (:func:`format_number`), so what a form shows reads back unchanged.
"""

import re
from decimal import Decimal, InvalidOperation
from typing import overload

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

# Spaces people (and copied figures) put between thousands or before a unit: space, no-break, thin, narrow no-break.
_SPACES = " \u00a0\u2009\u202f"
_MINUS = "-\u2212\u2013"  # hyphen-minus, minus sign, en dash (what word processors turn a minus into)
_DIGITS = re.compile(r"[0-9]+")


class PlainNumber(str):
    """A number from a JSON body, as text in machine notation (``"12.5"``): read with a decimal point, no guess.

    ``api.base.json_object`` passes JSON numbers to the forms as this type; for every other field it is a plain
    string."""


class NumberError(ValueError):
    """Input that is not a number by the rule; ``message`` says, in the user's language, how to write it."""

    def __init__(self, message, code: str = "invalid"):
        super().__init__(str(message))
        self.message = message
        self.code = code


def _german(whole: str, fraction: str) -> str:
    """Digits as a German number: ``1500``, ``5`` → ``1.500,5``."""
    whole = whole.lstrip("0") or "0"
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = ".".join(groups)
    return f"{text},{fraction}" if fraction else text


def _grouped(whole: str, sep: str) -> bool:
    """``1.500.000`` grouped with ``sep`` in threes (the first group 1–3 digits, not a lone 0)."""
    return bool(re.fullmatch(rf"[1-9][0-9]{{0,2}}(?:{re.escape(sep)}[0-9]{{3}})+", whole))


def _invalid():
    return NumberError(
        _(
            "Please enter a number, e.g. 1.500 or 1.500,5 (a dot between thousands, "
            "a comma before the decimals)."
        )
    )


def _ambiguous(text: str, *readings: str):
    return NumberError(
        _(
            "“%(text)s” can be read in two ways. Please write %(first)s or %(second)s (a dot between thousands, "
            "a comma before the decimals)."
        )
        % {"text": text, "first": readings[0], "second": readings[1]},
        code="ambiguous",
    )


def parse_number(text, *, grouping: bool = True, units: tuple[str, ...] = ()) -> Decimal:
    """The number in ``text`` by the rule above; raises :class:`NumberError` with a message for people.

    ``grouping=False`` for values that never have thousands (coordinates): a single ``.`` or ``,`` is then the
    decimal separator. ``units`` are suffixes people may type after the number (``"€"``, ``"%"``)."""
    if isinstance(text, bool):
        raise _invalid()
    if isinstance(text, int | Decimal):
        if isinstance(text, Decimal) and not text.is_finite():
            raise _invalid()
        return Decimal(text)
    if isinstance(text, (float, PlainNumber)):
        try:
            value = Decimal(str(text))
        except InvalidOperation:
            raise _invalid() from None
        if not value.is_finite():
            raise _invalid()
        return value
    original = str(text).strip(_SPACES + "\t\r\n")
    body = original
    for unit in units:
        if body.endswith(unit):
            body = body[: -len(unit)].rstrip(_SPACES)
            break
    sign = ""
    if body and body[0] in _MINUS + "+":
        sign = "-" if body[0] in _MINUS else ""
        body = body[1:].lstrip(_SPACES)
    if any(space in body for space in _SPACES):  # spaces may group thousands ("1 500 000,5"), nothing else
        if not re.fullmatch(rf"[1-9][0-9]{{0,2}}(?:[{_SPACES}][0-9]{{3}})+(?:[.,][0-9]+)?", body):
            raise _invalid()
        body = re.sub(f"[{_SPACES}]", "", body)
    if not re.fullmatch(r"[0-9.,]*[0-9][0-9.,]*", body) or body[-1] in ".,":
        raise _invalid()  # also "1500," – a separator with nothing after it

    dots, commas = body.count("."), body.count(",")
    whole, fraction = body, ""
    if not grouping:
        if dots + commas > 1:
            raise NumberError(
                _("Please enter the number with one decimal separator, e.g. 51,396."), code="separator"
            )
        whole, _sep, fraction = body.replace(",", ".").partition(".")
    elif dots and commas:
        decimal_sep = "," if body.rfind(",") > body.rfind(".") else "."
        group_sep = "." if decimal_sep == "," else ","
        whole, _sep, fraction = body.rpartition(decimal_sep)
        if not _grouped(whole, group_sep):
            raise _invalid()
        whole = whole.replace(group_sep, "")
    elif commas > 1 or dots > 1:
        sep = "," if commas else "."
        if not _grouped(body, sep):
            raise _invalid()
        whole = body.replace(sep, "")
    elif commas == 1:
        whole, _sep, fraction = body.partition(",")
        if _grouped(body, ","):  # "1,500": 1500 in English, 1,5 in German
            raise _ambiguous(
                original,
                sign + _german(whole + fraction, ""),
                sign + _german(whole, fraction.rstrip("0") or "0"),
            )
    elif dots == 1:
        whole, _sep, fraction = body.partition(".")
        if _grouped(body, "."):
            whole, fraction = whole + fraction, ""
        elif whole.lstrip("0") and len(whole) <= 3:
            # "1.50", "12.5": a decimal point, or a thousands dot with digits missing? German writes 1,50.
            raise NumberError(
                _(
                    "“%(text)s” is unclear: in German the dot separates thousands (1.500) and the comma the "
                    "decimals. Did you mean %(suggestion)s?"
                )
                % {"text": original, "suggestion": f"{sign}{_german(whole, fraction)}"},
                code="ambiguous",
            )
    if not _DIGITS.fullmatch(whole or "0") or not _DIGITS.fullmatch(fraction or "0"):
        raise _invalid()
    return Decimal(f"{sign}{whole or '0'}.{fraction}" if fraction else f"{sign}{whole}")


@overload
def plain_decimal(value: None) -> None: ...
@overload
def plain_decimal(value: Decimal | float | str) -> Decimal: ...
def plain_decimal(value: Decimal | float | str | None) -> Decimal | None:
    """A number without the trailing zeros of its column, never in E-notation, never a negative zero:
    ``250.0000`` → ``250``, ``2.5000`` → ``2.5``, ``2E+1`` → ``20``, ``-0`` → ``0``. The one rule for showing a
    stored ``Decimal`` as it is (KPI values, chart ticks, the history, the PDF); ``None`` stays ``None``."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    if value == 0:
        return Decimal(0)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def decimal_places(value) -> int:
    """How many decimals :func:`plain_decimal` shows: ``1500`` → 0, ``1.2500`` → 2 (none for no value)."""
    shown = plain_decimal(value)
    exponent = shown.as_tuple().exponent if shown is not None else 0
    # An int for every finite number; "n", "N" or "F" only for NaN and infinity, which have no decimals to show.
    return max(0, -exponent) if isinstance(exponent, int) else 0


def plain_text(value) -> str:
    """:func:`plain_decimal` as text with a point (snapshots, CSV): ``"2.5"``, ``"180"``, ``"0.0000001"``;
    ``None`` is ``""``."""
    value = plain_decimal(value)
    return "" if value is None else format(value, "f")


def format_number(value, *, decimal_places: int | None = None) -> str:
    """``value`` in the notation the rule reads back: ``1.500,5``; ``decimal_places`` pads or rounds."""
    if value is None or value == "":
        return ""
    value = Decimal(str(value))
    if decimal_places is not None:
        value = value.quantize(Decimal(1).scaleb(-decimal_places))
    text = format(value, "f")
    sign = "-" if text.startswith("-") else ""
    whole, _sep, fraction = text.lstrip("-").partition(".")
    if decimal_places is None:
        fraction = fraction.rstrip("0")
    return sign + _german(whole, fraction)


class NumberField(forms.DecimalField):
    """A decimal number read by :func:`parse_number` (use for every decimal a person types)."""

    widget = (
        forms.TextInput
    )  # not type="number": browsers refuse "1.500,5" there and read numbers their own way
    default_error_messages = {
        "invalid": _(
            "Please enter a number, e.g. 1.500 or 1.500,5 (a dot between "
            "thousands, a comma before the decimals)."
        )
    }
    grouping = True
    units: tuple[str, ...] = ()
    display_places: int | None = None  # decimals shown when the form is shown again; None: as many as needed

    def __init__(self, **kwargs):
        kwargs.pop("localize", None)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_number(value, grouping=self.grouping, units=self.units)
        except NumberError as error:
            # A field may say what it expects ("an amount in euros"); ambiguity keeps the rule's own message.
            message = self.error_messages["invalid"] if error.code == "invalid" else error.message
            raise ValidationError(message, code=error.code) from None

    def prepare_value(self, value):
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return format_number(value, decimal_places=self.display_places)
        return value


class WholeNumberField(forms.IntegerField):
    """A whole number (counts, years, positions, per cent steps) read by :func:`parse_number`: ``1.500`` = 1500."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        kwargs.pop("localize", None)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = parse_number(value)
        except NumberError as error:
            raise ValidationError(error.message, code=error.code) from None
        if number != number.to_integral_value():
            raise ValidationError(_("Please enter a whole number, e.g. 1.500."), code="invalid")
        return int(number)

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return format_number(value)
        return value


class CoordinateField(NumberField):
    """Decimal degrees: ``51.396`` or ``51,396`` (coordinates have no thousands)."""

    grouping = False

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            # The separator of the page's language, as the place picker (place-picker.js) writes and reads it.
            return plain_text(value).replace(".", get_format("DECIMAL_SEPARATOR"))
        return value


class PercentField(NumberField):
    """A percentage: ``65``, ``65,5`` or ``65,5 %``."""

    units = ("%",)


class MoneyField(NumberField):
    """An amount in euros: ``12.500,00 €`` or ``12500,5``; shown with two decimals."""

    units = ("€", "EUR", "Euro")
    display_places = 2
    default_error_messages = {"invalid": _("Please enter an amount in euros, e.g. 12.500,00.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)


def formfield(db_field, **kwargs):
    """``Meta.formfield_callback`` of every model form: numeric model fields get the fields of this module."""
    if "form_class" not in kwargs and not db_field.choices:
        if isinstance(db_field, models.DecimalField):
            kwargs["form_class"] = NumberField
        elif isinstance(db_field, models.IntegerField) and not isinstance(db_field, models.AutoField):
            kwargs["form_class"] = WholeNumberField
    return db_field.formfield(**kwargs)
