"""Display helpers for funding pages: ``{% load funding_tags %}``."""

from django import template
from django.utils.translation import gettext_lazy as _

from funding import money

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
def eur(value) -> str:
    """``1234.5`` → ``1.234,50 €`` (in German)."""
    if value is None or value == "":
        return "–"
    return money.format_eur(value)


@register.filter
def state_label(state: str) -> str:
    return str(STATES.get(state, (state, "info"))[0])


@register.filter
def state_tone(state: str) -> str:
    return STATES.get(state, ("", "info"))[1]


@register.filter
def pct(value) -> str:
    """A percentage with one decimal (``None``: a dash)."""
    if value is None:
        return "–"
    from django.utils.formats import number_format

    return f"{number_format(value, decimal_pos=1, use_l10n=True)} %"
