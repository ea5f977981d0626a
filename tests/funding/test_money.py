"""Money rules: rates, shares and rounding to the cent, with property-based tests."""

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from funding import money

amounts = st.decimals(
    min_value=Decimal("0.00"),
    max_value=Decimal("9999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)
rates = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("100.00"), places=2, allow_nan=False, allow_infinity=False
)


@given(eligible=amounts, rate=rates)
def test_federal_and_own_share_add_up_to_the_eligible_costs_exactly(eligible, rate):
    federal = money.federal_share(eligible, rate)
    own = money.own_share(eligible, rate)
    assert federal + own == eligible
    assert federal.as_tuple().exponent == -2 and own.as_tuple().exponent == -2


@given(eligible=amounts, rate=rates)
def test_the_federal_share_is_within_half_a_cent_of_the_exact_value_and_never_above_the_costs(eligible, rate):
    federal = money.federal_share(eligible, rate)
    exact = eligible * rate / 100
    assert abs(federal - exact) <= Decimal("0.005")
    assert Decimal(0) <= federal <= eligible


@given(eligible=amounts, low=rates, high=rates)
def test_a_higher_rate_never_gives_a_smaller_federal_share(eligible, low, high):
    low, high = sorted((low, high))
    assert money.federal_share(eligible, low) <= money.federal_share(eligible, high)


@given(parts=st.lists(amounts.filter(lambda a: a < Decimal("100000000")), max_size=20), rate=rates)
def test_rounding_the_sum_once_differs_from_summing_rounded_parts_by_at_most_half_a_cent_each(parts, rate):
    """Why the year's limit rounds the plan's sum, not each line: the per-line way drifts with the count."""
    once = money.federal_share(sum(parts, Decimal(0)), rate)
    each = sum((money.federal_share(p, rate) for p in parts), Decimal(0))
    assert abs(once - each) <= Decimal("0.005") * len(parts) + Decimal("0.005")


@pytest.mark.parametrize(
    "eligible,rate,federal,own",
    [
        ("1000000.00", "65", "650000.00", "350000.00"),
        ("1000000.00", "90", "900000.00", "100000.00"),
        ("0.01", "65", "0.01", "0.00"),  # 0.0065 rounds half up to one cent
        ("0.03", "50", "0.02", "0.01"),  # 0.015 → 0.02 (half up, not banker's rounding)
        ("17500000.00", "74.29", "13000750.00", "4499250.00"),
        ("123.45", "65", "80.24", "43.21"),  # 80.2425 → 80.24
    ],
)
def test_known_values(eligible, rate, federal, own):
    assert money.federal_share(Decimal(eligible), Decimal(rate)) == Decimal(federal)
    assert money.own_share(Decimal(eligible), Decimal(rate)) == Decimal(own)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        money.federal_share(0.1, 65)


@pytest.mark.parametrize(
    "part,whole,expected",
    [
        ("50", "200", Decimal("25.0")),
        ("1", "3", Decimal("33.3")),
        ("2", "3", Decimal("66.7")),
        ("5", "0", None),
        ("0", "100", Decimal("0.0")),
    ],
)
def test_percent(part, whole, expected):
    assert money.percent(Decimal(part), Decimal(whole)) == expected


def test_amounts_read_as_people_write_them():
    with translation.override("de"):
        assert money.format_eur(Decimal("1234567.5")) == "1.234.567,50 €"
    with translation.override("en"):
        assert money.format_eur(Decimal("1234567.5")) == "1,234,567.50 €"
