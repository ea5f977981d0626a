"""Moderation: approving and hiding ideas and comments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from municipalities.models import Municipality
from participation import tasks
from participation.models import Comment, Idea, Moderation, ParticipationEvent
from participation.services.ballots import _process_of
from participation.services.comments import _refresh_notifications
from participation.services.common import Kind, _label, _locked, require_moderation_right
from participation.services.flags import _subject, _target_kwargs
from participation.services.ideas import idea_edit_title
from participation.services.privacy import privacy_edit
from participation.services.supports import refresh_counts
from smartcity5.history import record

if TYPE_CHECKING:
    from accounts.models import User


@transaction.atomic
def moderation_approve(
    *, target: Idea | Comment, by: User | None, acting_town: Municipality
) -> Idea | Comment:
    """Publish a waiting contribution, or clear one that was reported: open reports are closed."""
    require_moderation_right(by, acting_town)
    target = _locked(target)
    was = target.moderation
    target.moderation = Moderation.PUBLISHED
    target.moderation_reason = ""
    target.moderated_at = timezone.now()
    target.save(update_fields=["moderation", "moderation_reason", "moderated_at"])
    if isinstance(target, Comment) and was != target.moderation:
        refresh_counts([target.idea_id])
    closed = target.flags.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
    record(
        ParticipationEvent,
        municipality=target.municipality,
        kind=Kind.APPROVED,
        by=by,
        acting_town=acting_town,
        process=_process_of(target),
        subject=_subject(target),
        changes={
            "moderation": [_label(Moderation(was)), _label(Moderation.PUBLISHED)],
            **({"reports": [str(closed), "0"]} if closed else {}),
        },
        **_target_kwargs(target),
    )
    if was != Moderation.PUBLISHED:
        _refresh_notifications(target)
    if was == Moderation.PENDING and isinstance(target, Comment):
        tasks.comment_notify.delay_on_commit(municipality_id=target.municipality_id, comment_id=target.pk)
    if was != Moderation.PUBLISHED and isinstance(target, Idea):
        # Answers given while the idea was not visible were not announced; they are now (once per answer).
        for answer_id in target.answers.values_list("pk", flat=True):
            tasks.idea_answer_notify.delay_on_commit(
                municipality_id=target.municipality_id, answer_id=answer_id
            )
    return target


@transaction.atomic
def moderation_hide(
    *, target: Idea | Comment, by: User | None, acting_town: Municipality, reason: str
) -> Idea | Comment:
    """Hide a contribution, with a reason the author is told."""
    require_moderation_right(by, acting_town)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give a reason; the author is told.")})
    target = _locked(target)
    was = target.moderation
    target.moderation = Moderation.HIDDEN
    target.moderation_reason = reason
    target.moderated_at = timezone.now()
    target.save(update_fields=["moderation", "moderation_reason", "moderated_at"])
    if isinstance(target, Comment) and was != target.moderation:
        refresh_counts([target.idea_id])
    if isinstance(target, Idea) and target.is_shortlisted:
        target.is_shortlisted = False
        target.save(update_fields=["is_shortlisted"])
    closed = target.flags.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
    record(
        ParticipationEvent,
        municipality=target.municipality,
        kind=Kind.HIDDEN,
        by=by,
        acting_town=acting_town,
        process=_process_of(target),
        subject=_subject(target),
        reason=reason,
        changes={
            "moderation": [_label(Moderation(was)), _label(Moderation.HIDDEN)],
            **({"reports": [str(closed), "0"]} if closed else {}),
        },
        **_target_kwargs(target),
    )
    _refresh_notifications(target)
    key = {"idea_id": target.pk} if isinstance(target, Idea) else {"comment_id": target.pk}
    tasks.content_hidden_notify.delay_on_commit(municipality_id=target.municipality_id, **key)
    return target


def moderation_act(
    *,
    target: Idea | Comment,
    action: str,
    by: User | None,
    acting_town: Municipality,
    reason: str = "",
    title: str = "",
    body: str | None = None,
) -> Idea | Comment:
    """One moderation action by its name, as the moderation buttons and the API send it: ``approve``, ``hide``
    (with a reason), ``retitle`` (ideas only, with a reason) or ``edit`` (for privacy, with a reason: an idea's
    title and text, a comment's text; an empty or missing field is left as it is). Anything else is refused
    (code ``action``)."""
    if action == "approve":
        return moderation_approve(target=target, by=by, acting_town=acting_town)
    if action == "hide":
        return moderation_hide(target=target, by=by, acting_town=acting_town, reason=reason)
    if action == "retitle" and isinstance(target, Idea):
        return idea_edit_title(idea=target, title=title, by=by, acting_town=acting_town, reason=reason)
    if action == "edit":
        return privacy_edit(
            target=target,
            by=by,
            acting_town=acting_town,
            reason=reason,
            title=title if isinstance(target, Idea) and title else None,
            body=body or None,
        )
    raise ValidationError({"action": _("Unknown moderation action.")}, code="action")
