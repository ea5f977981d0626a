"""Flags: a person reports an idea or a comment to the moderators."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TownOwnedModel, TownScopedManager
from participation.models.contributions import Comment
from participation.models.ideas import Idea
from smartcity5.constraints import CheckConstraint


class FlagReason(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    OFFENSIVE = "offensive", _("Insulting, discriminating or threatening")
    PERSONAL_DATA = "personal_data", _("Reveals personal data of others")
    ILLEGAL = "illegal", _("Otherwise unlawful")
    OFF_TOPIC = "off_topic", _("Off topic")


class ContentFlag(TownOwnedModel):
    """Meldung: someone reports an idea or a comment. One report per person and contribution; reports of
    distinct people beyond the town's threshold hide the contribution until a moderator decides."""

    idea = models.ForeignKey(
        Idea, on_delete=models.CASCADE, null=True, blank=True, related_name="flags", verbose_name=_("idea")
    )
    comment = models.ForeignKey(
        Comment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="flags",
        verbose_name=_("comment"),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported by"),
    )
    reason = models.CharField(_("reason"), max_length=20, choices=FlagReason.choices)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("reported"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    objects = TownScopedManager(  # type: ignore[misc]  # factory-made manager
        shared_with=(
            "idea__process__municipality",
            "idea__process__partner_towns",
            "comment__idea__process__municipality",
            "comment__idea__process__partner_towns",
        )
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            CheckConstraint(
                condition=Q(idea__isnull=False, comment__isnull=True)
                | Q(idea__isnull=True, comment__isnull=False),
                name="report_one_target",
            ),
            models.UniqueConstraint(
                fields=["idea", "reporter"],
                condition=Q(idea__isnull=False),
                name="report_idea_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["comment", "reporter"],
                condition=Q(comment__isnull=False),
                name="report_comment_once_per_person",
            ),
        ]
        indexes = [models.Index(fields=["municipality", "resolved_at"], name="report_town_open")]

    def __str__(self) -> str:
        return self.get_reason_display()

    @property
    def target(self):
        return self.idea if self.idea_id else self.comment
