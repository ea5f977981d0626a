"""The readiness check of notifications: how long the oldest "immediate" e-mail has been waiting."""

from django.conf import settings
from django.utils import timezone

from smartcity5 import health

from . import selectors


@health.check("notification_mail", critical=False)
def oldest_unsent_immediate_notification():
    created_at = selectors.oldest_unsent_immediate_created_at()
    if created_at is None:
        return {"oldest_unsent_age_seconds": None}
    age = max(0, round((timezone.now() - created_at).total_seconds()))
    limit = settings.HEALTH_NOTIFICATION_MAX_AGE
    if age > limit:
        raise health.CheckFailed(
            f"an immediate notification has waited for its e-mail longer than {limit} s",
            oldest_unsent_age_seconds=age,
        )
    return {"oldest_unsent_age_seconds": age}
