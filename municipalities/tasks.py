"""The base class for town tasks, and the tasks of the municipalities app."""

import logging
from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from smartcity5.mail import render_subject

from .models import AccessibilityFeedback, AuditEntry, Municipality
from .scoping import town_scope

logger = logging.getLogger(__name__)

# Errors worth retrying: the mail server or the network hiccuped.
TRANSIENT_ERRORS = (SMTPException, ConnectionError, TimeoutError)


class TownTask(DjangoTask):
    """Base of every task that works for one town.

    Callers pass ``municipality_id=<pk>`` (ids, never objects); the task body receives
    ``municipality=<Municipality>`` and runs inside that town's scope, like a request under ``/<town>/``.
    Being a ``DjangoTask``, it offers ``delay_on_commit``: enqueue once the caller's transaction commits.
    """

    abstract = True
    # Callers pass municipality_id while the body takes municipality, so Celery's check of the call
    # against the body's signature would refuse every call.
    typing = False

    def __call__(self, *args, **kwargs):
        municipality = Municipality.objects.get(pk=kwargs.pop("municipality_id"))
        with town_scope(municipality), translation.override(settings.LANGUAGE_CODE):
            return super().__call__(*args, municipality=municipality, **kwargs)


@shared_task(base=TownTask, bind=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=30, retry_backoff_max=600,
             max_retries=8, soft_time_limit=60, time_limit=90)
def accessibility_feedback_forward(self, *, municipality: Municipality, feedback_id: int) -> bool:
    """Mail a barrier report to the town's accessibility contact, exactly once.

    Idempotent: the row is locked and ``forwarded_at`` set in the same transaction as the send, so a
    retry or a second delivery of the message does not mail twice.
    """
    recipient = municipality.accessibility_contact_email or municipality.contact_email
    if not recipient:
        logger.warning("No accessibility contact for %s; feedback %s stays in the staff inbox.",
                       municipality.slug, feedback_id)
        return False
    with transaction.atomic():
        feedback = AccessibilityFeedback.objects.select_for_update().filter(pk=feedback_id).first()
        if feedback is None or feedback.forwarded_at is not None:
            return False
        context = {"municipality": municipality, "feedback": feedback}
        send_mail(
            subject=render_subject("municipalities/email/accessibility_feedback_subject.txt", context),
            message=render_to_string("municipalities/email/accessibility_feedback_body.txt", context),
            from_email=None,
            recipient_list=[recipient],
            fail_silently=False,
        )
        feedback.forwarded_at = timezone.now()
        feedback.save(update_fields=["forwarded_at"])
    return True


@shared_task(soft_time_limit=1800, time_limit=1900)
def orphan_files_purge() -> int:
    """Platform job (beat, daily): delete uploaded files no row refers to any more (``smartcity5.orphans``)."""
    from smartcity5.orphans import orphan_files_purge as purge

    return len(purge())


@shared_task(soft_time_limit=300, time_limit=360)
def audit_entries_purge() -> int:
    """Platform job (beat, daily): delete audit entries older than ``AUDIT_RETENTION_DAYS``."""
    cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEntry.objects.filter(created_at__lt=cutoff).delete()
    return deleted
