"""The readiness check of the outbox: how many task hand-overs wait, and for how long the oldest has waited."""

from django.conf import settings
from django.utils import timezone

from smartcity5 import health

from . import selectors


@health.check("outbox", critical=False)
def waiting_hand_overs():
    waiting, oldest = selectors.waiting()
    age = None if oldest is None else max(0, round((timezone.now() - oldest).total_seconds()))
    if age is not None and age > settings.HEALTH_OUTBOX_MAX_AGE:
        raise health.CheckFailed(
            f"a task hand-over has waited longer than {settings.HEALTH_OUTBOX_MAX_AGE} s "
            "(broker or worker away?)",
            waiting=waiting,
            oldest_waiting_age_seconds=age,
        )
    return {"waiting": waiting, "oldest_waiting_age_seconds": age}
