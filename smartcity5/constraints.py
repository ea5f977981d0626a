"""Check constraints whose validation decides in Python where it can, and asks the database only where it can't.

Models guard their own invariants: the services call ``full_clean()``, which validates every constraint of the
model. Django validates a ``CheckConstraint`` by asking the database (``Q.check``): a savepoint, a ``SELECT 1 WHERE
<condition>`` with the row's values and the savepoint's release, three round trips and a query compilation per
constraint per save. A grant's save checked its four constraints with twelve round trips; in the service tests
this was a fifth of the time.

Every check constraint of the project reads its own row's fields with ``exact``, ``in``, ``isnull`` and the
comparisons (``gt``, ``gte``, ``lt``, ``lte``), against constants or another field (``F``), joined by ``AND``,
``OR`` and ``NOT``. ``CheckConstraint`` here decides such a condition the way SQL does — a comparison with NULL is
unknown, and a CHECK is violated only by a false condition, never by an unknown one — from the values the
database would be sent (each field's ``get_prep_value``). Anything else (a ``regex``, a transform, an expression,
strings compared by order, values of different kinds) is left to Django's query, as before, so the verdict is
always the database's. tests/test_constraints.py compares both verdicts for every constraint over many rows.

The database still enforces every constraint on write; this is only the early check that turns a violation into
a form error. Migrations see Django's own class (``deconstruct``), so none is needed for the switch.
"""

from __future__ import annotations

import datetime
import decimal
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import F, Q, Value
from django.db.models.constants import LOOKUP_SEP

#: A comparison with NULL: neither true nor false (SQL's third truth value).
UNKNOWN = None

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


class Undecided(Exception):
    """The condition holds something this module does not decide: Django's query decides it."""


class NotValidated(Exception):
    """The condition names a field that ``full_clean`` excluded (it failed its own validation, or the caller
    excluded it): Django skips such a constraint (its query raises ``FieldError``), and so does this module."""


def _kind(value: Any) -> str:
    """What may be compared with what: numbers with numbers, text with text, a date with a date."""
    if isinstance(value, bool | int | float | decimal.Decimal):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime.datetime):
        return "datetime"
    for kind in (datetime.date, datetime.time, datetime.timedelta):
        if isinstance(value, kind):
            return kind.__name__
    raise Undecided(f"a value of type {type(value).__name__}")


def _prepared(field: models.Field, value: Any) -> Any:
    """``value`` as the database is sent it for ``field`` (None for NULL)."""
    if value is None:
        return None
    if hasattr(value, "resolve_expression"):
        raise Undecided("an expression")
    try:
        value = field.get_prep_value(value)
    except (TypeError, ValueError, ValidationError) as error:
        raise Undecided(str(error)) from error
    if value is not None:
        _kind(value)
    return value


def _row_value(against: Mapping[str, Any], name: str) -> tuple[Any, models.Field]:
    """The row's value of the field ``name`` (as ``Model._get_field_expression_map`` gives it) and the field."""
    if name not in against:
        raise NotValidated(name)
    expression = against[name]
    field = getattr(expression, "_output_field_or_none", None)
    if not isinstance(expression, Value) or not isinstance(field, models.Field):
        raise Undecided(f"{name} is not a plain value")
    return _prepared(field, expression.value), field


def _equal(left: Any, right: Any) -> bool:
    if _kind(left) != _kind(right):
        raise Undecided("values of different kinds")
    return bool(left == right)


def _compare(lookup: str, left: Any, right: Any) -> bool:
    kind = _kind(left)
    if kind != _kind(right):
        raise Undecided("values of different kinds")
    if kind == "text":
        # Text is ordered by the database's collation; only the empty string has the same place in every one.
        if right == "" and lookup in ("gt", "gte"):
            return lookup == "gte" or left != ""
        if left == "" and lookup in ("lt", "lte"):
            return lookup == "lte" or right != ""
        raise Undecided("text compared by order")
    return _ORDER[lookup](left, right)


def _leaf(lookup_path: str, rhs: Any, against: Mapping[str, Any]) -> bool | None:
    name, _, lookup = lookup_path.partition(LOOKUP_SEP)
    lookup = lookup or "exact"
    if lookup not in ("exact", "in", "isnull", *_ORDER):
        raise Undecided(f"the lookup {lookup}")
    value, field = _row_value(against, name)
    if lookup == "isnull" or (lookup == "exact" and rhs is None):
        if lookup == "isnull" and not isinstance(rhs, bool):
            raise Undecided("isnull with a non-boolean")
        return (value is None) is (rhs if lookup == "isnull" else True)
    if isinstance(rhs, F):
        other, _other_field = _row_value(against, rhs.name)
    elif lookup == "in":
        if isinstance(rhs, str) or not isinstance(rhs, Iterable):
            raise Undecided("in with a non-list")
        other = [_prepared(field, item) for item in rhs if item is not None]
        if not other:
            raise Undecided("in with an empty list")
    else:
        other = _prepared(field, rhs)
    if value is None or other is None:
        return UNKNOWN
    if lookup == "exact":
        return _equal(value, other)
    if lookup == "in":
        return any(_equal(value, item) for item in other)
    return _compare(lookup, value, other)


def verdict(condition: Any, against: Mapping[str, Any]) -> bool | None:
    """True, False or UNKNOWN (None) for ``condition`` (a Q) over the row ``against``, as SQL decides it.

    Raises ``Undecided`` for what only the database can decide, ``NotValidated`` when a named field is excluded."""
    if not isinstance(condition, Q) or condition.connector not in (Q.AND, Q.OR):
        raise Undecided("not a Q of AND or OR")
    values = []
    for child in condition.children:
        if isinstance(child, Q):
            values.append(verdict(child, against))
        elif isinstance(child, tuple) and len(child) == 2 and isinstance(child[0], str):
            values.append(_leaf(child[0], child[1], against))
        else:
            raise Undecided("an expression in the condition")
    if condition.connector == Q.AND:
        result = False if False in values else (UNKNOWN if UNKNOWN in values else True)
    else:
        result = True if True in values else (UNKNOWN if UNKNOWN in values else False)
    if condition.negated and result is not UNKNOWN:
        result = not result
    return result


class CheckConstraint(models.CheckConstraint):
    """``models.CheckConstraint`` whose ``validate`` decides without a query where it can (see above)."""

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        against = instance._get_field_expression_map(meta=model._meta, exclude=exclude)
        try:
            holds = verdict(self.condition, against)
        except NotValidated:
            return
        except Undecided:
            super().validate(model, instance, exclude=exclude, using=using)
            return
        if holds is False:
            raise ValidationError(self.get_violation_error_message(), code=self.violation_error_code)

    def deconstruct(self):
        # Django's own class in the migrations: the check in the database is the same.
        _path, args, kwargs = super().deconstruct()
        return "django.db.models.CheckConstraint", args, kwargs
