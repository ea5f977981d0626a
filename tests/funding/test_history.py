"""The funding history reads as people read: German labels, amounts, rates and dates formatted, only real changes."""

import datetime
from decimal import Decimal

import pytest

from funding import services
from funding.models import FundingEvent, Grant
from municipalities.scoping import town_scope
from tests import factories

pytestmark = pytest.mark.django_db

BASE = "/arnsberg/verwaltung/foerderung/"
NBSP = "\u00a0"


@pytest.fixture
def grant(town_a):
    grant = factories.grant(
        municipality=town_a, eligible_costs=Decimal("8800000.00"), notes="Erste Zeile\nZweite"
    )
    with town_scope(town_a):
        return Grant.objects.get(pk=grant.pk)


def _changed(municipality):
    with town_scope(municipality):
        return FundingEvent.objects.filter(kind="changed").count()


def test_labels_and_values_are_what_people_read(client, admin_a, grant, town_a):
    with town_scope(town_a):
        services.grant_change(
            grant=grant,
            by=admin_a,
            reason="Änderungsbescheid",
            fields={
                "eligible_costs": Decimal("7000000.00"),
                "funding_rate": Decimal("80"),
                "period_end": datetime.date(2027, 6, 30),
            },
            rate_exception_reference="KfW 436-17",
        )
        factories.budget_line(grant=grant, year=2025, amount="1020.00")
    client.force_login(admin_a)
    page = client.get(f"{BASE}{grant.pk}/verlauf/").content.decode()
    assert "Zuwendungsfähige Ausgaben (EUR)" in page and "Förderquote des Bundes (%)" in page
    assert "Ende des Bewilligungszeitraums" in page
    assert f"<del>8.800.000,00{NBSP}€</del> → <ins>7.000.000,00{NBSP}€</ins>" in page
    assert f"<del>65{NBSP}%</del> → <ins>80{NBSP}%</ins>" in page
    assert "<del>31.12.2026</del> → <ins>30.06.2027</ins>" in page
    assert f"<ins>1.020,00{NBSP}€</ins>" in page  # the budget line's amount
    for raw in ("eligible_costs", "funding_rate", "8800000.00", "65.00", "2026-12-31", "federal_share"):
        assert raw not in page, raw


def test_rows_written_before_the_format_changed_read_the_same(client, viewer_a, grant, town_a):
    with town_scope(town_a):
        FundingEvent.objects.create(
            municipality=town_a,
            grant=grant,
            kind="changed",
            entity="grant",
            changes={"eligible_costs": ["8800000.00", "7000000.00"], "funding_rate": ["65.00", "80.00"]},
        )
    client.force_login(viewer_a)
    page = client.get(f"{BASE}{grant.pk}/verlauf/").content.decode()
    assert f"8.800.000,00{NBSP}€" in page and f"80{NBSP}%" in page


def test_saving_the_form_unchanged_writes_no_event(client, editor_a, grant, town_a):
    """The text area comes back with CRLF line breaks and the numbers typed in German: no change."""
    client.force_login(editor_a)
    before = _changed(town_a)
    response = client.post(
        f"{BASE}{grant.pk}/bearbeiten/",
        {
            "title": grant.title,
            "programme": grant.programme,
            "funder": grant.funder,
            "reference": "",
            "cohort": "",
            "recipient": grant.recipient,
            "approved_on": "2023-11-01",
            "period_start": "2024-01-01",
            "period_end": "2026-12-31",
            "eligible_costs": "8.800.000",
            "funding_rate": "65",
            "notes": "Erste Zeile\r\nZweite\r\n",
        },
    )
    assert response.status_code == 302
    assert _changed(town_a) == before
    with town_scope(town_a):
        services.grant_change(
            grant=grant,
            by=editor_a,
            fields={"eligible_costs": Decimal("8800000"), "notes": "Erste Zeile\r\nZweite"},
        )
    assert _changed(town_a) == before
