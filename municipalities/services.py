"""Writes of the municipalities app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from .models import AccessibilityFeedback, Municipality
from .tasks import accessibility_feedback_forward

if TYPE_CHECKING:
    from accounts.models import User


def accessibility_feedback_submit(
    *, municipality: Municipality, message: str, page_url: str = "", email: str = ""
) -> AccessibilityFeedback:
    """Store a barrier report and forward it to the town's contact once the transaction commits."""
    feedback = AccessibilityFeedback.objects.create(
        municipality=municipality,
        message=message,
        page_url=page_url,
        email=email,
    )
    accessibility_feedback_forward.delay_on_commit(municipality_id=municipality.pk, feedback_id=feedback.pk)
    return feedback


def accessibility_feedback_mark_handled(
    *, feedback: AccessibilityFeedback, by: User | None
) -> AccessibilityFeedback:
    if feedback.status != AccessibilityFeedback.Status.HANDLED:
        feedback.status = AccessibilityFeedback.Status.HANDLED
        feedback.handled_at = timezone.now()
        feedback.handled_by = by
        feedback.save(update_fields=["status", "handled_at", "handled_by"])
    return feedback
