"""Removing what a person wrote, for privacy, with its traces in the history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from municipalities.models import Municipality
from participation.models import Comment, Idea, ParticipationEvent
from participation.services.comments import _refresh_notifications
from participation.services.common import RECORDED_TEXT, Kind, _locked, require_moderation_right
from participation.services.flags import _target_kwargs
from smartcity5.history import record

if TYPE_CHECKING:
    from accounts.models import User


REMOVED_FOR_PRIVACY = "[entfernt zum Schutz persönlicher Daten]"


@transaction.atomic
def privacy_edit(
    *,
    target: Idea | Comment,
    by: User | None,
    acting_town: Municipality,
    reason: str,
    title: str | None = None,
    body: str | None = None,
) -> Idea | Comment:
    """A moderator changes what a contribution says to protect someone's privacy: an idea's title and/or text,
    or a comment's text (``None``: leave it). A reason is required.

    What had to go is kept nowhere: the history records who changed what, when and why, with the removed text
    as ``REMOVED_FOR_PRIVACY``; earlier history entries that quoted it are rewritten; notifications that quoted
    the contribution are rewritten with its new wording (:func:`_refresh_notifications`)."""
    require_moderation_right(by, acting_town)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give a reason; it is kept in the history.")})
    target = _locked(target)
    if isinstance(target, Comment):
        title = None
    if title is not None:
        title = title.strip()
        if not title:
            raise ValidationError({"title": _("The title cannot be empty.")})
    if body is not None:
        body = body.strip()
        if not body:
            raise ValidationError({"body": _("The text cannot be empty.")})
    old = {"title": getattr(target, "title", None), "body": target.body}
    changed = [
        name for name, value in (("title", title), ("body", body)) if value is not None and value != old[name]
    ]
    if not changed:
        return target
    for name in changed:
        setattr(target, name, title if name == "title" else body)
    if isinstance(target, Comment):
        target.edited_at = timezone.now()
    target.full_clean()
    target.save(update_fields=[*changed, "edited_at" if isinstance(target, Comment) else "updated_at"])
    idea = target if isinstance(target, Idea) else target.idea
    if "title" in changed:
        _scrub_history(idea=idea, old=old["title"], new=title)  # type: ignore[arg-type]  # changed: both set
    if "body" in changed:
        _scrub_history(
            idea=idea,
            old=old["body"],  # type: ignore[arg-type]  # changed: both set
            new=body,  # type: ignore[arg-type]
            field="body",
            comment=target if isinstance(target, Comment) else None,
        )
    # The new wording is public anyway; long texts are not repeated in full.
    changes = {
        name: [REMOVED_FOR_PRIVACY, (title if name == "title" else body)[:RECORDED_TEXT]]  # type: ignore[index]
        for name in changed
    }
    kind = Kind.TITLE_EDITED if changed == ["title"] else Kind.TEXT_EDITED
    record(
        ParticipationEvent,
        municipality=idea.municipality,
        kind=kind,
        by=by,
        acting_town=acting_town,
        process=idea.process,
        subject=idea.title,
        changes=changes,
        reason=reason,
        **_target_kwargs(target),
    )
    _refresh_notifications(target)
    return target


def _scrub_history(
    *, idea: Idea, old: str, new: str, field: str = "", comment: Comment | None = None
) -> None:
    """Replace what was removed for privacy in the earlier history of the idea. A title is replaced wherever it
    appears (subjects, reasons, recorded changes); a text (``field="body"``) where it was recorded as that
    field's value, whole or as shortened by an earlier edit (of the idea, or with ``comment`` of that comment)."""

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(old, new)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    def clean_field(changes: Any) -> Any:
        if not isinstance(changes, dict) or not isinstance(changes.get(field), list):
            return changes
        return {
            **changes,
            field: [
                new if v == old else new[:RECORDED_TEXT] if v == old[:RECORDED_TEXT] else v
                for v in changes[field]
            ],
        }

    events = ParticipationEvent.objects.select_for_update().filter(idea=idea)
    if field:
        events = (
            events.filter(comment=comment) if comment is not None else events.filter(comment__isnull=True)
        )
    for event in events:
        if field:
            subject, changes, reason = event.subject, clean_field(event.changes), event.reason
        else:
            subject, changes, reason = clean(event.subject), clean(event.changes), clean(event.reason)
        if (subject, changes, reason) != (event.subject, event.changes, event.reason):
            event.subject, event.changes, event.reason = subject[:200], changes, reason
            event.save(update_fields=["subject", "changes", "reason"])
