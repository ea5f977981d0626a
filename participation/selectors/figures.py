"""The participation figures of a town in a period (the quarterly review's and the reports')."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count

from participation.models import Idea, Moderation, OfficialAnswer

if TYPE_CHECKING:
    from municipalities.models import Municipality


# --- Quarterly progress report (reviews) -----------------------------------------------------------------
def period_figures(*, municipality: Municipality, start: datetime.date, end: datetime.date) -> dict[str, Any]:
    """Ideas in the town's own processes from ``start`` to ``end`` (both included): received (online and offline,
    hidden ones left out), answered (distinct ideas with an official answer in the period) and official answers
    given. Two queries."""
    received = (
        Idea.objects.filter(municipality=municipality, created_at__date__gte=start, created_at__date__lte=end)
        .exclude(moderation=Moderation.HIDDEN)
        .count()
    )
    answers = (
        OfficialAnswer.objects.filter(
            idea__municipality=municipality, created_at__date__gte=start, created_at__date__lte=end
        )
        .exclude(idea__moderation=Moderation.HIDDEN)
        .aggregate(answers=Count("pk"), ideas=Count("idea", distinct=True))
    )
    return {"ideas_received": received, "ideas_answered": answers["ideas"], "answers": answers["answers"]}
