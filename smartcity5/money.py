"""Money as the portal keeps and shows it: euros with two decimals, rounded to the cent half up.

Half up (kaufmännische Rundung, DIN 1333) is how German public accounting and the funder's payment requests
round: 0,125 € is 0,13 €, never 0,12 € (Python's default, half to even). Every amount the portal derives,
stores in a snapshot or shows is rounded here, once; the funding rules (rates, shares) are in
:mod:`funding.money`, on top of this module.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_decimal(value) -> Decimal:
    """A ``Decimal`` from a ``Decimal``, ``int`` or string (never from a float: floats are not money)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("Money must not be a float; pass a Decimal or a string.")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError):
        raise ValueError(f"Not an amount: {value!r}") from None


def cents(value, *, places: int = 2) -> Decimal:
    """Round to the cent (or to ``places`` decimals: 0 for whole euros), half up."""
    step = CENT if places == 2 else Decimal(1).scaleb(-places)
    return to_decimal(value).quantize(step, rounding=ROUND_HALF_UP)


def format_eur(value, *, places: int = 2, nbsp: bool = False) -> str:
    """An amount as people read it in the active language: ``1.234,50 €`` in German (``places=0``:
    ``1.235 €``). ``nbsp`` joins number and sign with a no-break space (the history's narrow columns)."""
    from django.utils.formats import number_format

    amount = number_format(
        cents(value, places=places), decimal_pos=places, use_l10n=True, force_grouping=True
    )
    return f"{amount}{chr(0xA0) if nbsp else ' '}€"
