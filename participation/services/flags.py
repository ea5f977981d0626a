"""Flags: a person reports an idea or a comment to the moderators."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from municipalities.models import Municipality
from participation import tasks
from participation.models import Comment, ContentFlag, Idea, Moderation, ParticipationEvent
from participation.services.comments import _refresh_notifications
from participation.services.common import Kind, _locked
from participation.services.processes import settings_for
from participation.services.supports import refresh_counts
from smartcity5.history import record

if TYPE_CHECKING:
    from accounts.models import User


# --- Reports and moderation ------------------------------------------------------------------------------
def _target_town(target: Idea | Comment) -> Municipality:
    return target.municipality


def _subject(target: Idea | Comment) -> str:
    return target.title if isinstance(target, Idea) else target.idea.title


def _target_kwargs(target: Idea | Comment) -> dict[str, Any]:
    return {"idea": target} if isinstance(target, Idea) else {"idea": target.idea, "comment": target}


@transaction.atomic
def flag_submit(*, target: Idea | Comment, reporter: User, reason: str, note: str = "") -> ContentFlag:
    """Flag an idea or a comment. Reports of distinct people reaching the town's threshold hide the
    contribution until a moderator has decided; the town's editors are told."""
    target = _locked(target)
    if not target.is_visible:
        raise ValidationError(_("This contribution is already being reviewed."), code="hidden")
    town = _target_town(target)
    report = ContentFlag(
        municipality=town,
        reporter=reporter,
        reason=reason,
        note=(note or "").strip(),
        **({"idea": target} if isinstance(target, Idea) else {"comment": target}),  # type: ignore[dict-item]
    )
    report.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        raise ValidationError(
            _("You have already reported this contribution. Thank you, it will be reviewed."),
            code="duplicate",
        ) from None
    open_reports = target.flags.filter(resolved_at__isnull=True).values("reporter").distinct().count()
    if open_reports >= settings_for(municipality=town).report_threshold:
        target.moderation = Moderation.REPORTED
        target.save(update_fields=["moderation"])
        if isinstance(target, Comment):
            refresh_counts([target.idea_id])
        record(
            ParticipationEvent,
            municipality=town,
            kind=Kind.AUTO_HIDDEN,
            by=None,
            process=target.idea.process if isinstance(target, Comment) else target.process,
            subject=_subject(target),
            changes={"reports": ["", str(open_reports)]},
            **_target_kwargs(target),
        )
        _refresh_notifications(target)
        key = {"idea_id": target.pk} if isinstance(target, Idea) else {"comment_id": target.pk}
        tasks.moderation_waiting_notify.delay_on_commit(municipality_id=town.pk, **key)
    return report
