"""In-app notifications: what a person is told, in which town, and whether it went out by e-mail too."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TownOwnedModel
from smartcity5.constraints import CheckConstraint

from .kinds import DIGEST_PLANS, Delivery


class Notification(TownOwnedModel):
    """One message to one person about something in one town (``municipality``).

    ``key`` names the event (e.g. ``funding:milestone:12:2026-12-01:due-14``): a person gets each event
    once, enforced by the database, however often the job that notices it runs.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=60)
    key = models.CharField(_("event"), max_length=200)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("sent by e-mail"), null=True, blank=True)
    # Set (and committed) just before the mail server is asked, so that a second delivery of the task does not send
    # it again while the first is at work (notifications.tasks).
    email_claimed_at = models.DateTimeField(_("e-mail being sent since"), null=True, blank=True)
    # How the e-mail goes out, fixed by notify() from the person's preference when the row is created:
    # at once (its own task), in the daily or weekly digest, or not at all.
    email_plan = models.CharField(
        _("e-mail delivery"), max_length=10, choices=Delivery.choices, default=Delivery.NONE
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_event")
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_new"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
            # The digest run: who has rows waiting for the daily or weekly summary.
            models.Index(
                fields=["email_plan", "created_at", "recipient"],
                name="notification_digest_pending",
                condition=Q(emailed_at__isnull=True, email_plan__in=list(DIGEST_PLANS)),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """How one person wants the e-mails of one kind of notification (``notifications.kinds``).

    A person's own setting, valid in every town, so not town-owned. Without a row the kind's default applies.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=60)
    delivery = models.CharField(_("e-mail delivery"), max_length=10, choices=Delivery.choices)

    class Meta:
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_once_per_kind"),
            CheckConstraint(condition=Q(delivery__in=Delivery.values), name="notification_pref_delivery"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.delivery}"
