"""Sign-up, e-mail verification, login rate limit, password reset and the MFA gate (allauth)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "neu@example.org",
    "display_name": "Neue Bürgerin",
    "password1": "Sehr-geheim-2026",
    "password2": "Sehr-geheim-2026",
    "privacy_consent": "on",
}


def test_signup_requires_consent_and_display_name_and_keeps_input(client, town_a):
    data = {**SIGNUP, "privacy_consent": "", "display_name": ""}
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 200
    form = response.context["form"]
    assert {"privacy_consent", "display_name"} <= set(form.errors)
    assert 'value="neu@example.org"' in response.text  # nothing typed is lost
    assert not User.objects.filter(email="neu@example.org").exists()


def test_signup_sends_verification_and_login_waits_for_it(client, town_a):
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="neu@example.org")
    assert user.display_name == "Neue Bürgerin"
    assert user.privacy_consent_at is not None
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1

    client.logout()
    response = client.post("/accounts/login/", {"login": "neu@example.org", "password": "Sehr-geheim-2026"})
    # Mandatory verification: no session, the verification page instead.
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302 and "confirm-email" in response["Location"]

    key_url = re.search(r"https?://[^/]+(/accounts/confirm-email/[^/\s]+/)", mail.outbox[0].body).group(1)
    assert client.post(key_url).status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    response = client.post("/accounts/login/", {"login": "neu@example.org", "password": "Sehr-geheim-2026"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_signup_honeypot_blocks_bots(client, town_a):
    client.post("/accounts/signup/", {**SIGNUP, "homepage": "http://spam.example"})
    assert not User.objects.filter(email="neu@example.org").exists()


def test_failed_logins_are_rate_limited(client, citizen):
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": citizen.email, "password": "falsch"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"login": citizen.email, "password": factories.PASSWORD})
    # Even the right password is refused while the limit holds, with a message, not an error page.
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert "Zu viele" in response.text or "Too many" in response.text


def test_password_reset_mails_a_link(client, citizen):
    response = client.post("/accounts/password/reset/", {"email": citizen.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_staff_without_mfa_are_sent_to_set_it_up(client, staff_factory, town_a):
    staff = staff_factory(town_a, "editor", mfa=False)
    response = client.post("/accounts/login/", {"login": staff.email, "password": factories.PASSWORD})
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    response = client.get("/arnsberg/verwaltung/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"


def test_staff_with_mfa_must_enter_a_code_at_login(client, staff_factory, town_a):
    staff = staff_factory(town_a, "editor", mfa=False)
    secret = factories.activate_totp(staff)
    response = client.post("/accounts/login/", {"login": staff.email, "password": factories.PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    response = client.post("/accounts/2fa/authenticate/", {"code": factories.totp_code(secret, valid_for=3)})
    assert response.status_code == 302
    assert client.get("/arnsberg/verwaltung/").status_code == 200


def test_account_page_lists_roles_and_edits_display_name(client, staff_factory, town_a, town_b):
    staff = staff_factory(town_a, "admin")
    factories.membership(user=staff, municipality=town_b, role="viewer")
    client.force_login(staff)
    response = client.get("/konto/")
    assert "Arnsberg" in response.text and "Soest" in response.text
    response = client.post("/konto/", {"display_name": "Neuer Name"})
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.display_name == "Neuer Name"


def test_english_can_be_chosen(client, town_a):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/arnsberg/"})
    assert response.status_code == 302
    response = client.get("/arnsberg/")
    assert '<html lang="en"' in response.text
    assert "Accessibility statement" in response.text
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/arnsberg/"})
    assert "Erklärung zur Barrierefreiheit" in client.get("/arnsberg/").text


def test_german_is_the_default_whatever_the_browser_prefers(client, town_a):
    response = client.get("/arnsberg/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="de"' in response.text
    assert "Erklärung zur Barrierefreiheit" in response.text
