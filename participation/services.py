"""Writes of the participation app. Each one checks the process's phase, saves, writes the history and
schedules its notifications after the transaction commits, in one place.

The staff's writes check who may call them themselves (``accounts.permissions``; ``by=None`` is the portal:
demo data, commands) and refuse others with ``PermissionDenied`` — a 403 on pages and in the API — so views,
the API, admin actions and commands need not repeat the rule. Further, these functions enforce the rules of the
domain: phases, one support / one ballot per person (by the database), moderation states, the status workflow
with its official answers.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Model, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import permissions
from municipalities.models import Municipality
from projects.models import Project
from smartcity5 import workflow
from smartcity5.history import names, record, snapshot
from smartcity5.slugs import free_slug

from . import selectors, tasks
from .models import (
    PHASE_ORDER,
    Ballot,
    Comment,
    ContentFlag,
    Idea,
    Moderation,
    ModerationMode,
    OfficialAnswer,
    ParticipationEvent,
    ParticipationSettings,
    Phase,
    Process,
    ProcessPartner,
    ProcessPhase,
    Support,
    Vote,
)
from .signals import participation_changed

if TYPE_CHECKING:
    from accounts.models import User
    from projects.uploads import CheckedUpload

_M = TypeVar("_M", bound=Model)

PROCESS_FIELDS = (
    "title",
    "summary",
    "description",
    "field_of_action",
    "is_published",
    "allow_comments",
    "allow_supports",
    "allow_location",
    "votes_per_person",
    "votes_per_idea",
)
IDEA_FIELDS = ("title", "body", "field_of_action", "location_label", "latitude", "longitude", "image_alt")
SETTINGS_FIELDS = ("moderation", "report_threshold")
REMOVED_FOR_PRIVACY = "[entfernt zum Schutz persönlicher Daten]"
#: How much of a text edited for privacy its history entry repeats (the current text is on the page anyway).
RECORDED_TEXT = 300

Kind = ParticipationEvent.Kind

#: Fixed staff pages beside the processes' own (participation/urls.py): no process may take these addresses.
RESERVED_PROCESS_SLUGS = frozenset({"neu", "moderation", "einstellungen", "ideen"})


def _actor(user: User | None) -> User | None:
    return user if user is not None and user.is_authenticated else None


#: History events after which a process's published ideas are counted again (an idea appeared or disappeared).
RECOUNTED = frozenset(
    {
        Kind.PROCESS_CREATED,
        Kind.IDEA_SUBMITTED,
        Kind.OFFLINE_ENTERED,
        Kind.AUTO_HIDDEN,
        Kind.APPROVED,
        Kind.HIDDEN,
    }
)


def touch_processes(process_ids: Iterable[int], *, recount: bool = False) -> None:
    """Stored freshness: mark the public content of these processes as changed now, in the caller's transaction
    (``Process.content_version`` + 1, ``content_changed_at``), and with ``recount`` count their published ideas
    again (``shown_idea_count``). Every write of this module that changes what the public sees of a process
    comes through here (through every history entry, ``ParticipationEvent.recorded``, or :func:`refresh_counts`),
    and so does account deletion.

    Concurrency: one short ``UPDATE`` of the process row at the end of the writer's transaction; the row stays
    locked only until that transaction commits. Locks are always taken contribution first, process last, and
    several processes in the order of their ids, so writers cannot deadlock on them. The version is an increment
    (``F() + 1``), never a timestamp, so two writers at the same moment both change it; the date only moves
    forward (``GREATEST``)."""
    ids = sorted({int(pk) for pk in process_ids if pk})
    if not ids:
        return
    rows = Process._base_manager.filter(pk__in=ids)
    with transaction.atomic():
        if recount or len(ids) > 1:
            # Locked first (in id order), so that the count below runs after any concurrent change has committed.
            # FOR NO KEY UPDATE: it does not wait for the key-share locks that inserting an idea takes on its
            # process (with FOR UPDATE, two requests that each inserted an idea could wait on each other).
            list(rows.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))
        now = timezone.now()
        fields = {
            "content_version": F("content_version") + 1,
            "content_changed_at": Greatest(Coalesce(F("content_changed_at"), Value(now)), Value(now)),
        }
        if recount:
            fields["shown_idea_count"] = selectors.shown_idea_count()
        rows.update(**fields)


def _require_answer_right(by: User | None, process: Process, acting_town: Municipality | None) -> None:
    """Answer, set the status, shortlist, link a project, enter offline ideas: editors of a participating town,
    in the name of ``acting_town`` (``permissions.can_answer_in_process``)."""
    permissions.require(
        by is None or permissions.can_answer_in_process(by, process, acting_town),
        _("Only editors of the process's towns may do this."),
    )


def _require_moderation_right(by: User | None, acting_town: Municipality) -> None:
    """Approve, hide, edit for privacy: editors of the town whose queue it is, and Agentur moderators
    (``permissions.can_moderate``)."""
    permissions.require(
        by is None or permissions.can_moderate(by, acting_town),
        _("Only the town's editors and the Agentur's moderators moderate."),
    )


def _label(choice: Any) -> str:
    """A choice's label as the history stores it: a plain string in the portal's main language (a lazy label
    cannot be stored as JSON, and the history must not depend on who acted)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(choice.label)


def _locked(instance: _M) -> _M:
    """The row as it is now, locked until the transaction ends: decisions never act on a stale copy."""
    return workflow.lock(instance)


def _process_with_phases(process: Process) -> Process:
    return Process.objects.prefetch_related("phases").get(pk=process.pk)


# --- Settings --------------------------------------------------------------------------------------------


def settings_for(*, municipality: Municipality) -> ParticipationSettings:
    """The town's moderation settings (created with the defaults on first use).

    A single-town lookup of the town named here, valid in any scope (like
    ``accounts.permissions.membership_for``): a joint process is reached under each partner town's address,
    so a contribution to it is handled in the partner's scope, and the settings of the process's own town
    apply."""
    rows = ParticipationSettings.objects.with_scope(municipality=municipality.pk)
    found = rows.filter(municipality=municipality).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return rows.create(municipality=municipality)
    except IntegrityError:  # created at the same moment by another request
        return rows.get(municipality=municipality)


@transaction.atomic
def settings_change(
    *, municipality: Municipality, by: User | None, fields: dict[str, Any]
) -> ParticipationSettings:
    current = _locked(settings_for(municipality=municipality))
    before = snapshot(current, SETTINGS_FIELDS)
    for name in SETTINGS_FIELDS:
        if name in fields:
            setattr(current, name, fields[name])
    current.full_clean()
    current.save()
    record(
        ParticipationEvent,
        municipality=municipality,
        kind=Kind.SETTINGS,
        by=by,
        acting_town=municipality,
        before=before,
        after=snapshot(current, SETTINGS_FIELDS),
    )
    return current


# --- Processes -------------------------------------------------------------------------------------------


def _check_phases(phases: list[dict[str, Any]]) -> None:
    """Phases in their natural order, each ending before the next starts; only the results may stay open."""
    unknown = [str(p.get("kind")) for p in phases if p.get("kind") not in PHASE_ORDER]
    if unknown:
        raise ValidationError(
            {"phases": [_("There is no phase “%(phase)s”.") % {"phase": kind} for kind in unknown]}
        )
    errors = []
    ordered = sorted(phases, key=lambda p: PHASE_ORDER.index(p["kind"]))
    for phase in ordered:
        label = Phase(phase["kind"]).label
        if phase.get("starts_on") is None:
            errors.append(_("The phase “%(phase)s” needs a start date.") % {"phase": label})
        if phase.get("ends_on") is None and phase["kind"] != Phase.RESULTS:
            errors.append(_("The phase “%(phase)s” needs an end date.") % {"phase": label})
        if (
            phase.get("ends_on") is not None
            and phase.get("starts_on") is not None
            and phase["ends_on"] < phase["starts_on"]
        ):
            errors.append(_("The phase “%(phase)s” ends before it starts.") % {"phase": label})
    if errors:  # the order of phases without dates cannot be judged
        raise ValidationError({"phases": errors})
    for earlier, later in itertools.pairwise(ordered):
        if earlier.get("ends_on") is None or later["starts_on"] <= earlier["ends_on"]:
            errors.append(
                _("The phase “%(later)s” must start after the phase “%(earlier)s” has ended.")
                % {"later": Phase(later["kind"]).label, "earlier": Phase(earlier["kind"]).label}
            )
    if len({p["kind"] for p in phases}) != len(phases):
        errors.append(_("Each phase can be given once."))
    if errors:
        raise ValidationError({"phases": errors})


def _phases_snapshot(process: Process) -> dict[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "phases": "; ".join(
                f"{p.get_kind_display()} {p.starts_on.isoformat()}–{p.ends_on.isoformat() if p.ends_on else ''}"
                for p in process.phases.order_by("starts_on")
            )
        }


def _set_phases(process: Process, phases: list[dict[str, Any]]) -> None:
    _check_phases(phases)
    wanted = {p["kind"]: p for p in phases}
    process.phases.exclude(kind__in=wanted).delete()
    for kind, values in wanted.items():
        ProcessPhase.objects.update_or_create(
            process=process,
            kind=kind,
            defaults={
                "municipality_id": process.municipality_id,
                "starts_on": values["starts_on"],
                "ends_on": values.get("ends_on"),
                "note": values.get("note", ""),
            },
        )


def _set_partners(process: Process, partner_towns: Iterable[Municipality]) -> None:
    wanted = {town.pk: town for town in partner_towns if town.pk != process.municipality_id}
    process.partnerships.exclude(municipality_id__in=wanted).delete()
    existing = set(process.partnerships.values_list("municipality_id", flat=True))
    for pk in wanted.keys() - existing:
        ProcessPartner.objects.create(process=process, municipality=wanted[pk])


def _process_extra(process: Process) -> dict[str, str]:
    return {**_phases_snapshot(process), "partner_towns": names(process.partner_towns.all())}


@transaction.atomic
def process_create(
    *,
    municipality: Municipality,
    by: User | None,
    fields: dict[str, Any],
    phases: list[dict[str, Any]],
    partner_towns: Iterable[Municipality] = (),
) -> Process:
    process = Process(municipality=municipality)
    for name in PROCESS_FIELDS:
        if name in fields:
            setattr(process, name, fields[name])
    process.slug = free_slug(
        process.title,
        rows=Process._base_manager.all(),
        fallback="beteiligung",
        reserved=RESERVED_PROCESS_SLUGS,
    )
    process.full_clean()
    process.save()
    _set_phases(process, phases)
    _set_partners(process, partner_towns)
    record(
        ParticipationEvent,
        municipality=municipality,
        kind=Kind.PROCESS_CREATED,
        by=by,
        acting_town=municipality,
        process=process,
        subject=process.title,
        after={**snapshot(process, PROCESS_FIELDS), **_process_extra(process)},
    )
    return process


def process_for_change(*, process: Process, by: User | None) -> Process:
    """``process`` if ``by`` may change it (editors of the lead town), else ``PermissionDenied``: asked by the
    edit page before it shows the form, and by :func:`process_change`."""
    permissions.require(
        by is None or permissions.can_manage_process(by, process),
        _("Only editors of the lead town may change this process."),
    )
    return process


@transaction.atomic
def process_change(
    *,
    process: Process,
    by: User | None,
    acting_town: Municipality,
    fields: dict[str, Any],
    phases: list[dict[str, Any]] | None = None,
    partner_towns: Iterable[Municipality] | None = None,
) -> Process:
    process_for_change(process=process, by=by)
    process = _locked(process)
    before = {**snapshot(process, PROCESS_FIELDS), **_process_extra(process)}
    for name in PROCESS_FIELDS:
        if name in fields:
            setattr(process, name, fields[name])
    process.full_clean()
    process.save()
    if phases is not None:
        _set_phases(process, phases)
    if partner_towns is not None:
        _set_partners(process, partner_towns)
    record(
        ParticipationEvent,
        municipality=process.municipality,
        kind=Kind.PROCESS_CHANGED,
        by=by,
        acting_town=acting_town,
        process=process,
        subject=process.title,
        before=before,
        after={**snapshot(process, PROCESS_FIELDS), **_process_extra(process)},
    )
    return process


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
    town = process.municipality
    idea = Idea(process=process, municipality=town, author=author, consent_at=timezone.now())
    _fill_idea(idea, fields, image)
    if not process.allow_location:
        idea.latitude = idea.longitude = None
        idea.location_label = ""
    pre = settings_for(municipality=town).moderation == ModerationMode.PRE
    idea.moderation = Moderation.PENDING if pre else Moderation.PUBLISHED
    idea.full_clean()
    _check_place(idea, process)
    idea.save()
    record(
        ParticipationEvent,
        municipality=town,
        kind=Kind.IDEA_SUBMITTED,
        by=author,
        process=process,
        idea=idea,
        subject=idea.title,
    )
    if pre:
        tasks.moderation_waiting_notify.delay_on_commit(municipality_id=town.pk, idea_id=idea.pk)
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
    _require_answer_right(by, process, acting_town)
    if not source.strip():
        raise ValidationError({"offline_source": _("Please say where the idea was collected.")})
    if created_on is not None and created_on > timezone.localdate():
        raise ValidationError({"created_at": _("An idea cannot have been collected in the future.")})
    town = process.municipality
    idea = Idea(
        process=process,
        municipality=town,
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
        municipality=town,
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
    _require_answer_right(by, idea.process, acting_town)
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


@transaction.atomic
def idea_link_project(
    *, idea: Idea, project: Project | None, by: User | None, acting_town: Municipality
) -> Idea:
    """Link the project an idea led to (or remove the link). The project must belong to a town of the
    idea's process. A new link tells the idea's author and supporters (once per link, after the commit)."""
    _require_answer_right(by, idea.process, acting_town)
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
    _require_answer_right(by, idea.process, acting_town)
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
    _require_moderation_right(by, acting_town)
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
    town = idea.municipality
    pre = official_for is None and settings_for(municipality=town).moderation == ModerationMode.PRE
    comment = Comment(
        idea=idea,
        municipality=town,
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
        tasks.moderation_waiting_notify.delay_on_commit(municipality_id=town.pk, comment_id=comment.pk)
    else:
        tasks.comment_notify.delay_on_commit(municipality_id=town.pk, comment_id=comment.pk)
    return comment


# --- Supports --------------------------------------------------------------------------------------------


def _support_open(idea: Idea, on: datetime.date | None) -> None:
    process = _process_with_phases(idea.process)
    if not idea.is_visible or not process.accepts_supports(on):
        raise ValidationError(_("Supports are closed for this idea."), code="phase")


def refresh_counts(idea_ids: Iterable[int]) -> None:
    """Recount the stored support and comment counts of these ideas (``Idea.support_count`` and
    ``comment_count``). The ideas are locked first, so the count runs after any concurrent change to them has
    committed and two changes at the same moment cannot leave a stale number."""
    ids = sorted({int(pk) for pk in idea_ids})
    if not ids:
        return
    with transaction.atomic():
        # FOR NO KEY UPDATE: recounts of one idea wait for each other, but not for the key-share lock that each
        # new support or comment takes on its idea (a FOR UPDATE conflicts with it: two requests that each inserted
        # a support and then lock the idea could wait on each other).
        processes = set(
            Idea._base_manager.select_for_update(no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("process_id", flat=True)
        )
        Idea._base_manager.filter(pk__in=ids).update(
            **selectors.count_expressions(), counts_changed_at=timezone.now()
        )
        touch_processes(processes)
        participation_changed.send(sender=Idea, municipality_id=None)


def idea_facts_refresh_all() -> int:
    """Store anew the facts of every idea whose stored ones differ from their rows (``selectors.idea_facts``: the
    counts and the latest answer), as the services would have stored them, and mark their processes as changed
    (caches and Last-Modified follow). For rows written past the services (a bulk load, a change by hand in the
    database); ``manage.py idea_facts_refresh``. Returns the number of ideas repaired."""
    stale = selectors.ideas_with_stale_facts(Idea._base_manager.all())
    if not stale:
        return 0
    with transaction.atomic():
        rows = Idea._base_manager.filter(pk__in=stale)
        processes = set(
            rows.select_for_update(no_key=True).order_by("pk").values_list("process_id", flat=True)
        )
        rows.update(**selectors.idea_facts(), counts_changed_at=timezone.now())
        touch_processes(processes)
        participation_changed.send(sender=Idea, municipality_id=None)
    return len(stale)


def support_add(*, idea: Idea, user: User, on: datetime.date | None = None) -> bool:
    """Support an idea. The database allows one support per person and idea: a second click (or two at the
    same moment) inserts nothing. Returns whether a support was added."""
    _support_open(idea, on)
    try:
        with transaction.atomic():
            Support.objects.create(idea=idea, municipality_id=idea.municipality_id, user=user)
    except IntegrityError:
        return False
    refresh_counts([idea.pk])
    return True


def support_withdraw(*, idea: Idea, user: User, on: datetime.date | None = None) -> bool:
    """Withdraw one's support; returns whether there was one."""
    _support_open(idea, on)
    deleted, _rows = Support.objects.filter(idea=idea, user=user).delete()
    if deleted:
        refresh_counts([idea.pk])
    return deleted > 0


def processes_of_person(user: User) -> set[int]:
    """The processes in which the person wrote ideas or comments or gave supports (any town): what the public sees
    of them changes when the account is deleted (the name goes, or the contributions). For ``accounts``."""
    return (
        set(Idea._base_manager.filter(author=user).values_list("process_id", flat=True))
        | set(Comment._base_manager.filter(author=user).values_list("idea__process_id", flat=True))
        | set(Support._base_manager.filter(user=user).values_list("idea__process_id", flat=True))
    )


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


@transaction.atomic
def moderation_approve(
    *, target: Idea | Comment, by: User | None, acting_town: Municipality
) -> Idea | Comment:
    """Publish a waiting contribution, or clear one that was reported: open reports are closed."""
    _require_moderation_right(by, acting_town)
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
    _require_moderation_right(by, acting_town)
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


def _process_of(target: Idea | Comment) -> Process:
    return target.process if isinstance(target, Idea) else target.idea.process


# --- Votes -----------------------------------------------------------------------------------------------


@transaction.atomic
def ballot_cast(
    *, process: Process, user: User, votes: dict[int, int], on: datetime.date | None = None
) -> Ballot:
    """Cast or change one's ballot: ``votes`` maps shortlisted idea ids to numbers of votes.

    One ballot per person and process (a database constraint); its votes are replaced as a whole, under a
    lock on the ballot, so the total never exceeds what the process allows."""
    process = _process_with_phases(process)
    if not process.accepts_votes(on):
        raise ValidationError(_("The vote is not open."), code="phase")
    votes = {int(pk): int(count) for pk, count in votes.items() if int(count) > 0}
    if any(count > process.votes_per_idea for count in votes.values()):
        raise ValidationError(
            ngettext(
                "You can give one idea at most %(n)s vote.",
                "You can give one idea at most %(n)s votes.",
                process.votes_per_idea,
            )
            % {"n": process.votes_per_idea},
            code="per_idea",
        )
    if sum(votes.values()) > process.votes_per_person:
        raise ValidationError(
            ngettext(
                "You have %(n)s vote; you have given %(given)s.",
                "You have %(n)s votes; you have given %(given)s.",
                process.votes_per_person,
            )
            % {"n": process.votes_per_person, "given": sum(votes.values())},
            code="total",
        )
    allowed = set(
        process.ideas.visible().filter(is_shortlisted=True, pk__in=votes).values_list("pk", flat=True)  # type: ignore[attr-defined]  # Idea's manager
    )
    if set(votes) - allowed:
        raise ValidationError(_("Votes can only go to ideas on the shortlist."), code="shortlist")
    try:
        with transaction.atomic():
            ballot, _created = Ballot.objects.get_or_create(
                process=process, user=user, defaults={"municipality_id": process.municipality_id}
            )
    except IntegrityError:  # the same person's second tab got there first
        ballot = Ballot.objects.get(process=process, user=user)
    ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
    ballot.votes.all().delete()
    Vote.objects.bulk_create(
        [
            Vote(ballot=ballot, idea_id=pk, count=count, municipality_id=process.municipality_id)
            for pk, count in votes.items()
        ]
    )
    ballot.save(update_fields=["updated_at"])
    return ballot


def ballot_total(ballot: Ballot) -> int:
    return ballot.votes.aggregate(total=Sum("count"))["total"] or 0


# --- Projects that came from ideas -----------------------------------------------------------------------


def project_status_changed(*, project: Project, event_id: int) -> None:
    """Called by the projects app when a project's status changes: tell the authors of ideas that led to it,
    after the transaction commits."""
    # Only a question about rows linked to this project, which the caller may see: no scope needed.
    if Idea._base_manager.filter(project=project).exists():
        tasks.idea_project_notify.delay_on_commit(
            municipality_id=project.municipality_id, project_id=project.pk, event_id=event_id
        )
