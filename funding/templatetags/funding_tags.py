"""Display helpers for funding pages: ``{% load funding_tags %}`` (euros and per cents: the built-in ``eur`` and
``pct`` filters of ``smartcity5.templatetags.formats``)."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Derived states of milestones and proofs: label and KERN badge variant.
STATES = {
    "open": (_("Open"), "info"),
    "at_risk": (_("At risk"), "warning"),
    "due_soon": (_("Due soon"), "warning"),
    "overdue": (_("Overdue"), "danger"),
    "done": (_("Done"), "success"),
    "waived": (_("Waived"), "info"),
    "submitted": (_("Submitted"), "info"),
    "accepted": (_("Accepted"), "success"),
    "draft": (_("Draft"), "info"),
    "paid": (_("Paid"), "success"),
    "rejected": (_("Rejected"), "danger"),
}


@register.filter
def state_label(state: str) -> str:
    return str(STATES.get(state, (state, "info"))[0])


@register.filter
def state_tone(state: str) -> str:
    return STATES.get(state, ("", "info"))[1]
