"""Deadline reminders run by real workers from real Redis: exactly once, even when the beat job runs twice,
two workers run it at the same time, or the worker is replaced between runs."""

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection

from funding import services
from funding.tasks import funding_reminders_dispatch, funding_reminders_send
from municipalities.scoping import town_scope
from notifications.models import Notification
from tests import factories, helpers

from .conftest import need, run_worker, wait_for, worker_queue

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TODAY = datetime.date(2026, 5, 4)


@pytest.fixture
def deadlines(town_a, catalogue):
    editors = [factories.staff_member(municipality=town_a, role=role) for role in ("editor", "admin")]
    grant = factories.grant(municipality=town_a)
    with town_scope(town_a):
        for days in (3, 14, -1):
            services.milestone_save(
                grant=grant,
                by=None,
                fields={
                    "title": f"Meilenstein in {days} Tagen",
                    "due_on": TODAY + datetime.timedelta(days=days),
                },
            )
    return editors


def _mails_and_rows(municipality):
    rows = list(
        Notification.objects.with_scope(municipality=municipality.pk).filter(emailed_at__isnull=False)
    )
    return len(mail.outbox), len(rows)


def _send(municipality):
    return funding_reminders_send.delay(municipality_id=municipality.pk, today=TODAY.isoformat())


def test_the_beat_job_running_twice_reminds_once(town_a, deadlines, finished):
    with worker_queue() as queue, run_worker(queue):
        first, second = _send(town_a), _send(town_a)
        finished.wait(first, second)
        wait_for(lambda: _mails_and_rows(town_a) == (6, 6))  # 3 deadlines × 2 people, mailed after commit
    assert sorted(m.to[0] for m in mail.outbox) == sorted([u.email for u in deadlines] * 3)
    assert len({m.subject for m in mail.outbox}) == 3


def test_a_replaced_worker_does_not_remind_again(town_a, deadlines, finished):
    with worker_queue() as queue:
        with run_worker(queue):
            finished.wait(_send(town_a))
            wait_for(lambda: _mails_and_rows(town_a) == (6, 6))
        # The worker is gone (a deploy, a crash); a new one runs the next beat job for the same day.
        with run_worker(queue):
            result = _send(town_a)
            finished.wait(result)
            again = funding_reminders_send.delay(municipality_id=town_a.pk, today=TODAY.isoformat())
            finished.wait(again)
    assert _mails_and_rows(town_a) == (6, 6)


def test_two_runs_at_the_same_moment_remind_once(town_a, deadlines):
    """Two runs of the job racing in separate transactions: the database's unique key decides, not a check
    that both could pass before either inserts."""
    need(
        connection.vendor == "postgresql", "concurrent writers need PostgreSQL (SQLite locks the whole file)"
    )
    from django.db import connections

    barrier = threading.Barrier(4)
    created, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            result = funding_reminders_send.apply(
                kwargs={"municipality_id": town_a.pk, "today": TODAY.isoformat()}
            )
            if not result.successful():
                raise result.result
            created.append(result.result)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(created) == 6  # 3 deadlines × 2 people, whichever run created them
    assert Notification.objects.with_scope(municipality=town_a.pk).count() == 6


def test_the_dispatcher_reaches_every_active_town(town_a, town_b, deadlines, finished):
    editor_b = factories.staff_member(municipality=town_b, role="editor")
    grant_b = factories.grant(municipality=town_b)
    with town_scope(town_b):
        services.milestone_save(grant=grant_b, by=None, fields={"title": "Soest", "due_on": helpers.today()})
    with worker_queue() as queue, run_worker(queue):
        finished.wait(funding_reminders_dispatch.delay())
        wait_for(lambda: any(m.to == [editor_b.email] for m in mail.outbox))
    assert Notification.objects.with_scope(municipality=town_b.pk).filter(recipient=editor_b).count() == 1
