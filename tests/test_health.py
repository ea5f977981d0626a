"""/healthz (liveness) and /readyz (readiness): answers, failures of real services, the check registry."""

import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone

from notifications.kinds import Delivery
from notifications.models import Notification
from smartcity5 import health
from smartcity5.celery import app as celery_app
from tests import factories
from tests.conftest import need
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


def point_redis_at(settings, url: str) -> None:
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    celery_app.conf.broker_url = url


@pytest.fixture
def redis_settings(settings):
    need(settings.REDIS_URL.startswith("redis"), "REDIS_URL must point at a running Redis")
    previous = celery_app.conf.broker_url
    yield settings
    celery_app.conf.broker_url = previous


def readyz(client):
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response, json.loads(response.content)


def test_healthz_answers_without_database_session_or_cache(client):
    # No database access is allowed in this test (no db fixture): any query would raise.
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies  # no session, no language cookie


@pytest.mark.django_db(transaction=True)
def test_readyz_reports_every_check_as_json_and_is_never_cached(client, redis_settings):
    with health.redis_client() as redis:
        redis.set(health.HEARTBEAT_KEY, f"{time.time() - 5:.3f}")
    response, report = readyz(client)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    checks = report["checks"]
    assert set(checks) >= {"database", "redis", "broker", "worker_heartbeat", "notification_mail"}
    assert {name: entry["status"] for name, entry in checks.items()} == dict.fromkeys(checks, "ok")
    assert report["status"] == "ok"
    assert checks["database"]["critical"] is True
    assert not any(
        checks[name]["critical"] for name in ("redis", "broker", "worker_heartbeat", "notification_mail")
    )
    assert 4 <= checks["worker_heartbeat"]["age_seconds"] <= 60
    assert checks["notification_mail"]["oldest_unsent_age_seconds"] is None


@pytest.mark.django_db(transaction=True)
def test_readyz_reports_redis_broker_and_heartbeat_failing_but_stays_ready(client, redis_settings):
    # Nothing listens on this port: a real connection refused, not a mock.
    point_redis_at(redis_settings, f"redis://127.0.0.1:{free_port()}/0")
    response, report = readyz(client)
    assert response.status_code == 200  # pages still work without Redis, so the portal stays in rotation
    assert report["status"] == "degraded"
    checks = report["checks"]
    assert checks["database"]["status"] == "ok"
    for name in ("redis", "broker", "worker_heartbeat"):
        assert checks[name]["status"] == "fail" and "connect" in checks[name]["reason"].lower(), checks[name]


@pytest.mark.django_db(transaction=True)
def test_readyz_answers_quickly_when_redis_is_frozen(client, redis_settings, private_redis):
    point_redis_at(redis_settings, private_redis.url)
    with health.redis_client() as redis:
        redis.ping()
    private_redis.freeze()
    try:
        started = time.monotonic()
        response, report = readyz(client)
        elapsed = time.monotonic() - started
    finally:
        private_redis.thaw()
    assert response.status_code == 200
    assert report["checks"]["redis"]["status"] == "fail"
    assert report["checks"]["database"]["status"] == "ok"
    assert elapsed < 10  # bounded by the timeouts, not hanging on the frozen server


@pytest.mark.django_db(transaction=True)
def test_a_stale_or_missing_heartbeat_fails_with_its_age(client, redis_settings):
    redis_settings.HEALTH_WORKER_HEARTBEAT_MAX_AGE = 120
    with health.redis_client() as redis:
        redis.delete(health.HEARTBEAT_KEY)
        assert readyz(client)[1]["checks"]["worker_heartbeat"]["status"] == "fail"
        redis.set(health.HEARTBEAT_KEY, f"{time.time() - 600:.3f}")
    response, report = readyz(client)
    entry = report["checks"]["worker_heartbeat"]
    assert response.status_code == 200 and entry["status"] == "fail"
    assert 599 <= entry["age_seconds"] <= 660 and "120" in entry["reason"]


def test_without_redis_broker_and_heartbeat_are_not_applicable(client, settings, db):
    # Development without REDIS_URL: local-memory cache, tasks run in-process, no worker to ask about.
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response, report = readyz(client)
    assert response.status_code == 200
    for name in ("redis", "broker", "worker_heartbeat"):
        assert report["checks"][name]["status"] == "not_applicable"
    assert report["status"] in {"ok", "degraded"}


@pytest.mark.django_db(transaction=True)
def test_oldest_unsent_immediate_notification_is_reported_with_its_age(client, settings):
    settings.HEALTH_NOTIFICATION_MAX_AGE = 900
    town = factories.MunicipalityFactory()
    person = factories.UserFactory()
    gone = factories.UserFactory(is_active=False)

    def make(recipient, key, *, plan, minutes_ago, emailed=False):
        row = Notification._base_manager.create(
            municipality=town,
            recipient=recipient,
            kind="funding.deadline",
            key=key,
            title="T",
            email_plan=plan,
            emailed_at=timezone.now() if emailed else None,
        )
        Notification._base_manager.filter(pk=row.pk).update(
            created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
        )

    # Neither a sent mail, a digest row, nor a row for an account that cannot get mail is waiting.
    make(person, "a", plan=Delivery.IMMEDIATE, minutes_ago=120, emailed=True)
    make(person, "b", plan=Delivery.DAILY, minutes_ago=120)
    make(gone, "c", plan=Delivery.IMMEDIATE, minutes_ago=120)
    entry = readyz(client)[1]["checks"]["notification_mail"]
    assert entry == {**entry, "status": "ok", "oldest_unsent_age_seconds": None, "critical": False}

    make(person, "d", plan=Delivery.IMMEDIATE, minutes_ago=2)
    entry = readyz(client)[1]["checks"]["notification_mail"]
    assert entry["status"] == "ok" and 115 <= entry["oldest_unsent_age_seconds"] <= 180

    make(person, "e", plan=Delivery.IMMEDIATE, minutes_ago=30)
    response, report = readyz(client)
    entry = report["checks"]["notification_mail"]
    assert response.status_code == 200 and entry["status"] == "fail"
    assert 1795 <= entry["oldest_unsent_age_seconds"] <= 1860


@pytest.mark.django_db(transaction=True)
def test_a_registered_check_joins_readyz_and_only_a_critical_failure_answers_503(client, monkeypatch):
    def broken():
        raise health.CheckFailed("3 rows waiting", pending=3)

    monkeypatch.setitem(
        health.REGISTRY, "example", health.Check(name="example", critical=False, function=broken)
    )
    response, report = readyz(client)
    assert response.status_code == 200
    assert report["checks"]["example"] == {
        **report["checks"]["example"],
        "status": "fail",
        "critical": False,
        "reason": "3 rows waiting",
        "pending": 3,
    }

    monkeypatch.setitem(
        health.REGISTRY, "example", health.Check(name="example", critical=True, function=broken)
    )
    response, report = readyz(client)
    assert response.status_code == 503 and report["status"] == "fail"


@pytest.mark.django_db(transaction=True)
def test_a_hanging_check_is_abandoned_after_the_timeout(client, settings, monkeypatch):
    settings.HEALTH_CHECK_TIMEOUT = 0.5
    monkeypatch.setitem(
        health.REGISTRY, "slow", health.Check(name="slow", critical=True, function=lambda: time.sleep(3))
    )
    started = time.monotonic()
    response, report = readyz(client)
    assert time.monotonic() - started < 2.5
    assert response.status_code == 503
    assert report["checks"]["slow"]["reason"] == "no answer within 0.5 s"
    assert report["checks"]["database"]["status"] == "ok"


def test_database_down_answers_503_on_readyz_and_200_on_healthz():
    """A real outage: the process's DATABASE_URL points at a port where no PostgreSQL listens."""
    script = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "c = Client()\n"
        "ready = c.get('/readyz'); live = c.get('/healthz')\n"
        "print(json.dumps({'ready': ready.status_code, 'report': json.loads(ready.content),"
        " 'live': live.status_code}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="smartcity5.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/smartcity5_down",
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["live"] == 200
    assert outcome["ready"] == 503
    database = outcome["report"]["checks"]["database"]
    assert database["status"] == "fail" and database["critical"] is True
    assert outcome["report"]["status"] == "fail"


@pytest.mark.django_db(transaction=True)
def test_task_hand_overs_waiting_in_the_outbox_are_reported_with_the_oldest_age(client, settings):
    from outbox.models import OutboxTask

    settings.HEALTH_OUTBOX_MAX_AGE = 300
    entry = readyz(client)[1]["checks"]["outbox"]
    assert entry == {
        **entry,
        "status": "ok",
        "waiting": 0,
        "oldest_waiting_age_seconds": None,
        "critical": False,
    }
    finished = OutboxTask.objects.create(task="x", done_at=timezone.now())
    OutboxTask.objects.filter(pk=finished.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    OutboxTask.objects.create(task="x")
    entry = readyz(client)[1]["checks"]["outbox"]
    assert entry["status"] == "ok" and entry["waiting"] == 1 and entry["oldest_waiting_age_seconds"] <= 60
    old = OutboxTask.objects.create(task="x")
    OutboxTask.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=10))
    response, report = readyz(client)
    entry = report["checks"]["outbox"]
    assert response.status_code == 200 and entry["status"] == "fail" and entry["waiting"] == 2
    assert 595 <= entry["oldest_waiting_age_seconds"] <= 660
