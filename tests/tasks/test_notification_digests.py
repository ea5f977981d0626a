"""Notification digests run by a real worker from real Redis: a digest delivered twice mails once."""

import pytest
from django.core import mail

from municipalities.scoping import town_scope
from notifications import selectors
from notifications.models import NotificationPreference
from notifications.services import notify
from notifications.tasks import notification_digest_dispatch, notification_digest_send
from tests import factories

from .conftest import run_worker, wait_for, worker_queue

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def person(town_a, town_b):
    """Someone who wants comments as a daily summary, with one waiting in each of two towns."""
    person = factories.UserFactory(email="zusammenfassung@example.org")
    NotificationPreference.objects.create(user=person, kind="idea.comment", delivery="daily")
    for town in (town_a, town_b):
        with town_scope(town):
            notify(
                municipality=town,
                recipients=[person],
                kind="idea.comment",
                key=f"comment:{town.slug}",
                title=f"Kommentar in {town.name}",
                url=f"/{town.slug}/",
            )
    return person


def _emailed(person) -> int:
    return selectors.user_notifications(user=person).filter(emailed_at__isnull=False).count()


def test_a_digest_delivered_twice_mails_once(person, finished):
    with worker_queue() as queue, run_worker(queue):
        first = notification_digest_send.delay(user_id=person.pk, plan="daily")
        second = notification_digest_send.delay(user_id=person.pk, plan="daily")
        finished.wait(first, second)
        wait_for(lambda: _emailed(person) == 2)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [person.email]
    assert "Kommentar in Arnsberg" in mail.outbox[0].body and "Kommentar in Soest" in mail.outbox[0].body


def test_the_beat_job_running_twice_sends_one_digest(person, finished):
    with worker_queue() as queue, run_worker(queue):
        first = notification_digest_dispatch.delay(plan="daily")
        second = notification_digest_dispatch.delay(plan="daily")
        finished.wait(first, second)
        wait_for(lambda: _emailed(person) == 2)
        # The digests the two runs started: the solo worker runs them in order; a last one marks the end.
        finished.wait(notification_digest_send.delay(user_id=person.pk, plan="daily"))
    assert len(mail.outbox) == 1
