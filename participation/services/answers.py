"""Official answers: the status workflow of an idea with the town's answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from municipalities.models import Municipality
from participation import tasks
from participation.models import Idea, OfficialAnswer, ParticipationEvent
from participation.services.common import Kind, _actor, _locked, require_answer_right
from smartcity5.history import record, snapshot

if TYPE_CHECKING:
    from accounts.models import User


@transaction.atomic
def idea_answer(
    *,
    idea: Idea,
    by: User | None,
    acting_town: Municipality,
    body: str,
    to: str | None = None,
    merged_into: Idea | None = None,
) -> OfficialAnswer:
    """The town's official answer, with a status change (``to``) or without one.

    Every status change carries an answer; a rejection or a merge must explain itself. The author and the
    supporters are told after the transaction commits."""
    require_answer_right(by, idea.process, acting_town)
    idea = _locked(idea)
    old = idea.status
    to = to or old
    body = (body or "").strip()
    if to not in Idea.Status.values:
        raise ValidationError({"status": _("There is no status “%(status)s”.") % {"status": to}})
    if to != old:
        idea.check_transition(to)  # an answer without a new status keeps it
    if not body and (to == old or to in Idea.ANSWER_REQUIRED_FOR):
        raise ValidationError({"body": _("Please write an answer; it is published with the idea.")})
    if not body:
        body = _("The status of this idea is now “%(status)s”.") % {"status": Idea.Status(to).label}
    if to == Idea.Status.MERGED:
        if merged_into is not None:  # as it is now, not as the caller's copy says
            merged_into = Idea.objects.filter(pk=merged_into.pk).first()
        if (
            merged_into is None
            or merged_into.pk == idea.pk
            or merged_into.process_id != idea.process_id
            or not merged_into.is_visible
        ):
            raise ValidationError(
                {"merged_into": _("Choose another published idea of the same process to merge with.")}
            )
        if merged_into.status == Idea.Status.MERGED:
            raise ValidationError(
                {"merged_into": _("That idea has itself been merged; choose the idea it was merged into.")}
            )
    before = snapshot(idea, ("status", "merged_into"))
    now = timezone.now()
    idea.status = to
    idea.merged_into = merged_into if to == Idea.Status.MERGED else None
    if to != old:
        idea.status_changed_at = now
    # The stored fact of the lists' "answered" filter (selectors.answered_at): this answer is the latest.
    idea.answered_at = now
    idea.save()
    answer = OfficialAnswer.objects.create(
        idea=idea,
        municipality_id=idea.municipality_id,
        author=_actor(by),
        answering_town=acting_town,
        status_before=old,
        status_after=to,
        body=body,
        created_at=now,
    )
    record(
        ParticipationEvent,
        municipality=idea.municipality,
        kind=Kind.STATUS,
        by=by,
        acting_town=acting_town,
        process=idea.process,
        idea=idea,
        subject=idea.title,
        before=before,
        after=snapshot(idea, ("status", "merged_into")),
        reason=body,
    )
    if idea.is_visible:
        tasks.idea_answer_notify.delay_on_commit(municipality_id=idea.municipality_id, answer_id=answer.pk)
    return answer
