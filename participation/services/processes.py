"""Processes: settings, creation and change with phases and partner towns."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts import permissions
from municipalities.models import Municipality
from participation import tasks
from participation.models import (
    PHASE_ORDER,
    CodePurpose,
    Comment,
    Idea,
    ParticipationEvent,
    ParticipationSettings,
    Phase,
    Process,
    ProcessPartner,
    ProcessPhase,
    Support,
    VotingCodeBatch,
)
from participation.services.common import Kind, _locked
from projects.models import Project
from smartcity5.history import names, record, snapshot
from smartcity5.slugs import free_slug

if TYPE_CHECKING:
    from accounts.models import User


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
    "vote_by_codes",
    "vote_mode",
    "budget_cap",
)

#: What decides who votes and how ballots are read: fixed once the vote has started or a ballot exists.
VOTE_RULE_FIELDS = ("vote_mode", "budget_cap", "vote_by_codes")


SETTINGS_FIELDS = ("moderation", "report_threshold")


#: Fixed staff pages beside the processes' own (participation/urls.py): no process may take these addresses.
RESERVED_PROCESS_SLUGS = frozenset({"neu", "moderation", "einstellungen", "ideen"})


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
    """The process's phases become ``phases``: the others deleted, changed ones saved, new ones inserted at once
    (a new process: one read and one insert). The caller holds the process (new, or locked by ``_locked``)."""
    _check_phases(phases)
    wanted = {p["kind"]: p for p in phases}
    existing = {phase.kind: phase for phase in process.phases.all()}
    stale = [phase.pk for kind, phase in existing.items() if kind not in wanted]
    if stale:
        process.phases.filter(pk__in=stale).delete()
    new = []
    for kind, values in wanted.items():
        row = {
            "starts_on": values["starts_on"],
            "ends_on": values.get("ends_on"),
            "note": values.get("note", ""),
        }
        phase = existing.get(kind)
        if phase is None:
            new.append(
                ProcessPhase(process=process, municipality_id=process.municipality_id, kind=kind, **row)
            )
        elif any(getattr(phase, name) != value for name, value in row.items()):
            for name, value in row.items():
                setattr(phase, name, value)
            phase.save(update_fields=list(row))
    ProcessPhase.objects.bulk_create(new)


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
    # One rule for the vote's rules (the kind of vote, the budget, voting by codes): the ballot must not change
    # under the voters, nor a code letter become worthless once sent.
    fixed = not _process_with_phases(process).shortlist_open() or process.ballots.exists()
    if (
        process.vote_by_codes
        and fields.get("vote_by_codes", True) is False
        and VotingCodeBatch.objects.filter(process=process, purpose=CodePurpose.VOTE).exists()
    ):
        raise ValidationError(
            {
                "vote_by_codes": _(
                    "Voting codes for this vote have been ordered: it stays a vote by codes, so that no letter "
                    "becomes worthless."
                )
            }
        )
    for name in PROCESS_FIELDS:
        if name in fields:
            if fixed and name in VOTE_RULE_FIELDS and fields[name] != getattr(process, name):
                raise ValidationError(
                    {name: _("The vote has started; how people vote and the budget can no longer change.")}
                )
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


def processes_of_person(user: User) -> set[int]:
    """The processes in which the person wrote ideas or comments or gave supports (any town): what the public sees
    of them changes when the account is deleted (the name goes, or the contributions). For ``accounts``."""
    return (
        set(Idea._base_manager.filter(author=user).values_list("process_id", flat=True))
        | set(Comment._base_manager.filter(author=user).values_list("idea__process_id", flat=True))
        | set(Support._base_manager.filter(user=user).values_list("idea__process_id", flat=True))
    )


# --- Projects that came from ideas -----------------------------------------------------------------------
def project_status_changed(*, project: Project, event_id: int) -> None:
    """Called by the projects app when a project's status changes: tell the authors of ideas that led to it,
    after the transaction commits."""
    # Only a question about rows linked to this project, which the caller may see: no scope needed.
    if Idea._base_manager.filter(project=project).exists():
        tasks.idea_project_notify.delay_on_commit(
            municipality_id=project.municipality_id, project_id=project.pk, event_id=event_id
        )
