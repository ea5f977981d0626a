"""Notifications: once per event and person, own ones only, read state, e-mail once."""

import pytest
from django.core import mail

from municipalities.scoping import town_scope
from notifications.models import Notification
from notifications.services import notify
from notifications.tasks import notification_email_send
from tests import factories

pytestmark = pytest.mark.django_db


def _notify(municipality, people, key="test:1", **extra):
    with town_scope(municipality):
        return notify(
            municipality=municipality,
            recipients=people,
            kind="funding.deadline",
            key=key,
            title="Frist läuft ab",
            body="Bitte prüfen.",
            url=f"/{municipality.slug}/verwaltung/",
            **extra,
        )


def test_each_person_is_told_once_and_mailed_after_commit(
    town_a, editor_a, admin_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert len(_notify(town_a, [editor_a, admin_a])) == 2
        assert _notify(town_a, [editor_a, admin_a]) == []
    assert (
        len(callbacks) == 1 and mail.outbox == []
    )  # nothing is sent before the commit (one hand-over for both)
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([editor_a.email, admin_a.email])
    assert "Frist läuft ab" in mail.outbox[0].subject and "/arnsberg/verwaltung/" in mail.outbox[0].body


def test_the_mail_goes_out_once_even_if_the_task_runs_twice(town_a, editor_a):
    created = _notify(town_a, [editor_a], email=False)[0]
    assert notification_email_send.delay(municipality_id=town_a.pk, notification_id=created.pk).get() is True
    assert notification_email_send.delay(municipality_id=town_a.pk, notification_id=created.pk).get() is False
    assert len(mail.outbox) == 1


def test_a_row_the_first_look_missed_is_not_created_twice(
    town_a, town_b, editor_a, admin_a, django_capture_on_commit_callbacks
):
    """The bulk insert meets a row it did not see beforehand (here: the same key in another town, outside the
    scope; in production: a racing run). The database refuses it, and the others are still told, once."""
    _notify(town_b, [editor_a], key="shared", email=False)
    with django_capture_on_commit_callbacks(execute=True):
        created = _notify(town_a, [editor_a, admin_a], key="shared")
    assert [n.recipient for n in created] == [admin_a]
    assert [m.to for m in mail.outbox] == [[admin_a.email]]


def test_inactive_people_are_not_notified(town_a, editor_a):
    editor_a.is_active = False
    editor_a.save()
    assert _notify(town_a, [editor_a]) == []


def test_the_list_shows_own_notifications_from_every_town_and_the_header_counts_them(
    client, town_a, town_b, editor_a, admin_a
):
    factories.membership(user=editor_a, municipality=town_b, role="viewer")
    _notify(town_a, [editor_a, admin_a], key="a")
    _notify(town_b, [editor_a], key="b")
    client.force_login(editor_a)
    page = client.get("/konto/benachrichtigungen/").content.decode()
    assert page.count("<strong>Frist läuft ab</strong>") == 2 and "Soest" in page and "Arnsberg" in page
    assert (
        "2 ungelesen" in client.get("/").content.decode() or "(2 unread)" in client.get("/").content.decode()
    )


def test_opening_marks_read_and_leads_to_the_page(client, town_a, editor_a, admin_a):
    mine = _notify(town_a, [editor_a], key="x")[0]
    theirs = _notify(town_a, [admin_a], key="x")[0]
    client.force_login(editor_a)
    assert client.get(f"/konto/benachrichtigungen/{mine.pk}/").status_code == 405  # a link never changes data
    response = client.post(f"/konto/benachrichtigungen/{mine.pk}/")
    assert response.status_code == 302 and response["Location"] == "/arnsberg/verwaltung/"
    assert client.post(f"/konto/benachrichtigungen/{theirs.pk}/").status_code == 404
    with town_scope(town_a):
        assert Notification.objects.get(pk=mine.pk).read_at is not None
        assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_read(client, town_a, editor_a):
    _notify(town_a, [editor_a], key="1")
    _notify(town_a, [editor_a], key="2")
    client.force_login(editor_a)
    assert client.post("/konto/benachrichtigungen/alle-gelesen/").status_code == 302
    with town_scope(town_a):
        assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get("/konto/benachrichtigungen/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
