"""Comments and the notifications they send."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts import permissions
from municipalities.models import Municipality
from participation import tasks
from participation.models import Comment, Idea, Moderation, ModerationMode, OfficialAnswer
from participation.services.processes import _process_with_phases, settings_for
from participation.services.supports import refresh_counts

if TYPE_CHECKING:
    from accounts.models import User


def _notification_keys(target: Idea | Comment) -> Q:
    """The notifications that quote ``target`` (the keys of :mod:`participation.tasks`): for a comment, those
    about the comment; for an idea, every one that names the idea, its answers or its comments."""
    if isinstance(target, Comment):
        return (
            Q(key=f"idea:comment:{target.pk}")
            | Q(key__startswith=f"moderation:comment:{target.pk}:")
            | Q(key__startswith=f"moderation:hidden:comment:{target.pk}:")
        )
    comments = [str(pk) for pk in Comment._base_manager.filter(idea=target).values_list("pk", flat=True)]
    answers = OfficialAnswer._base_manager.filter(idea=target).values_list("pk", flat=True)
    where = (
        Q(key__in=[f"idea:answer:{pk}" for pk in answers] + [f"idea:comment:{pk}" for pk in comments])
        | Q(key__startswith=f"moderation:idea:{target.pk}:")
        | Q(key__startswith=f"moderation:hidden:idea:{target.pk}:")
        | Q(key__startswith=f"idea:linked:{target.pk}:")
    )
    if comments:
        where |= Q(key__regex=rf"^moderation:(hidden:)?comment:({'|'.join(comments)}):")
    return where


def _refresh_notifications(target: Idea | Comment) -> None:
    """Notifications already given about ``target`` say what may be shown of it now: its current wording, and
    no quote of what is hidden (``participation.tasks.notification_texts``). Called in the transaction of every
    change of what a contribution says or whether it is shown, so that no mail or digest sent later repeats it."""
    from notifications.services import notifications_refresh

    notifications_refresh(
        municipality_id=target.municipality_id,
        where=_notification_keys(target),
        render=tasks.notification_texts,
    )


# --- Comments --------------------------------------------------------------------------------------------
@transaction.atomic
def comment_post(
    *,
    idea: Idea,
    author: User,
    body: str,
    parent: Comment | None = None,
    official_for: Municipality | None = None,
    on: datetime.date | None = None,
) -> Comment:
    """A comment on a published idea, or a reply to a comment (one level). ``official_for`` marks a comment
    that staff write for their town (its editors, if it takes part in the process; others are refused with
    ``PermissionDenied``). Under pre-moderation citizens' comments wait for a moderator."""
    if official_for is not None:
        permissions.require(
            permissions.can_answer_idea(author, idea, official_for),
            _("Only editors of the process's towns write for the town."),
        )
    process = _process_with_phases(idea.process)
    if not idea.is_visible:
        raise ValidationError(_("This idea cannot be commented on."), code="hidden")
    if not process.accepts_comments(on):
        raise ValidationError(_("Comments are closed for this process at the moment."), code="phase")
    if parent is not None and (not parent.is_visible or parent.idea_id != idea.pk):
        raise ValidationError({"parent": _("You can only reply to a published comment on this idea.")})
    municipality = idea.municipality
    pre = official_for is None and settings_for(municipality=municipality).moderation == ModerationMode.PRE
    comment = Comment(
        idea=idea,
        municipality=municipality,
        author=author,
        parent=parent,
        body=(body or "").strip(),
        is_official=official_for is not None,
        moderation=Moderation.PENDING if pre else Moderation.PUBLISHED,
    )
    comment.full_clean()
    comment.save()
    if not pre:
        refresh_counts([idea.pk])
    if pre:
        tasks.moderation_waiting_notify.delay_on_commit(
            municipality_id=municipality.pk, comment_id=comment.pk
        )
    else:
        tasks.comment_notify.delay_on_commit(municipality_id=municipality.pk, comment_id=comment.pk)
    return comment
