"""The worker tells the outbox when a task that came through it has finished, failed for good or will retry."""

import contextlib

from celery.signals import task_failure, task_retry, task_success
from django.db import DatabaseError

from . import services


def _describe(exc) -> str:
    return f"{type(exc).__name__}: {exc}" if exc is not None else ""


@task_success.connect(weak=False)
def _on_success(sender=None, **kwargs):
    _safely(services.task_finished, getattr(sender.request, "id", None))


@task_failure.connect(weak=False)
def _on_failure(sender=None, task_id=None, exception=None, **kwargs):
    _safely(services.task_finished, task_id, error=_describe(exception) or "failed")


@task_retry.connect(weak=False)
def _on_retry(sender=None, request=None, reason=None, **kwargs):
    _safely(services.task_retrying, getattr(request, "id", None), error=_describe(reason))


def _safely(note, *args, **kwargs):
    # The database may be the reason the task failed: then the row stays open and the relay hands it again,
    # which is what should happen; the note must not turn into an error of its own.
    with contextlib.suppress(DatabaseError):
        note(*args, **kwargs)
