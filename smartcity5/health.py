"""Health checks behind /healthz (liveness) and /readyz (readiness), and the registry any app adds its checks to.

A check is a function that returns a dict of facts (e.g. ``{"age_seconds": 12}``) when all is well, raises
:class:`CheckFailed` (or any exception) when it is not, and raises :class:`NotApplicable` when the thing it
checks does not exist in this setup (no Redis in development). Register one with :func:`check`::

    @health.check("outbox", critical=False)
    def outbox_pending():
        ...

Critical checks decide readiness: one that fails makes /readyz answer 503, so a load balancer stops sending
traffic. The others are only reported (``"critical": false``): a dead worker or an unreachable Redis is worth
an alarm, but the portal still serves pages, so taking it out of rotation would only make things worse.
"""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.utils import timezone

OK, FAIL, NOT_APPLICABLE = "ok", "fail", "not_applicable"

# The key the beat's heartbeat task writes and /readyz reads (in Redis, next to the broker's queues).
HEARTBEAT_KEY = "smartcity5:health:worker-heartbeat"


class CheckFailed(Exception):
    """The checked thing is unhealthy; ``facts`` are reported next to the reason."""

    def __init__(self, reason: str, **facts):
        super().__init__(reason)
        self.facts = facts


class NotApplicable(Exception):
    """The checked thing is not part of this setup (e.g. no worker in development with in-process tasks)."""


@dataclass(frozen=True)
class Check:
    name: str
    critical: bool
    function: Callable[[], dict | None]


REGISTRY: dict[str, Check] = {}


def check(name: str, *, critical: bool):
    """Register the decorated function as the readiness check ``name`` (see the module docstring)."""

    def decorator(function):
        REGISTRY[name] = Check(name=name, critical=critical, function=function)
        return function

    return decorator


def _run(item: Check) -> dict:
    started = time.monotonic()
    try:
        facts = item.function() or {}
        result = {"status": OK, **facts}
    except NotApplicable as exc:
        result = {"status": NOT_APPLICABLE, "reason": str(exc)}
    except CheckFailed as exc:
        result = {"status": FAIL, "reason": str(exc), **exc.facts}
    except Exception as exc:  # noqa: BLE001 - any error of a dependency is a failed check, reported by type
        result = {"status": FAIL, "reason": f"{type(exc).__name__}: {exc}"[:300]}
    finally:
        # Each check runs in its own thread: close the database connections that thread opened.
        connections.close_all()
    result["duration_ms"] = round((time.monotonic() - started) * 1000)
    return result


def readiness() -> tuple[bool, dict]:
    """Run every registered check, in parallel and each bounded by HEALTH_CHECK_TIMEOUT seconds.

    Returns whether the portal is ready (no critical check failed) and the report /readyz shows.
    """
    timeout = settings.HEALTH_CHECK_TIMEOUT
    checks = list(REGISTRY.values())
    executor = ThreadPoolExecutor(max_workers=max(len(checks), 1), thread_name_prefix="readyz")
    futures = {item.name: executor.submit(_run, item) for item in checks}
    wait(futures.values(), timeout=timeout)
    # A check that hangs (a frozen server) is abandoned, not waited for.
    executor.shutdown(wait=False, cancel_futures=True)
    report = {}
    for item in checks:
        future = futures[item.name]
        if future.done() and not future.cancelled():
            result = future.result()
        else:
            result = {"status": FAIL, "reason": f"no answer within {timeout} s"}
        report[item.name] = {"critical": item.critical, **result}
    ready = all(entry["status"] != FAIL for entry in report.values() if entry["critical"])
    degraded = any(entry["status"] == FAIL for entry in report.values())
    status = "fail" if not ready else "degraded" if degraded else "ok"
    return ready, {"status": status, "time": timezone.now().isoformat(), "checks": report}


def tasks_run_in_process() -> bool:
    """Development without REDIS_URL: tasks run eagerly in the web process, there is no broker or worker."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


def redis_client():
    """A client for REDIS_URL with short timeouts, so a frozen Redis holds a check for at most about a second."""
    import redis

    if not settings.REDIS_URL:
        raise NotApplicable("REDIS_URL is not set: local-memory cache")
    timeout = settings.HEALTH_REDIS_TIMEOUT
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout)


def worker_heartbeat_record() -> None:
    """Record that a worker ran the beat's heartbeat task now (called by ``smartcity5.tasks``)."""
    with redis_client() as client:
        client.set(HEARTBEAT_KEY, f"{time.time():.3f}", ex=7 * 24 * 3600)


# --- The platform's own checks ------------------------------------------------------------------------------


@check("database", critical=True)
def database():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connections["default"].vendor}


@check("redis", critical=False)
def redis_cache():
    """Redis as cache and rate-limit store (REDIS_URL)."""
    with redis_client() as client:
        client.ping()
    return {}


@check("broker", critical=False)
def broker():
    """The Celery broker accepts connections (tasks can be handed over)."""
    if tasks_run_in_process():
        raise NotApplicable("tasks run in-process (no REDIS_URL)")
    from smartcity5.celery import app

    timeout = settings.HEALTH_REDIS_TIMEOUT
    with app.connection_for_write(
        connect_timeout=timeout,
        transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout},
    ) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    return {}


@check("worker_heartbeat", critical=False)
def worker_heartbeat():
    """How long ago a worker last ran the heartbeat task that beat sends every minute."""
    if tasks_run_in_process():
        raise NotApplicable("tasks run in-process (no REDIS_URL): no worker or beat")
    with redis_client() as client:
        value = client.get(HEARTBEAT_KEY)
    if value is None:
        raise CheckFailed("no heartbeat recorded yet: are a worker and beat running?")
    age = max(0, round(time.time() - float(value)))
    limit = settings.HEALTH_WORKER_HEARTBEAT_MAX_AGE
    if age > limit:
        raise CheckFailed(f"last heartbeat older than {limit} s", age_seconds=age)
    return {"age_seconds": age}
