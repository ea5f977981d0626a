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
        return int(celery_id[len(CELERY_ID_PREFIX):])
    except ValueError:
        return None
