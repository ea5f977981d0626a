"""Platform tasks that belong to no domain app."""

from celery import shared_task

from municipalities.tasks import RETRY_TRANSIENT
from smartcity5 import health


@shared_task(ignore_result=True, soft_time_limit=10, time_limit=20, **RETRY_TRANSIENT)
def worker_heartbeat():
    """Beat sends this every minute; the worker that runs it records the time, which /readyz reports."""
    health.worker_heartbeat_record()
