"""The base class for town tasks, and the tasks of the municipalities app."""

import logging
from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerUnreachable
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from outbox.base import PortalTask
from outbox.claims import claim, sending
from smartcity5.mail import mail_send

from .models import AccessibilityFeedback, AuditEntry, Municipality
from .scoping import town_scope

logger = logging.getLogger(__name__)

# Errors worth retrying, the one list every task names in ``autoretry_for``: the mail server or the network
# hiccuped, PostgreSQL restarts or fails over (OperationalError, InterfaceError: the connection broke), Redis or
# the broker cannot be reached (a task that hands on another task). Celery's Django fixup closes the worker's
# database connections before and after every task run, so the retry opens a fresh connection.
TRANSIENT_ERRORS = (
    SMTPException,
    ConnectionError,
    TimeoutError,
    OperationalError,
    InterfaceError,
    BrokerUnreachable,
    RedisConnectionError,
    RedisTimeoutError,
)
# The retry policy of a task that writes or sends: up to 8 retries, waiting 30 s, 60 s, … at most 10 minutes
# (with jitter). The longest countdown plus a task's time limit must stay below the broker's visibility timeout.
RETRY_TRANSIENT = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "max_retries": 8,
}
# The preset of every task that sends mail or notifies people: a minute to send, stopped after 90 s (a mail claim,
# settings.MAIL_CLAIM_SECONDS, outlives that), retried as above. A task that tells many people at once keeps the
# preset and only gives itself more time (participation.tasks).
MAIL_TASK = {"soft_time_limit": 60, "time_limit": 90, **RETRY_TRANSIENT}


class TownTask(PortalTask):
    """Base of every task that works for one town.

    Callers pass ``municipality_id=<pk>`` (ids, never objects); the task body receives
    ``municipality=<Municipality>`` and runs inside that town's scope, like a request under ``/<town>/``.
    Being a ``PortalTask``, it offers ``delay_on_commit``: handed over through the outbox with the caller's
    transaction.
    """

    abstract = True
    # Callers pass municipality_id while the body takes municipality, so Celery's check of the call
    # against the body's signature would refuse every call.
    typing = False

    def __call__(self, *args, **kwargs):
        municipality = Municipality.objects.get(pk=kwargs.pop("municipality_id"))
        with town_scope(municipality), translation.override(settings.LANGUAGE_CODE):
            return super().__call__(*args, municipality=municipality, **kwargs)


@shared_task(base=TownTask, bind=True, **MAIL_TASK)
def accessibility_feedback_forward(self, *, municipality: Municipality, feedback_id: int) -> bool:
    """Mail a barrier report to the town's accessibility contact, once.

    Idempotent (``outbox.claims``): claimed in ``forward_claimed_at`` before the mail server is asked,
    ``forwarded_at`` set after it accepted the message, so a retry or a second delivery does not mail twice.
    """
    recipient = municipality.accessibility_contact_email or municipality.contact_email
    if not recipient:
        logger.warning(
            "No accessibility contact for %s; feedback %s stays in the staff inbox.",
            municipality.slug,
            feedback_id,
        )
        return False
    fields = {"sent": "forwarded_at", "claimed": "forward_claimed_at"}
    feedback = claim(self, AccessibilityFeedback.objects, feedback_id, **fields)
    if feedback is None:
        return False
    with sending(AccessibilityFeedback.objects, [feedback.pk], **fields):
        mail_send(
            to=recipient,
            template="municipalities/email/accessibility_feedback",
            context={"feedback": feedback},
            municipality=municipality,
            settings_link=False,
            reason=_(
                "You receive this e-mail as the contact for accessibility named in the accessibility "
                "statement of %(town)s."
            )
            % {"town": municipality.official_name},
        )
    return True


# The longest task: its retry waits at most 5 minutes, so both together stay below the visibility timeout.
@shared_task(soft_time_limit=1800, time_limit=1900, **{**RETRY_TRANSIENT, "retry_backoff_max": 300})
def orphan_files_purge() -> int:
    """Platform job (beat, daily): delete uploaded files no row refers to any more (``smartcity5.orphans``)."""
    from smartcity5.orphans import orphan_files_purge as purge

    return len(purge())


@shared_task(soft_time_limit=300, time_limit=360, **RETRY_TRANSIENT)
def audit_entries_purge() -> int:
    """Platform job (beat, daily): delete audit entries older than ``AUDIT_RETENTION_DAYS``."""
    cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEntry.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task(soft_time_limit=300, time_limit=360, **RETRY_TRANSIENT)
def figures_changes_prune() -> int:
    """Platform job (beat, daily): keep only each town's latest ``FiguresChange`` (its version,
    ``municipalities.freshness``); the version stays, so no cached figure comes back."""
    from .freshness import prune

    return prune()


@shared_task(soft_time_limit=50, time_limit=55, **RETRY_TRANSIENT)
def stuck_jobs_sweep() -> dict[str, int]:
    """Platform job (beat, every minute): reports and data exports whose worker stopped beating are handed to
    the worker again, or marked failed with a reason once ``JOB_MAX_ATTEMPTS`` are used (``smartcity5.jobs``)."""
    from smartcity5.jobs import stuck_jobs_sweep as sweep

    return sweep()
