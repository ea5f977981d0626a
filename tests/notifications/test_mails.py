"""Every mail of the portal in one branded frame: the portal's and the right town's name, plain text with an HTML
part, a footer that says why the recipient gets it and links the settings; digests can be stopped with one click;
allauth's mails speak our German and link to SITE_HOST."""

import re
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from accounts.models import DataExport, Role
from accounts.tasks import _notify_export_ready
from municipalities.scoping import town_scope
from notifications.models import NotificationPreference
from notifications.selectors import user_preferences
from notifications.services import notify
from notifications.tasks import notification_digest_send, unsubscribe_link
from tests import factories

pytestmark = pytest.mark.django_db

SITE = "portal.example.org"


@pytest.fixture(autouse=True)
def site_host(settings):
    settings.SITE_HOST = SITE
    settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"


def _notify(
    municipality, person, *, kind, key="k1", title="Ihre Idee hat einen neuen Status", url="/x/", capture=None
):
    with capture(execute=True), town_scope(municipality):
        notify(
            municipality=municipality,
            recipients=[person],
            kind=kind,
            key=key,
            title=title,
            body="Mehr im Portal.",
            url=url,
        )
    return mail.outbox[-1]


def test_a_citizen_mail_says_what_they_follow_not_a_role(citizen, town_b, django_capture_on_commit_callbacks):
    message = _notify(
        town_b,
        citizen,
        kind="idea.status",
        url="/soest/beteiligung/",
        capture=django_capture_on_commit_callbacks,
    )
    assert message.subject == "Soest: Ihre Idee hat einen neuen Status"
    assert "aufgrund Ihrer Rolle" not in message.body
    assert "weil Sie Benachrichtigungen zu „Status von Ideen“ erhalten" in message.body
    assert f"https://{SITE}/soest/beteiligung/" in message.body
    assert f"https://{SITE}/konto/benachrichtigungen/einstellungen/" in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert "Smart City Südwestfalen" in html and town_b.official_name in html
    assert f'href="https://{SITE}/konto/benachrichtigungen/einstellungen/"' in html


def test_a_staff_mail_names_the_role_in_that_town(town_a, django_capture_on_commit_callbacks):
    editor = factories.staff_member(municipality=town_a, role=Role.EDITOR)
    message = _notify(
        town_a,
        editor,
        kind="funding.deadline",
        title="Meilenstein fällig",
        capture=django_capture_on_commit_callbacks,
    )
    assert f"aufgrund Ihrer Rolle „Redaktion“ im Smart-City-Portal der {town_a.official_name}" in message.body


def test_the_data_export_mail_names_no_other_town(town_a, town_b, django_capture_on_commit_callbacks):
    # The export's notification hangs on the lead town (Arnsberg); the person lives in Soest.
    person = factories.UserFactory(email="soest@example.org")
    export = DataExport.objects.create(user=person, language="de", expires_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        _notify_export_ready(export)
    message = mail.outbox[-1]
    assert message.subject == "Ihr Datenexport ist fertig"
    assert "Arnsberg" not in message.body and "Arnsberg" not in message.alternatives[0][0]


def test_digests_carry_a_one_click_unsubscribe_that_works_without_signing_in(
    client, citizen, town_a, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(user=citizen, kind="idea.comment", delivery="daily")
    NotificationPreference.objects.create(user=citizen, kind="idea.status", delivery="weekly")
    with django_capture_on_commit_callbacks(execute=True), town_scope(town_a):
        notify(municipality=town_a, recipients=[citizen], kind="idea.comment", key="c1", title="Kommentar")
    assert notification_digest_send(user_id=citizen.pk, plan="daily") == 1
    message = mail.outbox[-1]
    link = re.fullmatch(
        r"<(https://portal\.example\.org(/konto/benachrichtigungen/abbestellen/[^>]+/))>",
        message.extra_headers["List-Unsubscribe"],
    )
    assert link is not None
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.group(1) in message.body

    # A link checker's GET changes nothing; the mail program's POST (no cookies, no CSRF token) does.
    page = client.get(link.group(2))
    assert page.status_code == 200 and "Abbestellen" in page.text
    assert user_preferences(user=citizen)["idea.comment"] == "daily"
    response = client.post(
        link.group(2), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    preferences = user_preferences(user=citizen)
    assert preferences["idea.comment"] == "none"
    assert preferences["idea.status"] == "weekly"  # the other digest stays

    forged = link.group(2).replace("abbestellen/", "abbestellen/x")
    assert client.post(forged).status_code == 404


def test_the_link_of_one_person_does_not_unsubscribe_another(client, citizen):
    other = factories.UserFactory(email="other@example.org")
    NotificationPreference.objects.create(user=other, kind="idea.comment", delivery="daily")
    path = unsubscribe_link(user=citizen, plan="daily").split(SITE, 1)[1]
    client.post(path)
    assert user_preferences(user=other)["idea.comment"] == "daily"


def test_the_signup_mail_is_ours_and_links_to_the_site_host(client, town_a):
    client.post(
        "/accounts/signup/",
        {
            "email": "neu@example.org",
            "display_name": "Neue Bürgerin",
            "password1": "Sehr-geheim-2026",
            "password2": "Sehr-geheim-2026",
            "privacy_consent": "on",
        },
        HTTP_HOST="127.0.0.1",
    )
    message = mail.outbox[-1]
    assert message.subject == "Smart City Südwestfalen: Bitte bestätigen Sie Ihre E-Mail-Adresse"
    assert "[smartcity5]" not in message.subject
    for stock in ("Hallo von", "Benutzer", "127.0.0.1", "testserver"):
        assert stock not in message.body
    assert message.body.startswith("Guten Tag,")
    assert re.search(rf"https://{re.escape(SITE)}/accounts/confirm-email/\S+/", message.body)
    assert message.alternatives and "Smart City Südwestfalen" in message.alternatives[0][0]
    assert message.from_email.startswith("Smart City Südwestfalen <")


def test_the_password_reset_mail_is_ours(client, citizen):
    client.post("/accounts/password/reset/", {"email": citizen.email})
    message = mail.outbox[-1]
    assert message.subject == "Smart City Südwestfalen: Passwort zurücksetzen"
    assert re.search(rf"https://{re.escape(SITE)}/accounts/password/reset/key/\S+/", message.body)
    assert "Ihr Passwort bleibt, wie es ist" in message.body


@override_settings(ACCOUNT_PREVENT_ENUMERATION=True)
def test_a_reset_for_an_unknown_address_says_so_in_our_words(client, town_a):
    client.post("/accounts/password/reset/", {"email": "niemand@example.org"})
    message = mail.outbox[-1]
    assert message.subject == "Smart City Südwestfalen: Kein Konto mit dieser Adresse"
    assert f"https://{SITE}/accounts/signup/" in message.body


def test_the_html_mail_renders(citizen, town_b, django_capture_on_commit_callbacks, tmp_path):
    """Writes the HTML part to a file (SC5_MAIL_PREVIEW=dir keeps it) for a look in a browser."""
    import os

    message = _notify(
        town_b,
        citizen,
        kind="idea.status",
        url="/soest/beteiligung/",
        capture=django_capture_on_commit_callbacks,
    )
    html = message.alternatives[0][0]
    assert html.lstrip().startswith("<!DOCTYPE html>") and 'lang="de"' in html
    folder = Path(os.environ.get("SC5_MAIL_PREVIEW", tmp_path))
    (folder / "notification.html").write_text(html)
