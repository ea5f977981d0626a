"""Journeys through the real browser: a citizen signs up and verifies, staff are forced through MFA."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Role
from tests import factories

from .conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_citizen_signs_up_verifies_and_logs_in(site, page, town_a):
    page.goto(f"{site}/arnsberg/")
    check_axe(page)
    page.get_by_role("link", name="Registrieren").click()
    check_axe(page)
    page.get_by_label("E-Mail").first.fill("anna@example.org")
    page.get_by_label("Anzeigename").fill("Anna aus Neheim")
    page.get_by_label("Passwort", exact=True).fill("Sehr-geheim-2026")
    page.get_by_label("Passwort (Wiederholung)").fill("Sehr-geheim-2026")
    # Submitting without consent keeps everything typed and says what is missing.
    page.locator("main form button[type=submit]").click()
    # The message stands at the field and, as a link to it, in the error summary, which has the focus.
    # expect() waits for the answer page and its script, which moves the focus once the page has loaded.
    expect(
        page.locator("main .kern-error", has_text="Bitte stimmen Sie der Datenschutzerklärung zu.")
    ).to_be_visible()
    summary = page.locator("[data-sc5-error-summary]")
    expect(summary.get_by_text("Bitte stimmen Sie der Datenschutzerklärung zu.")).to_be_visible()
    expect(summary).to_be_focused()
    assert page.title().startswith("Fehler: ")
    assert page.get_by_label("Anzeigename").input_value() == "Anna aus Neheim"
    check_axe(page)
    page.get_by_label("Passwort", exact=True).fill("Sehr-geheim-2026")
    page.get_by_label("Passwort (Wiederholung)").fill("Sehr-geheim-2026")
    page.get_by_label(re.compile("Datenschutzerklärung")).check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile("/accounts/confirm-email/"))
    check_axe(page)

    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(site + link)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile("/accounts/login/"))
    check_axe(page)
    page.get_by_label("E-Mail").fill("anna@example.org")
    page.get_by_label("Passwort").fill("Sehr-geheim-2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile("/konto/"))
    assert page.get_by_role("heading", name="Mein Konto").is_visible()
    check_axe(page)


def test_staff_member_is_forced_through_mfa_setup(site, page, town_a):
    staff = factories.UserFactory(email="redaktion@example.org")
    factories.membership(user=staff, municipality=town_a, role=Role.EDITOR)
    page.goto(f"{site}/arnsberg/verwaltung/")
    page.wait_for_url(re.compile("/accounts/login/"))
    page.get_by_label("E-Mail").fill(staff.email)
    page.get_by_label("Passwort").fill(factories.PASSWORD)
    page.locator("main form button[type=submit]").click()

    # The staff page sends the user to set up TOTP; allauth first asks for the password once more.
    page.wait_for_url(re.compile("/accounts/reauthenticate/"))
    assert page.get_by_text("Zwei-Faktor-Authentifizierung").first.is_visible()
    check_axe(page)
    page.get_by_label("Passwort").fill(factories.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile("/accounts/2fa/totp/activate/"))
    check_axe(page)
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label(re.compile("Authentifizierungscode|Authenticator code|Code")).fill(
        factories.totp_code(secret)
    )
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/totp/activate/" not in url)

    page.goto(f"{site}/arnsberg/verwaltung/")
    assert page.get_by_role("heading", name="Verwaltungsbereich").is_visible()
    check_axe(page)


def test_keyboard_user_reaches_content_by_skip_link(site, page, town_a):
    page.goto(f"{site}/arnsberg/barrierefreiheit/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Zum Inhalt springen" in focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    check_axe(page)


def test_region_page_in_english(site, page, town_a, town_b):
    page.goto(f"{site}/")
    check_axe(page)
    page.get_by_label("Sprache").select_option("en")
    page.get_by_role("button", name="Sprache wechseln").click()
    assert page.get_by_role("link", name="Accessibility statement").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    check_axe(page)
