"""A town admin changes a grant's terms in the browser: the form shows the programme's rates and asks for a reason
and the funder's exception; the history then reads in German with formatted values. Screenshots at 1280 and 390 px
go to ``SC5_SCREENSHOT_DIR`` when it is set."""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.helpers import browser_login

from .conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NBSP = "\u00a0"


def _shots(page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("SC5_SCREENSHOT_DIR") or tmp_path)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_admin_changes_the_rate_with_the_funders_exception(site, page, town_a, tmp_path):
    admin = factories.staff_member(municipality=town_a, role="admin", email="kaemmerei@arnsberg.example")
    grant = factories.grant(
        municipality=town_a, title="Zuwendung Modellprojekt", eligible_costs=Decimal("8800000")
    )
    base = f"{site}/arnsberg/verwaltung/foerderung/{grant.pk}/"
    browser_login(page, site, admin)

    page.goto(base + "bearbeiten/")
    expect(page.locator("#id_funding_rate_helptext")).to_contain_text("65 %")
    expect(page.locator("#id_funding_rate_helptext")).to_contain_text("90 %")
    page.locator("#id_eligible_costs").fill("7.000.000,00")
    page.locator("#id_funding_rate").fill("80")
    page.locator("#id_reason").fill("Änderungsbescheid der KfW vom 1. Oktober 2025")
    page.locator("main form button[type=submit]").click()
    # Without the funder's exception the rate is refused, and nothing typed is lost.
    expect(page.locator("#id_funding_rate")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_funding_rate_error")).to_contain_text("Ausnahme")
    expect(page.locator("#id_eligible_costs")).to_have_value("7.000.000,00")
    check_axe(page)
    _shots(page, "grant-edit-error", tmp_path)

    exception = tmp_path / "Ausnahmebescheid.pdf"
    exception.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")
    page.locator("#id_rate_exception_reference").fill("KfW 436-2025-17")
    page.locator("#id_rate_exception_document").set_input_files(str(exception))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/foerderung/{grant.pk}/$"))
    expect(page.locator("main")).to_contain_text("5.600.000,00 €")  # 80 % of 7.000.000,00 €

    page.goto(base + "verlauf/")
    changes = page.locator("main table .sc5-changes").first
    expect(changes).to_contain_text("Zuwendungsfähige Ausgaben (EUR)")
    expect(changes).to_contain_text(f"8.800.000,00{NBSP}€ → 7.000.000,00{NBSP}€")
    expect(changes).to_contain_text(f"65{NBSP}% → 80{NBSP}%")
    expect(page.locator("main table")).to_contain_text("Änderungsbescheid der KfW vom 1. Oktober 2025")
    expect(page.locator("main table")).not_to_contain_text("eligible_costs")
    check_axe(page)
    _shots(page, "grant-history", tmp_path)

    page.goto(base + "bearbeiten/")
    _shots(page, "grant-edit", tmp_path)
