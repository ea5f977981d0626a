"""Display helpers for progress report pages: ``{% load review_tags %}``. The figures are a JSON snapshot, so
amounts and dates arrive as strings (the built-in ``eur`` filter reads those too)."""

import datetime

from django import template
from django.utils.formats import date_format

register = template.Library()

_TONES = {"draft": "info", "submitted": "warning", "accepted": "success", "returned": "danger"}


@register.filter
def report_tone(status: str) -> str:
    """The KERN badge variant of a report status."""
    return _TONES.get(status, "info")


@register.filter
def snapshot_date(value) -> str:
    """``"2026-03-31"`` → the short date of the active language."""
    try:
        return date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except (TypeError, ValueError):
        return "–"


@register.filter
def lookup(mapping, key):
    return (mapping or {}).get(str(key), 0)
