"""One row per task hand-over that must not be lost (see ``outbox.services``)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxTask(models.Model):
    """A task that a request or a task started: written in the caller's transaction, handed to the broker after
    commit (``handed_at``) and again by the relay until the worker reports it finished (``done_at``).

    The task runs under the Celery task id ``outbox-<pk>`` (``celery_id``), so the worker's signals find the row
    again; a second hand-over of the same row is the same task id, and the tasks are idempotent.
    """

    task = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    handed_at = models.DateTimeField(_("last handed to the broker"), null=True, blank=True)
    hand_count = models.PositiveIntegerField(_("hand-overs"), default=0)
    done_at = models.DateTimeField(_("finished"), null=True, blank=True)
    failed = models.BooleanField(_("failed"), default=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("task hand-over")
        verbose_name_plural = _("task hand-overs")
        indexes = [
            # The relay's question: which hand-overs are not finished yet, oldest first.
            models.Index(fields=["created_at"], condition=Q(done_at__isnull=True), name="outbox_pending"),
            # The purge's question: finished rows older than the retention.
            models.Index(fields=["done_at"], condition=Q(done_at__isnull=False), name="outbox_done"),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"

    @property
    def celery_id(self) -> str:
        return f"{CELERY_ID_PREFIX}{self.pk}"


CELERY_ID_PREFIX = "outbox-"


def outbox_pk(celery_id: str | None) -> int | None:
    """The outbox row behind a Celery task id, or None for a task that did not come through the outbox."""
    if not celery_id or not celery_id.startswith(CELERY_ID_PREFIX):
        return None
    try:
        return int(celery_id[len(CELERY_ID_PREFIX) :])
    except ValueError:
        return None


class MailClaim(models.Model):
    """The claim of a mail that has no row of its own to carry it (``outbox.claims.claim_key``): the mail about a
    staff role, an invitation to a team. ``key`` names the one message (``<what>:<id>:<which sending>``, ids only,
    no address); ``claimed_at`` and ``sent_at`` work like a notification's ``email_claimed_at`` and ``emailed_at``.
    Deleted with the finished hand-overs after ``OUTBOX_RETENTION_DAYS``."""

    key = models.CharField(_("message"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("mail claim")
        verbose_name_plural = _("mail claims")

    def __str__(self) -> str:
        return self.key
