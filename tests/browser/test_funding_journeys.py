"""An editor records spending, files a disbursement request (one above the limit is refused), and marks a
milestone done with evidence; the timeline shows it."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import transaction
from playwright.sync_api import expect

from funding import selectors, services
from municipalities.scoping import town_scope
from tests import factories
from tests.helpers import browser_login

from .conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_keeps_the_ledger_and_the_milestones(site, page, town_a, tmp_path):
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        editor = factories.staff_member(
            municipality=town_a, role="editor", email="foerderung@arnsberg.example"
        )
        grant = factories.grant(municipality=town_a, title="Zuwendung Modellprojekt")
        factories.budget_line(grant=grant, year=2025, amount="100000.00")  # 65.000,00 € federal funds in 2025
        with town_scope(town_a):
            milestone = services.milestone_save(
                grant=grant,
                by=None,
                fields={"title": "LoRaWAN-Netz in Betrieb", "due_on": datetime.date(2025, 9, 30)},
            )
    base = f"{site}/arnsberg/verwaltung/foerderung/{grant.pk}/"
    browser_login(page, site, editor)

    page.goto(base)
    expect(page.get_by_role("heading", level=1)).to_have_text("Zuwendung Modellprojekt")
    expect(page.locator("svg[role=img]")).to_have_count(1)
    check_axe(page)

    # Spending, typed the German way.
    page.goto(base + "ausgaben/")
    form = page.locator("form:has(#id_spent_on)")
    form.locator("#id_spent_on").fill("2025-03-01")
    form.locator("#id_amount").fill("12.500,00")
    form.locator("#id_cost_type").select_option("investment")
    form.locator("#id_description").fill("LoRaWAN-Gateways (5 Stück)")
    form.locator("button[type=submit]").click()
    expect(page.locator(".sc5-messages")).to_be_visible()
    expect(page.locator("main table")).to_contain_text("12.500,00 €")
    expect(page.locator("main table")).to_contain_text("LoRaWAN-Gateways (5 Stück)")
    check_axe(page)

    # A request above the year's plan is refused with the figures; a smaller one becomes a draft.
    page.goto(base + "mittelabrufe/")
    form = page.locator("form:has(#id_amount)")
    form.locator("#id_year").select_option("2025")
    form.locator("#id_amount").fill("70.000,00")
    form.locator("button[type=submit]").click()
    error = page.locator("#id_amount_error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("65.000,00 €")
    expect(page.locator("#id_amount")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_amount")).to_have_value("70.000,00")  # nothing typed is lost
    check_axe(page)
    page.locator("#id_amount").fill("50.000,00")
    page.locator("form:has(#id_amount) button[type=submit]").click()
    expect(page.locator("#disbursement-table")).to_contain_text("50.000,00 €")
    expect(page.locator("#disbursement-table")).to_contain_text("Entwurf")

    # The milestone is done, with the evidence; the timeline shows it.
    page.goto(base + "meilensteine/")
    page.get_by_role("link", name="LoRaWAN-Netz in Betrieb").click()
    page.wait_for_url(re.compile(rf"/meilensteine/{milestone.pk}/$"))
    check_axe(page)
    evidence = tmp_path / "Abnahmeprotokoll.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")
    done = page.locator("form:has(#id_done_on)")
    done.locator("#id_done_on").fill("2025-09-15")
    done.locator("#id_evidence").set_input_files(str(evidence))
    done.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/meilensteine/$"))
    item = page.locator(f"#milestone-{milestone.pk}")
    expect(item).to_have_class(re.compile("sc5-timeline__item--done"))
    expect(item).to_contain_text("15.09.2025")
    expect(item.get_by_role("link", name="Nachweis")).to_be_visible()
    check_axe(page)

    with town_scope(town_a):
        assert selectors.amount_total(grant.spendings.all()) == Decimal("12500.00")
