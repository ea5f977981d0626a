"""Ideas: submitted online or entered from paper, linked to a project, shortlisted, retitled."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from municipalities.models import Municipality
from participation import tasks
from participation.models import Idea, Moderation, ModerationMode, ParticipationEvent, Process
from participation.services.common import Kind, _actor, _locked, require_answer_right
from participation.services.privacy import privacy_edit
from participation.services.processes import _process_with_phases, settings_for
from projects.models import Project
from smartcity5.history import record, snapshot

if TYPE_CHECKING:
    from accounts.models import User
    from projects.uploads import CheckedUpload


IDEA_FIELDS = (
    "title",
    "body",
    "field_of_action",
    "location_label",
    "latitude",
    "longitude",
    "image_alt",
    "estimated_cost",
)


# --- Ideas -----------------------------------------------------------------------------------------------
def _check_place(idea: Idea, process: Process) -> None:
    """The place lies in a town of the process: its own, or for a joint process one of the partner towns."""
    if not idea.has_location:
        return
    towns = [process.municipality, *process.partner_towns.order_by("name")]
    if not any(town.contains_point(idea.latitude, idea.longitude) for town in towns):
        raise ValidationError(
            {
                "latitude": _("This place lies outside %(town)s. Please choose a place within the town.")
                % {"town": ", ".join(t.name for t in towns)}
            }
        )


def _fill_idea(idea: Idea, fields: dict[str, Any], image: CheckedUpload | None) -> None:
    for name in IDEA_FIELDS:
        if name == "estimated_cost" and not idea.process.is_budget:
            continue  # only a participatory budget's proposals have costs
        if name in fields:
            setattr(idea, name, fields[name])
    if image is not None:
        idea.image.save(image.file.name, image.file, save=False)


@transaction.atomic
def idea_submit(
    *,
    process: Process,
    author: User,
    fields: dict[str, Any],
    image: CheckedUpload | None = None,
    consent: bool,
    on: datetime.date | None = None,
) -> Idea:
    """A citizen submits an idea. Only while the process collects ideas, only with consent to the privacy
    notice; with pre-moderation it waits for a moderator before anyone else sees it.

    ``image`` is a checked upload (``projects.uploads.check_upload``): re-encoded, without metadata."""
    process = _process_with_phases(process)
    if not process.accepts_ideas(on):
        raise ValidationError(_("This process is not collecting ideas at the moment."), code="phase")
    if not consent:
        raise ValidationError({"consent": _("Please agree to the privacy notice to submit your idea.")})
    municipality = process.municipality
    idea = Idea(process=process, municipality=municipality, author=author, consent_at=timezone.now())
    _fill_idea(idea, fields, image)
    if not process.allow_location:
        idea.latitude = idea.longitude = None
        idea.location_label = ""
    pre = settings_for(municipality=municipality).moderation == ModerationMode.PRE
    idea.moderation = Moderation.PENDING if pre else Moderation.PUBLISHED
    idea.full_clean()
    _check_place(idea, process)
    idea.save()
    record(
        ParticipationEvent,
        municipality=municipality,
        kind=Kind.IDEA_SUBMITTED,
        by=author,
        process=process,
        idea=idea,
        subject=idea.title,
    )
    if pre:
        tasks.moderation_waiting_notify.delay_on_commit(municipality_id=municipality.pk, idea_id=idea.pk)
    return idea


@transaction.atomic
def idea_enter_offline(
    *,
    process: Process,
    by: User | None,
    acting_town: Municipality,
    fields: dict[str, Any],
    image: CheckedUpload | None = None,
    source: str,
    created_on: datetime.date | None = None,
) -> Idea:
    """Staff enter an idea collected on paper or at an event. It has no account behind it, is marked as
    offline and is published at once (staff have read it); any phase of the process is fine, because the
    paper may arrive late."""
    require_answer_right(by, process, acting_town)
    if not source.strip():
        raise ValidationError({"offline_source": _("Please say where the idea was collected.")})
    if created_on is not None and created_on > timezone.localdate():
        raise ValidationError({"created_at": _("An idea cannot have been collected in the future.")})
    municipality = process.municipality
    idea = Idea(
        process=process,
        municipality=municipality,
        is_offline=True,
        offline_source=source.strip(),
        entered_by=_actor(by),
        moderation=Moderation.PUBLISHED,
    )
    if created_on is not None:
        idea.created_at = timezone.make_aware(datetime.datetime.combine(created_on, datetime.time(12)))
    _fill_idea(idea, fields, image)
    idea.full_clean()
    _check_place(idea, process)
    idea.save()
    record(
        ParticipationEvent,
        municipality=municipality,
        kind=Kind.OFFLINE_ENTERED,
        by=by,
        acting_town=acting_town,
        process=process,
        idea=idea,
        subject=idea.title,
        after=snapshot(idea, (*IDEA_FIELDS, "offline_source")),
    )
    return idea


@transaction.atomic
def idea_link_project(
    *, idea: Idea, project: Project | None, by: User | None, acting_town: Municipality
) -> Idea:
    """Link the project an idea led to (or remove the link). The project must belong to a town of the
    idea's process. A new link tells the idea's author and supporters (once per link, after the commit)."""
    require_answer_right(by, idea.process, acting_town)
    idea = _locked(idea)
    if project is not None:
        towns = {idea.process.municipality_id, *idea.process.partner_towns.values_list("pk", flat=True)}
        if project.municipality_id not in towns:
            raise ValidationError(
                {"project": _("Only projects of the towns running this process can be linked.")}
            )
    before = snapshot(idea, ("project",))
    idea.project = project
    idea.save(update_fields=["project", "updated_at"])
    event = record(
        ParticipationEvent,
        municipality=idea.municipality,
        kind=Kind.PROJECT_LINKED,
        by=by,
        acting_town=acting_town,
        process=idea.process,
        idea=idea,
        subject=idea.title,
        before=before,
        after=snapshot(idea, ("project",)),
    )
    if event is not None and project is not None:  # a new link (not an unchanged save, not a removal)
        tasks.idea_linked_notify.delay_on_commit(
            municipality_id=idea.municipality_id, idea_id=idea.pk, event_id=event.pk
        )
    return idea


@transaction.atomic
def idea_set_shortlisted(
    *,
    idea: Idea,
    shortlisted: bool,
    by: User | None,
    acting_town: Municipality,
    on: datetime.date | None = None,
) -> Idea:
    """Put an idea on the shortlist for the vote, or take it off; only until the vote starts."""
    require_answer_right(by, idea.process, acting_town)
    idea = _locked(idea)
    process = _process_with_phases(idea.process)
    if not process.shortlist_open(on):
        raise ValidationError(_("The vote has started; the shortlist can no longer change."), code="phase")
    if shortlisted and not idea.is_visible:
        raise ValidationError(_("Only published ideas can be put on the shortlist."), code="hidden")
    if shortlisted and idea.status in (Idea.Status.REJECTED, Idea.Status.MERGED):
        raise ValidationError(_("Rejected or merged ideas cannot be put on the shortlist."), code="status")
    if idea.is_shortlisted != shortlisted:
        before = snapshot(idea, ("is_shortlisted",))
        idea.is_shortlisted = shortlisted
        idea.save(update_fields=["is_shortlisted", "updated_at"])
        record(
            ParticipationEvent,
            municipality=idea.municipality,
            kind=Kind.SHORTLIST,
            by=by,
            acting_town=acting_town,
            process=process,
            idea=idea,
            subject=idea.title,
            before=before,
            after=snapshot(idea, ("is_shortlisted",)),
        )
    return idea


def idea_edit_title(
    *, idea: Idea, title: str, by: User | None, acting_town: Municipality, reason: str
) -> Idea:
    """A moderator changes an idea's title to protect someone's privacy (see :func:`privacy_edit`)."""
    return privacy_edit(target=idea, title=title, by=by, acting_town=acting_town, reason=reason)  # type: ignore[return-value]  # an idea in, an idea out
