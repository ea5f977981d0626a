"""The transactional outbox: a task hand-over commits or rolls back with the data that caused it, the relay hands
again what no worker finished, and mails are claimed before they are sent."""

import datetime
import re
from pathlib import Path

import pytest
import redis
from celery.exceptions import Retry
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from municipalities.models import AccessibilityFeedback
from municipalities.services import accessibility_feedback_submit
from municipalities.tasks import accessibility_feedback_forward
from notifications.models import Notification
from notifications.services import notify
from notifications.tasks import notification_digest_send, notification_email_send
from outbox import services
from outbox.base import PortalTask
from outbox.models import OutboxTask
from smartcity5.celery import app as celery_app
from tests.conftest import need
from tests.tasks.conftest import worker_queue

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
STARTS_A_TASK = re.compile(r"\.(delay|apply_async|send_task)\(")


def test_the_code_starts_tasks_only_through_the_outbox():
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if (
            relative.parts[0] in {".venv", "tests", "outbox", "bench", "node_modules"}
            or "migrations" in relative.parts
        ):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if STARTS_A_TASK.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], "start tasks with task.delay_on_commit(...) (the outbox):\n" + "\n".join(
        offenders
    )


def test_every_task_of_the_portal_is_a_portal_task():
    celery_app.loader.import_default_modules()
    ours = {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}
    assert ours and all(isinstance(task, PortalTask) for task in ours.values())


def test_a_rolled_back_hand_over_never_runs(town_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        accessibility_feedback_submit(municipality=town_a, message="Die Rampe fehlt.")
        raise RuntimeError("the request fails after the write")
    assert not OutboxTask.objects.exists() and not AccessibilityFeedback.objects.exists()
    assert mail.outbox == []


def test_a_committed_hand_over_runs_once_and_is_marked_finished(town_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        feedback = accessibility_feedback_submit(municipality=town_a, message="Die Rampe fehlt.")
    row = OutboxTask.objects.get()
    assert row.task == accessibility_feedback_forward.name
    assert row.kwargs == {"municipality_id": town_a.pk, "feedback_id": feedback.pk}
    assert row.done_at is None and mail.outbox == []  # nothing is handed over before the commit
    for callback in callbacks:
        callback()
    row.refresh_from_db()
    assert row.done_at is not None and not row.failed and row.hand_count == 1
    assert len(mail.outbox) == 1
    # The relay leaves a finished row alone.
    assert services.relay(now=timezone.now() + datetime.timedelta(days=1)) == 0
    assert len(mail.outbox) == 1


def test_a_task_that_fails_for_good_is_kept_with_its_error(db, django_capture_on_commit_callbacks):
    with pytest.raises(ValueError), django_capture_on_commit_callbacks(execute=True):
        notification_digest_send.delay_on_commit(user_id=1, plan="hourly")
    row = OutboxTask.objects.get()
    assert row.failed and row.done_at is not None and "ValueError" in row.last_error


def test_positional_arguments_are_refused():
    with pytest.raises(TypeError):
        accessibility_feedback_forward.delay_on_commit(1, 2)


def _queue_length(queue: str) -> int:
    return redis.Redis.from_url(settings.REDIS_URL).llen(queue)


def _aged(row: OutboxTask, **fields) -> OutboxTask:
    OutboxTask.objects.filter(pk=row.pk).update(**fields)
    row.refresh_from_db()
    return row


def test_the_relay_hands_over_what_waits_and_gives_up_in_the_end(town_a):
    """Against real Redis, without a worker: which rows the relay hands to the broker, and which it leaves."""
    need(settings.REDIS_URL.startswith("redis"), "REDIS_URL must point at a running Redis")
    now = timezone.now()
    long_ago = now - datetime.timedelta(hours=2)
    kwargs = {"municipality_id": town_a.pk, "feedback_id": 0}
    task = accessibility_feedback_forward.name
    never_handed = _aged(OutboxTask.objects.create(task=task, kwargs=kwargs), created_at=long_ago)
    just_created = OutboxTask.objects.create(
        task=task, kwargs=kwargs
    )  # its own after-commit hand-over is due
    lost = _aged(
        OutboxTask.objects.create(task=task, kwargs=kwargs),
        created_at=long_ago,
        handed_at=long_ago,
        hand_count=1,
    )
    busy = _aged(
        OutboxTask.objects.create(task=task, kwargs=kwargs),
        created_at=long_ago,
        handed_at=now - datetime.timedelta(minutes=5),
        hand_count=1,
    )
    finished = _aged(
        OutboxTask.objects.create(task=task, kwargs=kwargs), created_at=long_ago, done_at=long_ago
    )
    hopeless = _aged(
        OutboxTask.objects.create(task=task, kwargs=kwargs),
        created_at=long_ago,
        handed_at=long_ago,
        hand_count=settings.OUTBOX_MAX_HAND_OVERS,
    )
    with worker_queue() as queue:
        assert services.relay(now=now) == 2
        assert _queue_length(queue) == 2  # really in the broker
        redis.Redis.from_url(settings.REDIS_URL).delete(queue)
    for row in (never_handed, just_created, lost, busy, finished, hopeless):
        row.refresh_from_db()
    assert never_handed.hand_count == 1 and never_handed.handed_at is not None
    assert lost.hand_count == 2
    assert just_created.hand_count == 0 and busy.hand_count == 1 and finished.hand_count == 0
    assert hopeless.failed and hopeless.done_at is not None and "given up" in hopeless.last_error


def test_finished_rows_are_purged_after_the_retention(db):
    old = _aged(OutboxTask.objects.create(task="x"), done_at=timezone.now() - datetime.timedelta(days=30))
    recent = _aged(OutboxTask.objects.create(task="x"), done_at=timezone.now())
    waiting = _aged(
        OutboxTask.objects.create(task="x"), created_at=timezone.now() - datetime.timedelta(days=30)
    )
    assert services.purge() == 1
    assert set(OutboxTask.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert old.pk not in set(OutboxTask.objects.values_list("pk", flat=True))


# --- Mails are claimed before they are sent (outbox.claims) -----------------------------------------------------


def _notification(municipality, person, **fields):
    from municipalities.scoping import town_scope

    with town_scope(municipality):
        created = notify(
            municipality=municipality,
            recipients=[person],
            kind="funding.deadline",
            key="test:claim",
            title="Frist läuft ab",
            url=f"/{municipality.slug}/verwaltung/",
            email=False,
        )[0]
    Notification.objects.with_scope(municipality=municipality.pk).filter(pk=created.pk).update(**fields)
    return created


def _send(municipality, notification):
    return notification_email_send(municipality_id=municipality.pk, notification_id=notification.pk)


def test_a_mail_claimed_by_a_sender_at_work_is_not_sent_again(town_a, editor_a):
    notification = _notification(town_a, editor_a, email_claimed_at=timezone.now())
    with pytest.raises(Retry):  # looks again once the claim may have gone stale
        _send(town_a, notification)
    assert mail.outbox == []


def test_a_claim_left_by_a_dead_sender_is_sent_again(town_a, editor_a):
    stale = timezone.now() - datetime.timedelta(seconds=settings.MAIL_CLAIM_SECONDS + 1)
    notification = _notification(town_a, editor_a, email_claimed_at=stale)
    assert _send(town_a, notification) is True
    assert _send(town_a, notification) is False
    assert len(mail.outbox) == 1


def test_a_mail_server_error_gives_the_claim_back(town_a, editor_a, settings):
    notification = _notification(town_a, editor_a)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        9,
        2,
    )  # nothing listens there
    with pytest.raises(OSError):
        _send(town_a, notification)
    row = Notification.objects.with_scope(municipality=town_a.pk).get(pk=notification.pk)
    assert row.email_claimed_at is None and row.emailed_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert _send(town_a, notification) is True and len(mail.outbox) == 1


def test_a_digest_leaves_out_what_another_digest_is_sending(town_a, editor_a):
    from municipalities.scoping import town_scope

    with town_scope(town_a):
        rows = [
            notify(
                municipality=town_a,
                recipients=[editor_a],
                kind="funding.deadline",
                key=f"test:d{i}",
                title=f"Frist {i}",
                email=False,
            )[0]
            for i in range(3)
        ]
    Notification.objects.with_scope(municipality=town_a.pk).filter(pk__in=[r.pk for r in rows]).update(
        email_plan="daily"
    )
    Notification.objects.with_scope(municipality=town_a.pk).filter(pk=rows[0].pk).update(
        email_claimed_at=timezone.now()
    )
    assert notification_digest_send(user_id=editor_a.pk, plan="daily") == 2
    assert notification_digest_send(user_id=editor_a.pk, plan="daily") == 0
    assert len(mail.outbox) == 1 and "Frist 0" not in mail.outbox[0].body and "Frist 1" in mail.outbox[0].body


def test_the_command_hands_over_at_once_and_reopens_failed_rows(town_a, settings):
    import io

    from django.core.management import call_command

    need(settings.REDIS_URL.startswith("redis"), "REDIS_URL must point at a running Redis")
    kwargs = {"municipality_id": town_a.pk, "feedback_id": 0}
    waiting = OutboxTask.objects.create(task=accessibility_feedback_forward.name, kwargs=kwargs)
    failed = _aged(
        OutboxTask.objects.create(task=accessibility_feedback_forward.name, kwargs=kwargs),
        done_at=timezone.now(),
        failed=True,
        last_error="SMTPException",
    )
    out = io.StringIO()
    with worker_queue() as queue:
        call_command("outbox_relay", "--failed", stdout=out)
        assert _queue_length(queue) == 2
        redis.Redis.from_url(settings.REDIS_URL).delete(queue)
    assert "1 failed hand-over(s) reopened" in out.getvalue() and "2 task(s) handed" in out.getvalue()
    for row in (waiting, failed):
        row.refresh_from_db()
        assert row.hand_count == 1 and row.done_at is None and not row.failed


def test_the_upgrade_hands_over_mails_that_were_planned_but_never_sent(town_a, editor_a):
    import importlib

    from django.apps import apps

    from municipalities.scoping import town_scope

    with town_scope(town_a):
        unsent = Notification.objects.create(
            municipality=town_a,
            recipient=editor_a,
            kind="funding.deadline",
            key="old:1",
            title="Frist",
            email_plan="immediate",
        )
        Notification.objects.create(
            municipality=town_a,
            recipient=editor_a,
            kind="funding.deadline",
            key="old:2",
            title="Frist",
            email_plan="immediate",
            emailed_at=timezone.now(),
        )
        Notification.objects.create(
            municipality=town_a,
            recipient=editor_a,
            kind="funding.deadline",
            key="old:3",
            title="Frist",
            email_plan="daily",
        )
    migration = importlib.import_module("outbox.migrations.0002_hand_over_unsent_notification_mails")
    migration.hand_over_unsent(apps, None)
    row = OutboxTask.objects.get()
    assert row.task == notification_email_send.name
    assert row.kwargs == {"municipality_id": town_a.pk, "notification_id": unsent.pk}
