"""Daily and weekly digests: one mail per person listing what waits for it, from every town, once."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation

from municipalities.models import AuditEntry
from municipalities.scoping import town_scope
from notifications import selectors
from notifications.models import Notification, NotificationPreference
from notifications.services import notify
from notifications.tasks import notification_digest_dispatch, notification_digest_send
from tests import factories

pytestmark = pytest.mark.django_db


def _notify(municipality, person, *, kind="idea.comment", key, title):
    with town_scope(municipality):
        return notify(
            municipality=municipality,
            recipients=[person],
            kind=kind,
            key=key,
            title=title,
            body="Mehr dazu im Portal.",
            url=f"/{municipality.slug}/beteiligung/",
        )


def _rows(person):
    return {n.title: n for n in selectors.user_notifications(user=person)}


@pytest.fixture
def pending(town_a, town_b, citizen, django_capture_on_commit_callbacks):
    """The citizen wants comments daily and status changes weekly; another person wants comments daily too."""
    other = factories.UserFactory(email="other@example.org")
    for person in (citizen, other):
        NotificationPreference.objects.create(user=person, kind="idea.comment", delivery="daily")
    NotificationPreference.objects.create(user=citizen, kind="idea.status", delivery="weekly")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(town_a, citizen, key="c1", title="Erster Kommentar")
        _notify(town_b, citizen, key="c2", title="Zweiter Kommentar")
        _notify(town_b, citizen, kind="idea.status", key="s1", title="Neuer Status")
        _notify(town_a, other, key="c1", title="Kommentar für andere")
    assert mail.outbox == []  # nothing goes out at once
    return other


@pytest.fixture
def dispatch(django_capture_on_commit_callbacks):
    """The dispatcher as the worker runs it: the digest tasks it starts are handed over when its work commits."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return notification_digest_dispatch(**kwargs)

    return run


def test_the_daily_digest_mails_each_person_once_with_all_their_rows_from_every_town(
    citizen, pending, dispatch
):
    assert dispatch(plan="daily") == 2
    mine = [m for m in mail.outbox if m.to == [citizen.email]]
    assert len(mine) == 1 and len(mail.outbox) == 2
    assert "2" in mine[0].subject
    body = mine[0].body
    assert "Erster Kommentar" in body and "Zweiter Kommentar" in body
    assert "Arnsberg" in body and "Soest" in body and "/soest/beteiligung/" in body
    assert "Neuer Status" not in body  # weekly, not in the daily run
    assert "Kommentar für andere" not in body
    assert "/konto/benachrichtigungen/einstellungen/" in body
    rows = _rows(citizen)
    assert rows["Erster Kommentar"].emailed_at and rows["Zweiter Kommentar"].emailed_at
    assert rows["Neuer Status"].emailed_at is None
    assert AuditEntry.objects.filter(purpose="job:notification-digest:daily").count() == 1

    assert dispatch(plan="daily") == 0  # a second run sends nothing
    assert len(mail.outbox) == 2


def test_a_persons_digest_leaves_other_peoples_rows_alone(citizen, pending):
    assert notification_digest_send(user_id=citizen.pk, plan="daily") == 2
    assert notification_digest_send(user_id=citizen.pk, plan="daily") == 0  # delivered twice: mailed once
    assert len(mail.outbox) == 1
    assert _rows(pending)["Kommentar für andere"].emailed_at is None


def test_the_weekly_digest_has_only_the_weekly_rows(citizen, pending, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notification_digests", "--plan", "weekly", stdout=io.StringIO())
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [citizen.email]
    assert "Neuer Status" in mail.outbox[0].body and "Kommentar" not in mail.outbox[0].body
    assert _rows(citizen)["Erster Kommentar"].emailed_at is None


def test_only_rows_created_before_the_run_start_a_digest(citizen, pending):
    earlier = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    assert notification_digest_dispatch(plan="daily", before=earlier) == 0
    assert mail.outbox == []


def test_the_digest_is_written_in_german(citizen, pending):
    with translation.override("en"):
        notification_digest_send(user_id=citizen.pk, plan="daily")
    assert mail.outbox[0].body.startswith("Guten Tag")


def test_nobody_without_an_active_account_gets_a_digest(citizen, pending, dispatch):
    citizen.is_active = False
    citizen.save()
    assert dispatch(plan="daily") == 1  # the other person only
    assert notification_digest_send(user_id=citizen.pk, plan="daily") == 0
    assert [m.to for m in mail.outbox] == [["other@example.org"]]


def test_an_unknown_plan_is_refused(citizen):
    with pytest.raises(ValueError):
        notification_digest_send(user_id=citizen.pk, plan="immediate")
    with pytest.raises(ValueError):
        notification_digest_dispatch(plan="hourly")


def test_rows_mailed_at_once_never_reach_a_digest(town_a, citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _notify(town_a, citizen, key="now", title="Sofort")
    assert len(mail.outbox) == 1
    assert notification_digest_dispatch(plan="daily") == 0
    with town_scope(town_a):
        assert Notification.objects.get().email_plan == "immediate"
