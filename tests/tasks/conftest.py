"""A real Celery worker consuming from real Redis, for tests that claim to test tasks."""

import threading
import time
import uuid
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings

from smartcity5.celery import app as celery_app
from tests.conftest import need


@contextmanager
def worker_queue():
    """A queue of its own for this test (never picks up messages left over from other runs); tasks are sent
    to Redis instead of running inline."""
    need(settings.REDIS_URL.startswith("redis"), "REDIS_URL must point at a running Redis for worker tests")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        celery_app.conf.task_default_queue = previous


def run_worker(queue: str):
    """A real worker (solo pool, in a thread of this process) consuming ``queue``; a context manager."""
    return start_worker(
        celery_app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        queues=[queue],
        shutdown_timeout=20,
        loglevel="WARNING",
    )


@pytest.fixture
def celery_worker(transactional_db):
    with worker_queue() as queue, run_worker(queue) as worker:
        yield worker


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1):
    """Poll until the worker has done its part (it runs in another thread with its own DB connection)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError("the worker did not finish in time")


class Finished:
    """Task ids that a worker (a thread of this process) has finished running."""

    def __init__(self):
        self.ids, self.lock = set(), threading.Lock()

    def __call__(self, sender=None, task_id=None, **kwargs):
        with self.lock:
            self.ids.add(task_id)

    def count(self) -> int:
        with self.lock:
            return len(self.ids)

    def wait(self, *results):
        wait_for(lambda: {r.id for r in results} <= self.ids, timeout=30)


@pytest.fixture
def finished():
    """Wait for tasks by id: ``finished.wait(result, …)`` returns once the worker has run them all."""
    receiver = Finished()
    task_postrun.connect(receiver, weak=False)
    yield receiver
    task_postrun.disconnect(receiver)
