"""Every registered task against the broker's visibility timeout and the retry policy: a task still running (or
waiting for its retry) must never be handed to a second worker, and every task retries transient errors."""

from django.conf import settings

from municipalities.tasks import TRANSIENT_ERRORS
from smartcity5.celery import app as celery_app

OUR_APPS = (
    "accounts.",
    "api.",
    "funding.",
    "knowledge.",
    "municipalities.",
    "notifications.",
    "outbox.",
    "participation.",
    "projects.",
    "reports.",
    "reviews.",
    "smartcity5.",
)


def _our_tasks():
    celery_app.loader.import_default_modules()  # autodiscovery, as the worker does at start
    tasks = {name: task for name, task in celery_app.tasks.items() if name.startswith(OUR_APPS)}
    assert len(tasks) >= 20, sorted(tasks)  # the discovery found the apps' tasks, not an empty list
    return tasks


def _longest_countdown(task) -> int:
    """The longest wait Celery's autoretry can choose before a retry (celery.app.autoretry)."""
    if not getattr(task, "autoretry_for", ()):
        return 0
    if task.retry_backoff:
        factor = int(max(1.0, float(task.retry_backoff)))
        maximum = int(getattr(task, "retry_backoff_max", 600))
        return min(maximum, factor * 2 ** (task.max_retries or 0))
    return int(task.default_retry_delay)


def test_time_limit_plus_longest_retry_countdown_stays_below_the_visibility_timeout():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    too_long = {}
    for name, task in _our_tasks().items():
        time_limit = task.time_limit or celery_app.conf.task_time_limit
        assert time_limit, f"{name} has no hard time limit"
        assert task.soft_time_limit and task.soft_time_limit < time_limit, name
        # With acks_late, the message stays unacknowledged while the worker waits for the retry's countdown and
        # then runs the task: both together must end before Redis gives the message to another worker.
        if _longest_countdown(task) + time_limit >= visibility:
            too_long[name] = (_longest_countdown(task), time_limit)
    assert not too_long, (
        f"visibility timeout {visibility} s is too short for (countdown, time limit): {too_long}"
    )


def test_the_heartbeat_window_is_far_below_the_visibility_timeout():
    """The sweep, not the broker, recovers a dead worker's report: its window must be the shorter one."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > settings.JOB_HEARTBEAT_TIMEOUT * 4
    assert settings.CELERY_BEAT_SCHEDULE["stuck-jobs-sweep"]["schedule"] <= settings.JOB_HEARTBEAT_TIMEOUT


def test_every_task_retries_transient_database_broker_and_mail_errors_with_backoff():
    missing = {}
    for name, task in _our_tasks().items():
        retried = tuple(getattr(task, "autoretry_for", ()) or ())
        absent = [
            error.__module__ + "." + error.__name__
            for error in TRANSIENT_ERRORS
            if not any(issubclass(error, kind) for kind in retried)
        ]
        if absent or not task.retry_backoff or not task.max_retries:
            missing[name] = absent or "no backoff / no bound"
    assert not missing, missing


def test_the_transient_errors_cover_a_restarting_database_and_an_unreachable_broker():
    from django.db import InterfaceError, OperationalError
    from kombu.exceptions import OperationalError as BrokerUnreachable
    from redis.exceptions import ConnectionError as RedisConnectionError

    for error in (OperationalError, InterfaceError, BrokerUnreachable, RedisConnectionError):
        assert issubclass(error, TRANSIENT_ERRORS), error
    assert not issubclass(ValueError, TRANSIENT_ERRORS)
