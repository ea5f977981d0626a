"""Display helpers for participation pages: ``{% load participation_tags %}``."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()

_STATUS_TONES = {
    "submitted": "info",
    "under_review": "warning",
    "accepted": "success",
    "rejected": "danger",
    "implemented": "success",
    "merged": "info",
}
_MODERATION_TONES = {"published": "success", "pending": "warning", "reported": "danger", "hidden": "danger"}


@register.filter
def idea_tone(status: str) -> str:
    """The KERN badge variant of an idea status."""
    return _STATUS_TONES.get(status, "info")


@register.filter
def moderation_tone(state: str) -> str:
    return _MODERATION_TONES.get(state, "info")


@register.filter
def phase_tone(kind: str) -> str:
    """The badge variant of a process phase: the phases people can take part in stand out."""
    return "success" if kind in ("ideas", "vote") else "info"


@register.filter
def author_name(contribution) -> str:
    """How a contribution's author appears in public: the display name only, never the e-mail address."""
    if getattr(contribution, "is_offline", False):
        return _("Offline contribution")
    author = getattr(contribution, "author", None)
    if author is None:
        return _("Deleted account")
    return author.display_name or _("Anonymous")


@register.filter
def phase_state(phase, today) -> str:
    """past / current / future, for the timeline."""
    if phase.contains(today):
        return "current"
    return "past" if phase.ends_on is not None and phase.ends_on < today else "future"
