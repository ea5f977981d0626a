"""Money rules of the funding app: cents, funding rates and shares, all with ``Decimal``.

Amounts are euros with two decimal places. Every derived amount is rounded once, to the cent, half up
(kaufmännische Rundung: the one rule of :mod:`smartcity5.money`, whose helpers this module re-exports), and
the own share is the rest of the eligible costs, so that federal share plus own share always equals the
eligible costs exactly.
"""

from decimal import ROUND_HALF_UP, Decimal

from smartcity5.money import CENT, cents, format_eur, to_decimal

__all__ = [
    "BUDGET_EMERGENCY_RATE",
    "CENT",
    "MAX_AMOUNT",
    "PROGRAMME_RATES",
    "STANDARD_RATE",
    "cents",
    "federal_share",
    "format_eur",
    "own_share",
    "percent",
    "to_decimal",
]

HUNDRED = Decimal(100)
# Rates of the programme: 65 %, or 90 % for a town in a budget emergency (Haushaltsnotlage) under state law.
# Any other rate (above 0, up to 100 per cent) needs an exception of the funder recorded on the grant
# (see funding.services.grant_change).
STANDARD_RATE = Decimal("65.00")
BUDGET_EMERGENCY_RATE = Decimal("90.00")
PROGRAMME_RATES = (STANDARD_RATE, BUDGET_EMERGENCY_RATE)
MAX_AMOUNT = Decimal("9999999999.99")  # fits DecimalField(max_digits=12, decimal_places=2)


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
