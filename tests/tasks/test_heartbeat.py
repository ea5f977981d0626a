"""The worker heartbeat: beat's task, run by a real worker, is what /readyz reports as the worker's age."""

import json

from django.conf import settings

from smartcity5 import health
from smartcity5.tasks import worker_heartbeat


def test_a_worker_running_the_heartbeat_task_makes_readyz_report_it_fresh(celery_worker, finished, client):
    with health.redis_client() as redis:
        redis.delete(health.HEARTBEAT_KEY)
    assert json.loads(client.get("/readyz").content)["checks"]["worker_heartbeat"]["status"] == "fail"

    finished.wait(worker_heartbeat.delay())

    entry = json.loads(client.get("/readyz").content)["checks"]["worker_heartbeat"]
    assert entry["status"] == "ok" and entry["age_seconds"] <= 5


def test_beat_sends_the_heartbeat_every_minute_and_drops_copies_no_worker_took():
    entry = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]
    assert entry["task"] == worker_heartbeat.name and entry["schedule"] == 60
    assert entry["options"]["expires"] < entry["schedule"]
    assert 2 * entry["schedule"] <= settings.HEALTH_WORKER_HEARTBEAT_MAX_AGE
