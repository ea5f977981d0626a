"""Journeys through the real browser: an admin invites a newcomer on the team page; the newcomer makes an account,
sets up TOTP on the acceptance page and lands in the staff area with the role."""

import re

import pytest

from accounts.models import Membership, Role, StaffInvitation
from tests import factories

from .conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_invites_and_the_newcomer_accepts_with_totp(site, page, town_a):
    admin = factories.UserFactory(email="admin@example.org", display_name="Amt Arnsberg")
    factories.membership(user=admin, municipality=town_a, role=Role.ADMIN)
    admin_secret = factories.activate_totp(admin)

    page.goto(f"{site}/accounts/login/")
    page.get_by_label("E-Mail").fill(admin.email)
    page.get_by_label("Passwort").fill(factories.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile("/accounts/2fa/authenticate/"))
    page.get_by_label(re.compile("Code")).fill(factories.totp_code(admin_secret))
    page.get_by_role("button", name="Anmelden").click()
    # Staff land in their staff area.
    page.wait_for_url(re.compile("/arnsberg/verwaltung/$"))

    page.goto(f"{site}/arnsberg/verwaltung/team/")
    page.get_by_label("E-Mail-Adresse der Person").fill("nina@example.org")
    page.get_by_label("Rolle", exact=True).select_option("editor")
    page.get_by_role("button", name="Einladung senden").click()
    assert page.get_by_text("Die Einladung an nina@example.org ist unterwegs").is_visible()
    assert page.get_by_role("button", name=re.compile("Erneut senden")).is_visible()
    check_axe(page)

    # The newcomer, in a browser of their own (no cookies of the admin).
    page.context.clear_cookies()
    invitation = StaffInvitation.objects.with_scopes_disabled().get(email="nina@example.org")
    page.goto(f"{site}/einladung/{invitation.token()}/")
    assert page.get_by_role("heading", name="Schritt 1: Konto anlegen").is_visible()
    check_axe(page)
    page.get_by_label("Anzeigename").fill("Nina Neu")
    page.get_by_label("Passwort", exact=True).fill("Rathaus-Fenster-2026")
    page.get_by_label("Passwort (Wiederholung)").fill("Rathaus-Fenster-2026")
    page.get_by_label(re.compile("Datenschutzerklärung")).check()
    page.get_by_role("button", name="Konto anlegen").click()

    assert page.get_by_role(
        "heading", name="Schritt 2: Zwei-Faktor-Authentifizierung einrichten"
    ).is_visible()
    assert page.get_by_role("img", name="QR-Code für die Authentifizierungs-App").is_visible()
    check_axe(page)
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label(re.compile("Code")).fill(factories.totp_code(secret))
    page.get_by_role("button", name="Aktivieren und Rolle annehmen").click()
    page.wait_for_url(re.compile("/accounts/2fa/recovery-codes/"))
    assert page.get_by_text("Willkommen im Team der").is_visible()
    assert (
        Membership.objects.with_scope(municipality=town_a.pk).get(user__email="nina@example.org").role
        == "editor"
    )

    page.goto(f"{site}/arnsberg/verwaltung/")
    assert page.get_by_role("heading", name="Verwaltungsbereich").is_visible()
