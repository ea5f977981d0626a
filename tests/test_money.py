"""The one money rule (smartcity5.money): euros rounded to the cent half up, and the one euro format."""

from decimal import Decimal

import pytest
from django.utils import translation

from funding import money as funding_money
from projects.models import Project
from reviews.selectors import _money as snapshot_money
from smartcity5 import history, money


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [
        # Half a cent goes up, also where Python's default (half to even) would go down: the case in which
        # the progress report's snapshot (half even) and the funding pages (half up) used to disagree.
        ("0.125", "0.13"),
        ("2.665", "2.67"),
        ("1234.565", "1234.57"),
        ("0.135", "0.14"),
        ("0.124", "0.12"),
        ("-0.125", "-0.13"),
        ("5", "5.00"),
    ],
)
def test_amounts_are_rounded_to_the_cent_half_up_everywhere(amount, rounded):
    assert money.cents(Decimal(amount)) == Decimal(rounded)
    assert str(money.cents(amount)) == rounded
    # The funding rules and the report snapshot use the same rule, not a copy of it.
    assert funding_money.cents is money.cents
    assert snapshot_money(Decimal(amount)) == rounded


def test_the_default_rounding_of_python_would_have_gone_down():
    # What the snapshot did before: quantize without a rounding mode (half to even).
    assert Decimal("0.125").quantize(Decimal("0.01")) == Decimal("0.12")
    assert money.cents(Decimal("0.125")) == Decimal("0.13")


def test_whole_euros_round_half_up_too():
    assert money.cents(Decimal("2.5"), places=0) == Decimal(3)
    assert money.cents(Decimal("3.5"), places=0) == Decimal(4)


def test_floats_are_no_money():
    with pytest.raises(TypeError):
        money.cents(0.1)
    with pytest.raises(ValueError):
        money.cents("zehn")


@pytest.mark.parametrize(
    ("amount", "places", "nbsp", "text"),
    [
        ("1234.5", 2, False, "1.234,50 €"),
        ("0.125", 2, False, "0,13 €"),
        ("7000000", 2, True, "7.000.000,00\u00a0€"),
        ("15000000", 0, False, "15.000.000 €"),
        ("2.5", 0, False, "3 €"),
    ],
)
def test_format_eur_in_german(amount, places, nbsp, text):
    with translation.override("de"):
        assert money.format_eur(Decimal(amount), places=places, nbsp=nbsp) == text


def test_the_history_shows_an_amount_rounded_half_up_with_a_no_break_space():
    with translation.override("de"):
        assert history.readable(Project, "planned_budget", "1234.565") == "1.234,57\u00a0€"
        assert history.readable(Project, "planned_budget", "250000.00") == "250.000,00\u00a0€"


@pytest.mark.parametrize(
    ("source", "value", "text"),
    [
        ("{{ v|eur }}", Decimal("1234.5"), "1.234,50 €"),
        ("{{ v|eur }}", Decimal("0.125"), "0,13 €"),
        ("{{ v|eur }}", "1234.50", "1.234,50 €"),  # a JSON snapshot keeps amounts as strings
        ("{{ v|eur }}", 1500, "1.500,00 €"),
        ("{{ v|eur }}", None, "–"),
        ("{{ v|eur }}", "", "–"),
        ("{{ v|eur }}", "kein Betrag", "–"),
        ("{{ v|eur:0 }}", Decimal("15000000.00"), "15.000.000 €"),
        ("{{ v|pct }}", Decimal("84.8"), "84,8 %"),  # already rounded by funding.money.percent
        ("{{ v|pct }}", None, "–"),
    ],
)
def test_the_euro_and_percent_filters_are_built_in_to_every_template(source, value, text):
    from django.template import Context, Template

    with translation.override("de"):
        assert Template(source).render(Context({"v": value})) == text


def test_the_filters_write_what_the_templates_wrote_before():
    """``floatformat`` with a hand-written euro sign (the project facts, the region's figures) gave the same."""
    from django.template import Context, Template

    with translation.override("de"):
        for value in (Decimal("1250000.50"), Decimal("95000.00"), Decimal("0.00")):
            old = Template('{{ v|floatformat:"2g" }} €').render(Context({"v": value}))
            assert Template("{{ v|eur }}").render(Context({"v": value})) == old
        for value in (Decimal("15000000.00"), Decimal("41250000.49"), Decimal("2.50")):
            old = Template('{{ v|floatformat:"0g" }} €').render(Context({"v": value}))
            assert Template("{{ v|eur:0 }}").render(Context({"v": value})) == old
