"""Euros and per cents as people read them, the one filter each (built in to every template).

``{{ amount|eur }}`` → ``1.234,50 €`` (``|eur:0``: whole euros, ``15.000.000 €``), ``{{ share|pct }}`` →
``12,5 %``; nothing (``None``, ``""``, text that is no number) is a dash. The rounding is
:mod:`smartcity5.money`'s (to the cent, half up).
"""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

from smartcity5 import money

register = template.Library()

DASH = "–"


@register.filter
def eur(value, places: int = 2) -> str:
    """``1234.5`` (or ``"1234.50"``, as a JSON snapshot keeps it) → ``1.234,50 €`` (in German)."""
    if value is None or value == "":
        return DASH
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return DASH
    if not amount.is_finite():
        return DASH
    return money.format_eur(amount, places=int(places))


@register.filter
def pct(value) -> str:
    """A percentage with one decimal (``None``: a dash)."""
    if value is None:
        return DASH
    return f"{number_format(value, decimal_pos=1, use_l10n=True)} %"
