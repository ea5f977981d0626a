"""Jobs of the outbox: the relay that hands unfinished tasks to the broker again, and the purge of finished rows."""

from celery import shared_task

from municipalities.tasks import RETRY_TRANSIENT

from . import services


@shared_task(soft_time_limit=50, time_limit=60, **RETRY_TRANSIENT)
def outbox_relay() -> int:
    """Platform job (beat, every ``OUTBOX_RELAY_SECONDS``): hand again what no worker has finished."""
    return services.relay()


@shared_task(soft_time_limit=300, time_limit=360, **RETRY_TRANSIENT)
def outbox_purge() -> int:
    """Platform job (beat, daily): delete finished hand-overs after ``OUTBOX_RETENTION_DAYS``."""
    return services.purge()
