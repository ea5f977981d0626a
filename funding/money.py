"""Money rules of the funding app: cents, funding rates and shares, all with ``Decimal``.

Amounts are euros with two decimal places. Every derived amount is rounded once, to the cent, half up
(kaufmännische Rundung), and the own share is the rest of the eligible costs, so that federal share plus
own share always equals the eligible costs exactly.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Rates of the programme: 65 %, or 90 % for a town in a budget emergency (Haushaltsnotlage) under state law.
# Any other rate (above 0, up to 100 per cent) needs an exception of the funder recorded on the grant
# (see funding.services.grant_change).
STANDARD_RATE = Decimal("65.00")
BUDGET_EMERGENCY_RATE = Decimal("90.00")
PROGRAMME_RATES = (STANDARD_RATE, BUDGET_EMERGENCY_RATE)
MAX_AMOUNT = Decimal("9999999999.99")  # fits DecimalField(max_digits=12, decimal_places=2)


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


def cents(value) -> Decimal:
    """Round to the cent, half up."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def federal_share(eligible_costs, rate_percent) -> Decimal:
    """The federal share of eligible costs at a funding rate in per cent, rounded to the cent."""
    return cents(to_decimal(eligible_costs) * to_decimal(rate_percent) / HUNDRED)


def own_share(eligible_costs, rate_percent) -> Decimal:
    """What the town pays itself: the eligible costs less the federal share (no second rounding)."""
    return cents(eligible_costs) - federal_share(eligible_costs, rate_percent)


def percent(part, whole) -> Decimal | None:
    """``part`` as a share of ``whole`` in per cent with one decimal; ``None`` when there is no whole."""
    whole = to_decimal(whole or 0)
    if whole <= 0:
        return None
    return (to_decimal(part or 0) * HUNDRED / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def format_eur(value) -> str:
    """An amount as people read it in the active language: ``1.234,50 €`` in German."""
    from django.utils.formats import number_format

    return f"{number_format(cents(value), decimal_pos=2, use_l10n=True, force_grouping=True)} €"
