"""Writes of the outbox: record a task hand-over in the caller's transaction, hand it to the broker after commit,
hand it again (the relay) until a worker has run it, and take note of what the worker reports.

Why a table of our own and not a library: what the portal needs is small (a row, a hand-over after commit, a
relay on beat, a note from the worker's signals), while the library that fits best (django-celery-outbox, 0.x)
swaps the Celery application class and needs a relay daemon of its own as another long-running service.
See docs/ARCHITECTURE.md ("Tasks") and docs/OPERATIONS.md ("The Celery worker").
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import MailClaim, OutboxTask, outbox_pk

logger = logging.getLogger(__name__)

# After a failed hand-over this process leaves the broker alone for a few seconds (the rows wait for the relay),
# so that a frozen broker holds at most one request per process and pause, not every request.
_paused_until = [0.0]


def _app() -> Any:  # celery ships no types
    from smartcity5.celery import app

    return app


def enqueue(task: Any, **kwargs: Any) -> OutboxTask:
    """Start ``task`` with ``kwargs`` once the caller's transaction commits, and never lose it.

    The hand-over is a row in the same transaction as the data that caused it: rolled back together, committed
    together. After the commit it is handed to the broker at once; if the broker is away, the relay
    (``outbox_relay``, beat) hands it again until a worker has run it. Tasks must be idempotent: a hand-over can
    reach the worker twice. Arguments must be JSON (ids, never objects).
    """
    row = OutboxTask.objects.create(task=task.name, kwargs=kwargs)
    transaction.on_commit(_HandOver([row.pk], (task.name, kwargs)))
    return row


def enqueue_many(task: Any, kwargs_list: list[dict[str, Any]]) -> list[OutboxTask]:
    """:func:`enqueue` for several calls of one task: one insert and one hand-over after commit."""
    rows = OutboxTask.objects.bulk_create(
        [OutboxTask(task=task.name, kwargs=kwargs) for kwargs in kwargs_list]
    )
    if rows:
        transaction.on_commit(_HandOver([row.pk for row in rows]))
    return rows


class _HandOver:
    """The after-commit hook of :func:`enqueue`: a callable that :func:`waiting_for_commit` can recognise among the
    connection's hooks by the call it hands over."""

    def __init__(self, pks: list[int], call: tuple[str, dict[str, Any]] | None = None):
        self.pks, self.call, self.ran = pks, call, False

    def __call__(self) -> None:
        self.ran = True
        hand_over(self.pks)


def waiting_for_commit(task: Any, **kwargs: Any) -> bool:
    """Whether the caller's transaction has enqueued the same call (``task`` with ``kwargs``) already and it still
    waits for the commit: not handed over yet, nor rolled back with a savepoint (Django drops the hooks of a
    savepoint that is rolled back, together with the row). A caller whose task covers every change committed
    before it runs (a rebuild) needs to enqueue it only once per transaction."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return False
    # The caller's transaction is the outermost atomic block that is not a test case's: a test runs inside those,
    # which never commit, and hands over what one block of it commits (pytest-django's on-commit capture), so a
    # hook from before that block will never run for it. Below a test case's blocks the transaction is a
    # savepoint, and its hooks are those registered while that savepoint stood.
    blocks = connection.atomic_blocks
    own = next((i for i, block in enumerate(blocks) if not getattr(block, "_from_testcase", False)), None)
    if own is None:
        return False
    savepoint = None
    if own > 0:
        if len(connection.savepoint_ids) != len(blocks) - 1 or connection.savepoint_ids[own - 1] is None:
            return False
        savepoint = connection.savepoint_ids[own - 1]
    call = (task.name, kwargs)
    return any(
        isinstance(hook, _HandOver)
        and hook.call == call
        and not hook.ran
        and (savepoint is None or savepoint in savepoints)
        for savepoints, hook, _robust in reversed(connection.run_on_commit)
    )


def _eager() -> bool:
    return bool(_app().conf.task_always_eager)


def _broker_paused() -> bool:
    return time.monotonic() < _paused_until[0]


def hand_over(pks: list[int]) -> int:
    """Hand the unfinished rows ``pks`` to the broker; returns how many it took.

    A broker error is logged and leaves the rows to the relay; it never reaches the caller (a request whose data
    is committed must not answer 500 because the broker is away). Under eager execution (no Redis, ``make run``)
    the task runs here, and its errors propagate as they would without the outbox.
    """
    rows = list(OutboxTask.objects.filter(pk__in=pks, done_at__isnull=True).order_by("pk"))
    if not rows:
        return 0
    app = _app()
    if _eager():
        for row in rows:
            _mark_handed(row.pk)
            try:
                app.tasks[row.task].apply_async(kwargs=row.kwargs, task_id=row.celery_id)
            except Exception as exc:  # propagated by eager execution, which skips the failure signal
                task_finished(row.celery_id, error=f"{type(exc).__name__}: {exc}")
                raise
        return len(rows)
    if _broker_paused():
        return 0
    handed = 0
    try:
        options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, **settings.OUTBOX_PUBLISH_TRANSPORT_OPTIONS}
        with app.connection_for_write(
            connect_timeout=settings.OUTBOX_PUBLISH_TIMEOUT, transport_options=options
        ) as connection:
            for row in rows:
                task = app.tasks.get(row.task)
                if task is None:
                    _mark_failed(row.pk, f"unknown task {row.task}")
                    continue
                task.apply_async(kwargs=row.kwargs, task_id=row.celery_id, connection=connection, retry=False)
                _mark_handed(row.pk)
                handed += 1
    except Exception as exc:  # noqa: BLE001 - the broker is away: kombu, redis-py and socket errors alike
        _paused_until[0] = time.monotonic() + settings.OUTBOX_BROKER_PAUSE_SECONDS
        logger.warning(
            "Broker unavailable, %d task hand-over(s) wait for the relay: %s: %s",
            len(rows) - handed,
            type(exc).__name__,
            exc,
        )
    return handed


def _mark_handed(pk: int) -> None:
    OutboxTask.objects.filter(pk=pk, done_at__isnull=True).update(
        handed_at=timezone.now(), hand_count=F("hand_count") + 1
    )


def _mark_failed(pk: int, error: str) -> None:
    OutboxTask.objects.filter(pk=pk, done_at__isnull=True).update(
        done_at=timezone.now(), failed=True, last_error=error[:500]
    )


def relay(*, now: datetime | None = None, batch: int | None = None, include_fresh: bool = False) -> int:
    """Hand again what is not finished (the relay; beat, every ``OUTBOX_RELAY_SECONDS``).

    A row is due when it was never handed over and is older than a moment (its own after-commit hand-over may
    still be under way), or when it was handed over but no worker has reported on it for ``OUTBOX_REHAND_AFTER``
    (the broker lost it, a worker died with it): longer than any task's time limit plus its retry countdown, so a
    task that is only slow or waiting for its retry is not handed twice without need. A row handed
    ``OUTBOX_MAX_HAND_OVERS`` times is given up and logged as an error. ``include_fresh`` (the management
    command) hands never-handed rows without the grace.
    """
    now = now or timezone.now()
    batch = batch or settings.OUTBOX_RELAY_BATCH
    fresh = now if include_fresh else now - timedelta(seconds=settings.OUTBOX_FIRST_HAND_GRACE_SECONDS)
    stale = now - timedelta(seconds=settings.OUTBOX_REHAND_AFTER)
    given_up = list(
        OutboxTask.objects.filter(
            done_at__isnull=True, hand_count__gte=settings.OUTBOX_MAX_HAND_OVERS, handed_at__lt=stale
        ).values_list("pk", "task")
    )
    for pk, task in given_up:
        logger.error(
            "Task hand-over %s (%s) given up after %d attempts", pk, task, settings.OUTBOX_MAX_HAND_OVERS
        )
        _mark_failed(pk, "given up: no worker finished it")
    due = (
        OutboxTask.objects.filter(done_at__isnull=True)
        .filter(Q(handed_at__isnull=True, created_at__lt=fresh) | Q(handed_at__lt=stale))
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch]
    )
    pks = list(due)
    return hand_over(pks) if pks else 0


def reopen_failed() -> int:
    """Make failed and given-up rows wait again (an operator fixed the cause): the next relay hands them over."""
    return OutboxTask.objects.filter(failed=True).update(
        done_at=None, failed=False, handed_at=None, hand_count=0
    )


def purge(*, now: datetime | None = None) -> int:
    """Delete finished rows after ``OUTBOX_RETENTION_DAYS`` (failed ones too: their error is in the log), and the
    mail claims as old (``MailClaim``: no delivery of their hand-over comes any more). Returns the hand-overs."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    deleted, _ = OutboxTask.objects.filter(done_at__lt=cutoff).delete()
    MailClaim.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- What the worker reports (outbox.signals) -------------------------------------------------------------------


def task_finished(celery_id: str | None, *, error: str = "") -> None:
    """The worker ran the task to its end (``error`` empty) or gave it up for good (retries used up, an error
    that is not retried): the row is finished either way, a failure is kept with its error."""
    pk = outbox_pk(celery_id)
    if pk is None:
        return
    OutboxTask.objects.filter(pk=pk, done_at__isnull=True).update(
        done_at=timezone.now(), failed=bool(error), last_error=error[:500]
    )


def task_retrying(celery_id: str | None, *, error: str = "") -> None:
    """The task meets a transient error and will run again after its countdown: it is alive, so the relay's
    clock starts again."""
    pk = outbox_pk(celery_id)
    if pk is None:
        return
    OutboxTask.objects.filter(pk=pk, done_at__isnull=True).update(
        handed_at=timezone.now(), last_error=error[:500]
    )
