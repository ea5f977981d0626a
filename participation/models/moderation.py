"""What every moderated contribution shares: its moderation state and the ``visible()`` rule."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TownOwnedModel


class Moderation(models.TextChoices):
    PUBLISHED = "published", _("Published")
    PENDING = "pending", _("Waiting for moderation")
    REPORTED = "reported", _("Hidden after reports, waiting for review")
    HIDDEN = "hidden", _("Hidden by a moderator")


class ModeratedQuerySet(models.QuerySet):
    def visible(self):
        """What the public may see: published contributions only. The one rule for every list, search, map,
        page and API."""
        return self.filter(moderation=Moderation.PUBLISHED)


class ModeratedManager(models.Manager.from_queryset(ModeratedQuerySet)):  # type: ignore[misc]  # a dynamic base
    # Through ``get_queryset().filter`` so that, outside a scope, the scoped manager's refusal (``ScopeError``)
    # is what the caller sees, not a missing method of the refusing queryset.
    def visible(self):
        return self.get_queryset().filter(moderation=Moderation.PUBLISHED)


class Moderated(TownOwnedModel):
    """Base of contributions that moderators decide on (ideas, comments)."""

    moderation = models.CharField(
        _("moderation"),
        max_length=10,
        choices=Moderation.choices,
        default=Moderation.PUBLISHED,
        editable=False,
    )
    moderation_reason = models.TextField(_("reason given to the author"), blank=True, editable=False)
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_visible(self) -> bool:
        return self.moderation == Moderation.PUBLISHED
