"""Writes of the funding app. Each one validates, saves and writes the grant's history in one place.

The limits of disbursement requests are checked here, under a lock on the grant, so that two people
filing requests at the same moment cannot together exceed what the grant allows.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from municipalities.models import Municipality
from smartcity5 import workflow
from smartcity5.history import names, record, snapshot

from . import money
from .models import (
    BudgetLine,
    DisbursementRequest,
    FundingEvent,
    Grant,
    Milestone,
    ProofOfUse,
    Spending,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from django.core.files.storage import Storage
    from django.db.models import QuerySet
    from django_stubs_ext import StrOrPromise

    from accounts.models import User
    from projects.models import Project
    from projects.uploads import CheckedUpload

_M = TypeVar("_M", bound=Model)

GRANT_FIELDS = (
    "title",
    "programme",
    "funder",
    "reference",
    "cohort",
    "recipient",
    "approved_on",
    "period_start",
    "period_end",
    "phase_a_start",
    "phase_a_end",
    "phase_b_start",
    "phase_b_end",
    "eligible_costs",
    "funding_rate",
    "federal_share",
    "rate_exception_reference",
    "rate_exception_document",
    "notes",
)
# The terms of a grant, as the approval (Zuwendungsbescheid) fixes them: only the town's admins record or
# change them, with a reason, and the Agentur is told (accounts.permissions.can_change_grant_terms).
GRANT_TERMS = (
    "approved_on",
    "period_start",
    "period_end",
    "phase_a_start",
    "phase_a_end",
    "phase_b_start",
    "phase_b_end",
    "eligible_costs",
    "funding_rate",
)
BUDGET_LINE_FIELDS = ("year", "cost_type", "project", "amount", "note")
SPENDING_FIELDS = ("spent_on", "cost_type", "project", "amount", "description", "payee", "voucher")
DISBURSEMENT_FIELDS = ("year", "amount", "purpose")
DISBURSEMENT_STATUS_FIELDS = ("status", "submitted_on", "paid_on", "rejected_on", "reason")
MILESTONE_FIELDS = ("title", "description", "phase", "due_on")
MILESTONE_STATUS_FIELDS = ("status", "done_on", "evidence", "waived_reason")
PROOF_FIELDS = ("kind", "year", "due_on", "note")
PROOF_STATUS_FIELDS = ("submitted_on", "accepted_on", "document")

Entity = FundingEvent.Entity
Kind = FundingEvent.Kind


# --- History (smartcity5.history.record) ----------------------------------------------------------------


def _apply(instance: Model, allowed: tuple[str, ...], fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name in allowed:
            setattr(instance, name, value)


def _save_and_record(
    instance: _M,
    *,
    grant: Grant,
    allowed: tuple[str, ...],
    entity: str,
    by: User | None,
    before: dict[str, Any] | None = None,
    kind: str | None = None,
    reason: str = "",
    extra_before: dict[str, Any] | None = None,
    extra_after: Callable[[], dict[str, Any]] | None = None,
) -> _M:
    """Validate and save a new or changed row and record what changed (nothing if nothing did).

    ``extra_before`` / ``extra_after`` add values that are not plain fields (the linked projects)."""
    is_new = before is None
    instance.full_clean()
    instance.save()
    after = {**snapshot(instance, allowed), **(extra_after() if extra_after else {})}
    record(
        FundingEvent,
        municipality=grant.municipality_id,
        grant=grant,
        kind=kind or (Kind.CREATED if is_new else Kind.CHANGED),
        entity=entity,
        by=by,
        subject=instance,
        before=None if is_new else {**before, **(extra_before or {})},  # type: ignore[dict-item]  # not new: before is set
        after=after,
        reason=reason,
    )
    return instance


def _delete_and_record(
    instance: Model, *, grant: Grant, allowed: tuple[str, ...], entity: str, by: User | None
) -> None:
    record(
        FundingEvent,
        municipality=grant.municipality_id,
        grant=grant,
        kind=Kind.DELETED,
        entity=entity,
        by=by,
        subject=instance,
        before=snapshot(instance, allowed),
    )
    instance.delete()


def _fresh(instance: _M) -> _M:
    """The row as it is in the database now, locked: status rules never act on a stale copy."""
    return workflow.lock(instance)


def _locked(grant: Grant) -> Grant:
    """The grant row, locked until the transaction ends: one limit check at a time per grant."""
    return Grant.objects.select_for_update().get(pk=grant.pk)


# --- Who may: the services' own checks (``accounts.permissions``); pages ask them before they show a form -------


def grant_for_change(*, grant: Grant, by: User | None) -> Grant:
    """``grant`` if ``by`` may change its data and rows (budget, spending, requests, milestones, proofs: the town's
    editors; the Agentur's moderators read only), else ``PermissionDenied``: asked by the pages before they take
    a form, and by every service below. ``by=None`` is the portal itself (demo data, commands)."""
    permissions.require(by is None or permissions.can_edit_funding(by, grant.municipality))
    return grant


def grant_for_submission(*, grant: Grant, by: User | None, message: StrOrPromise | None = None) -> Grant:
    """``grant`` if ``by`` may submit its requests and proofs to the funder (the town's admins), else
    ``PermissionDenied``."""
    permissions.require(by is None or permissions.can_approve_funding(by, grant.municipality), message)
    return grant


# --- Grants ----------------------------------------------------------------------------------------------


def _require_terms_right(by: User | None, municipality: Municipality) -> None:
    # ``by=None`` is the portal itself (demo data, management commands); people need the rule.
    if by is not None and not permissions.can_change_grant_terms(by, municipality):
        raise PermissionDenied(
            _(
                "Only the town's administrators may record a grant or change its terms "
                "(dates, eligible costs, funding rate)."
            )
        )


def _apply_rate_exception(grant: Grant, *, reference: str, document: CheckedUpload | None) -> None:
    """Record the funder's exception for a rate outside the programme: a reference, a checked upload
    (:mod:`projects.uploads`), or both."""
    reference = (reference or "").strip()
    if reference:
        grant.rate_exception_reference = reference
    if document is not None:
        old_file = grant.rate_exception_document.name if grant.rate_exception_document else ""
        grant.rate_exception_document.save(document.file.name, document.file, save=False)
        grant.rate_exception_document_content_type = document.content_type
        _replace_file_after_commit(grant.rate_exception_document.storage, old_file)


def _check_rate(grant: Grant) -> None:
    if money.cents(grant.funding_rate) in money.PROGRAMME_RATES or grant.has_rate_exception:
        return
    raise ValidationError(
        {
            "funding_rate": _(
                "The programme funds %(standard)s %% of the eligible costs, or %(emergency)s %% for a town in a budget "
                "emergency. For any other rate, record the funder's exception: upload its decision or give its "
                "reference."
            )
            % {"standard": "65", "emergency": "90"}
        }
    )


def _tell_agentur_after_commit(event: FundingEvent) -> None:
    from .tasks import grant_terms_changed_notify

    grant_terms_changed_notify.delay_on_commit(municipality_id=event.municipality_id, event_id=event.pk)


@transaction.atomic
def grant_create(
    *,
    municipality: Municipality,
    by: User | None,
    fields: dict[str, Any],
    reason: str = "",
    rate_exception_reference: str = "",
    rate_exception_document: CheckedUpload | None = None,
) -> Grant:
    """Record a grant as approved (town admins only). A rate other than the programme's needs the funder's
    exception (a reference or a checked upload)."""
    _require_terms_right(by, municipality)
    grant = Grant(municipality=municipality)
    _apply(grant, GRANT_FIELDS, fields)
    _apply_rate_exception(grant, reference=rate_exception_reference, document=rate_exception_document)
    _check_rate(grant)
    grant = _save_and_record(
        grant, grant=grant, allowed=GRANT_FIELDS, entity=Entity.GRANT, by=by, reason=(reason or "").strip()
    )
    if by is not None:
        _tell_agentur_after_commit(grant.events.latest("pk"))
    return grant


@transaction.atomic
def grant_change(
    *,
    grant: Grant,
    by: User | None,
    fields: dict[str, Any],
    reason: str = "",
    rate_exception_reference: str = "",
    rate_exception_document: CheckedUpload | None = None,
) -> Grant:
    """Change a grant. Its terms (:data:`GRANT_TERMS`) change only by a town admin, with a reason that the
    history keeps; the rate must be one of the programme's unless the funder's exception is recorded; the
    Agentur's moderators are told. Editors keep the other data (title, reference number, notes …) up to date."""
    grant_for_change(grant=grant, by=by)
    grant = _locked(grant)
    before = snapshot(grant, GRANT_FIELDS)
    _apply(grant, GRANT_FIELDS, fields)
    _apply_rate_exception(grant, reference=rate_exception_reference, document=rate_exception_document)
    after = snapshot(grant, GRANT_FIELDS)
    terms_changed = any(before[name] != after[name] for name in GRANT_TERMS)
    exception_changed = any(
        before[name] != after[name] for name in ("rate_exception_reference", "rate_exception_document")
    )
    reason = (reason or "").strip()
    if terms_changed or exception_changed:
        _require_terms_right(by, grant.municipality)
        if not reason:
            raise ValidationError(
                {
                    "reason": _(
                        "Please say why the grant's terms change (for example the funder's "
                        "letter that changed them); the history keeps it."
                    )
                }
            )
    if before["funding_rate"] != after["funding_rate"]:
        _check_rate(grant)
    grant.federal_share = money.federal_share(grant.eligible_costs, grant.funding_rate)
    called = _called(grant)
    if grant.federal_share < called:
        raise ValidationError(
            {
                "eligible_costs": _(
                    "With these figures the federal share would be %(share)s, but %(called)s have already been "
                    "requested from the funder."
                )
                % {"share": money.format_eur(grant.federal_share), "called": money.format_eur(called)}
            }
        )
    last = grant.events.order_by("-pk").values_list("pk", flat=True).first()
    grant = _save_and_record(
        grant,
        grant=grant,
        allowed=GRANT_FIELDS,
        entity=Entity.GRANT,
        by=by,
        before=before,
        reason=reason if terms_changed or exception_changed else "",
    )
    if (terms_changed or exception_changed) and by is not None:
        event = grant.events.order_by("-pk").first()
        if event is not None and event.pk != last:
            _tell_agentur_after_commit(event)
    return grant


# --- Budget plan -----------------------------------------------------------------------------------------


@transaction.atomic
def budget_line_save(
    *, grant: Grant, by: User | None, fields: dict[str, Any], line: BudgetLine | None = None
) -> BudgetLine:
    """Add a line to the budget plan, or change one. A year's plan may not fall below what has already
    been requested for that year."""
    grant_for_change(grant=grant, by=by)
    grant = _locked(grant)
    before = None if line is None else snapshot(line, BUDGET_LINE_FIELDS)
    old_year = None if line is None else line.year
    line = line or BudgetLine(grant=grant, municipality_id=grant.municipality_id)
    _apply(line, BUDGET_LINE_FIELDS, fields)
    line.grant = grant
    line = _save_and_record(
        line, grant=grant, allowed=BUDGET_LINE_FIELDS, entity=Entity.BUDGET_LINE, by=by, before=before
    )
    for year in {line.year, old_year} - {None}:
        _check_plan_covers_requests(grant, year)  # type: ignore[arg-type]  # None is taken out of the set
    return line


@transaction.atomic
def budget_line_delete(*, line: BudgetLine, by: User | None) -> None:
    grant_for_change(grant=line.grant, by=by)
    grant = _locked(line.grant)
    year = line.year
    _delete_and_record(line, grant=grant, allowed=BUDGET_LINE_FIELDS, entity=Entity.BUDGET_LINE, by=by)
    _check_plan_covers_requests(grant, year)


def _check_plan_covers_requests(grant: Grant, year: int) -> None:
    planned = grant.federal_share_of(_planned(grant, year))
    called = _called(grant, year=year)
    if called > planned:
        raise ValidationError(
            {
                "amount": _(
                    "The plan for %(year)s would then allow federal funds of %(planned)s, but %(called)s have already "
                    "been requested for that year."
                )
                % {"year": year, "planned": money.format_eur(planned), "called": money.format_eur(called)}
            }
        )


# --- Spending --------------------------------------------------------------------------------------------


@transaction.atomic
def spending_record(*, grant: Grant, by: User | None, fields: dict[str, Any]) -> Spending:
    grant_for_change(grant=grant, by=by)
    item = Spending(
        grant=grant,
        municipality_id=grant.municipality_id,
        created_by=by if by and by.is_authenticated else None,
    )
    _apply(item, SPENDING_FIELDS, fields)
    return _save_and_record(item, grant=grant, allowed=SPENDING_FIELDS, entity=Entity.SPENDING, by=by)


@transaction.atomic
def spending_change(*, item: Spending, by: User | None, fields: dict[str, Any]) -> Spending:
    grant_for_change(grant=item.grant, by=by)
    before = snapshot(item, SPENDING_FIELDS)
    _apply(item, SPENDING_FIELDS, fields)
    return _save_and_record(
        item, grant=item.grant, allowed=SPENDING_FIELDS, entity=Entity.SPENDING, by=by, before=before
    )


@transaction.atomic
def spending_delete(*, item: Spending, by: User | None) -> None:
    grant_for_change(grant=item.grant, by=by)
    _delete_and_record(item, grant=item.grant, allowed=SPENDING_FIELDS, entity=Entity.SPENDING, by=by)


# --- Disbursement requests (Mittelabrufe) ----------------------------------------------------------------


def _sum(qs: QuerySet[Any]) -> Decimal:
    return qs.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def _planned(grant: Grant, year: int) -> Decimal:
    return _sum(BudgetLine.objects.filter(grant=grant, year=year))


def _called(grant: Grant, *, year: int | None = None, exclude: int | None = None) -> Decimal:
    qs = DisbursementRequest.objects.filter(grant=grant, status__in=DisbursementRequest.CALLED)
    if year is not None:
        qs = qs.filter(year=year)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return _sum(qs)


def check_disbursement_limits(
    *, grant: Grant, year: int, amount: Decimal, exclude: int | None = None
) -> None:
    """Refuse an amount that, with the requests already filed, would exceed the approved federal share or
    the federal share of the year's budget plan. Call with the grant locked (see :func:`_locked`)."""
    amount = money.cents(amount)
    called = _called(grant, exclude=exclude)
    if called + amount > grant.federal_share:
        raise ValidationError(
            {
                "amount": _(
                    "This request would exceed the approved federal share of %(share)s: %(called)s have already been "
                    "requested, so at most %(left)s can still be requested."
                )
                % {
                    "share": money.format_eur(grant.federal_share),
                    "called": money.format_eur(called),
                    "left": money.format_eur(max(grant.federal_share - called, Decimal(0))),
                }
            }
        )
    year_plan = grant.federal_share_of(_planned(grant, year))
    called_year = _called(grant, year=year, exclude=exclude)
    if called_year + amount > year_plan:
        raise ValidationError(
            {
                "amount": _(
                    "This request would exceed the plan for %(year)s: the budget plan allows federal funds of %(plan)s "
                    "for that year, %(called)s have already been requested, so at most %(left)s can still be requested."
                )
                % {
                    "year": year,
                    "plan": money.format_eur(year_plan),
                    "called": money.format_eur(called_year),
                    "left": money.format_eur(max(year_plan - called_year, Decimal(0))),
                }
            }
        )


@transaction.atomic
def disbursement_prepare(*, grant: Grant, by: User | None, fields: dict[str, Any]) -> DisbursementRequest:
    """A new draft request. Drafts are checked against the limits too, so nobody prepares a request that
    could never be filed."""
    grant_for_change(grant=grant, by=by)
    grant = _locked(grant)
    latest = (
        DisbursementRequest.objects.filter(grant=grant).order_by("-number").values_list("number", flat=True)
    )
    item = DisbursementRequest(
        grant=grant,
        municipality_id=grant.municipality_id,
        number=(latest.first() or 0) + 1,
        created_by=by if by is not None and by.is_authenticated else None,
    )
    _apply(item, DISBURSEMENT_FIELDS, fields)
    item.full_clean()
    check_disbursement_limits(grant=grant, year=item.year, amount=item.amount)
    return _save_and_record(item, grant=grant, allowed=DISBURSEMENT_FIELDS, entity=Entity.DISBURSEMENT, by=by)


def _require_status(item: DisbursementRequest, *allowed: str) -> None:
    if item.status not in allowed:
        raise ValidationError(
            _("This request is “%(status)s”; it can no longer be changed this way.")
            % {"status": item.get_status_display()}
        )


@transaction.atomic
def disbursement_change(
    *, item: DisbursementRequest, by: User | None, fields: dict[str, Any]
) -> DisbursementRequest:
    grant_for_change(grant=item.grant, by=by)
    grant = _locked(item.grant)
    item = _fresh(item)
    _require_status(item, DisbursementRequest.Status.DRAFT)
    before = snapshot(item, DISBURSEMENT_FIELDS)
    _apply(item, DISBURSEMENT_FIELDS, fields)
    item.full_clean()
    check_disbursement_limits(grant=grant, year=item.year, amount=item.amount, exclude=item.pk)
    return _save_and_record(
        item, grant=grant, allowed=DISBURSEMENT_FIELDS, entity=Entity.DISBURSEMENT, by=by, before=before
    )


@transaction.atomic
def disbursement_delete(*, item: DisbursementRequest, by: User | None) -> None:
    grant_for_change(grant=item.grant, by=by)
    item = _fresh(item)
    _require_status(item, DisbursementRequest.Status.DRAFT)
    _delete_and_record(item, grant=item.grant, allowed=DISBURSEMENT_FIELDS, entity=Entity.DISBURSEMENT, by=by)


def _disbursement_move(
    item: DisbursementRequest, *, to: str, by: User | None, reason: str = "", **dates: datetime.date | None
) -> DisbursementRequest:
    grant = _locked(item.grant)
    item = _fresh(item)
    item.check_transition(to)
    before = snapshot(item, DISBURSEMENT_STATUS_FIELDS)
    decided_on = dates.get("paid_on") or dates.get("rejected_on")
    if decided_on and item.submitted_on and decided_on < item.submitted_on:
        raise ValidationError({"on": _("The funder's decision cannot come before the submission.")})
    if to == DisbursementRequest.Status.SUBMITTED:
        check_disbursement_limits(grant=grant, year=item.year, amount=item.amount, exclude=item.pk)
        item.submitted_by = by if by is not None and by.is_authenticated else None
    item, _old = workflow.transition(item, to=to, locked=True)
    for name, value in dates.items():
        setattr(item, name, value)
    item.reason = reason
    return _save_and_record(
        item,
        grant=grant,
        allowed=DISBURSEMENT_STATUS_FIELDS,
        entity=Entity.DISBURSEMENT,
        by=by,
        before=before,
        kind=Kind.STATUS,
        reason=reason,
    )


def _not_in_future(day: datetime.date, field: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: _("This date lies in the future.")})


def disbursement_for_submission(*, item: DisbursementRequest, by: User | None) -> DisbursementRequest:
    """``item`` if ``by`` may submit it to the funder (the town's admins), else ``PermissionDenied``."""
    grant_for_submission(
        grant=item.grant,
        by=by,
        message=_("Only the town's administrators may submit requests to the funder."),
    )
    return item


@transaction.atomic
def disbursement_submit(
    *, item: DisbursementRequest, by: User | None, submitted_on: datetime.date
) -> DisbursementRequest:
    """File a draft with the funder: the town's admins (:func:`disbursement_for_submission`, which the page asks
    before it shows the form)."""
    disbursement_for_submission(item=item, by=by)
    _not_in_future(submitted_on, "submitted_on")
    return _disbursement_move(item, to=DisbursementRequest.Status.SUBMITTED, by=by, submitted_on=submitted_on)


@transaction.atomic
def disbursement_mark_paid(
    *, item: DisbursementRequest, by: User | None, paid_on: datetime.date
) -> DisbursementRequest:
    grant_for_change(grant=item.grant, by=by)
    _not_in_future(paid_on, "paid_on")
    return _disbursement_move(item, to=DisbursementRequest.Status.PAID, by=by, paid_on=paid_on)


@transaction.atomic
def disbursement_reject(
    *, item: DisbursementRequest, by: User | None, rejected_on: datetime.date, reason: str
) -> DisbursementRequest:
    grant_for_change(grant=item.grant, by=by)
    if not reason.strip():
        raise ValidationError({"reason": _("Please give the funder's reason for the rejection.")})
    _not_in_future(rejected_on, "rejected_on")
    return _disbursement_move(
        item, to=DisbursementRequest.Status.REJECTED, by=by, rejected_on=rejected_on, reason=reason.strip()
    )


# --- Milestones ------------------------------------------------------------------------------------------


def _project_names(milestone: Milestone) -> dict[str, Any]:
    return {"projects": names(milestone.projects.all()) if milestone.pk else ""}


@transaction.atomic
def milestone_save(
    *,
    grant: Grant,
    by: User | None,
    fields: dict[str, Any],
    projects: Iterable[Project] | None = None,
    milestone: Milestone | None = None,
) -> Milestone:
    """Add a milestone or change its title, phase, due date and linked projects."""
    grant_for_change(grant=grant, by=by)
    before = None if milestone is None else snapshot(milestone, MILESTONE_FIELDS)
    extra_before = None if milestone is None else _project_names(milestone)
    milestone = milestone or Milestone(grant=grant, municipality_id=grant.municipality_id)
    _apply(milestone, MILESTONE_FIELDS, fields)
    foreign = [p for p in (projects or ()) if p.municipality_id != grant.municipality_id]
    if foreign:
        raise ValidationError({"projects": _("Only projects led by the grant's town can be linked.")})

    def after() -> dict[str, Any]:
        if projects is not None:
            milestone.projects.set(projects)
        return _project_names(milestone)

    return _save_and_record(
        milestone,
        grant=grant,
        allowed=MILESTONE_FIELDS,
        entity=Entity.MILESTONE,
        by=by,
        before=before,
        extra_before=extra_before,
        extra_after=after,
    )


@transaction.atomic
def milestone_delete(*, milestone: Milestone, by: User | None) -> None:
    grant_for_change(grant=milestone.grant, by=by)
    milestone = _fresh(milestone)
    if milestone.status == Milestone.Status.DONE:
        raise ValidationError(_("A milestone that is done stays on record; it cannot be deleted."))
    _delete_and_record(
        milestone, grant=milestone.grant, allowed=MILESTONE_FIELDS, entity=Entity.MILESTONE, by=by
    )


def _milestone_fresh(milestone: Milestone, *allowed: str) -> Milestone:
    milestone = _fresh(milestone)
    if milestone.status not in allowed:
        raise ValidationError(
            _("This milestone is “%(status)s”; it cannot be changed this way.")
            % {"status": milestone.get_status_display()}
        )
    return milestone


def _milestone_move(milestone: Milestone, *, by: User | None, reason: str = "", **values: Any) -> Milestone:
    before = snapshot(milestone, MILESTONE_STATUS_FIELDS)
    for name, value in values.items():
        setattr(milestone, name, value)
    return _save_and_record(
        milestone,
        grant=milestone.grant,
        allowed=MILESTONE_STATUS_FIELDS,
        entity=Entity.MILESTONE,
        by=by,
        before=before,
        kind=Kind.STATUS,
        reason=reason,
    )


@transaction.atomic
def milestone_mark_done(
    *, milestone: Milestone, by: User | None, done_on: datetime.date, evidence: CheckedUpload | None
) -> Milestone:
    """Done, with the date and an evidence file (a checked upload, see :mod:`projects.uploads`)."""
    grant_for_change(grant=milestone.grant, by=by)
    _not_in_future(done_on, "done_on")
    if evidence is None:
        raise ValidationError({"evidence": _("Please attach the evidence that the milestone was reached.")})
    milestone = _milestone_fresh(milestone, Milestone.Status.OPEN)
    old_file = milestone.evidence.name if milestone.evidence else ""
    milestone.evidence.save(evidence.file.name, evidence.file, save=False)
    milestone.evidence_content_type = evidence.content_type
    _replace_file_after_commit(milestone.evidence.storage, old_file)
    return _milestone_move(milestone, by=by, status=Milestone.Status.DONE, done_on=done_on, waived_reason="")


@transaction.atomic
def milestone_waive(*, milestone: Milestone, by: User | None, reason: str) -> Milestone:
    grant_for_change(grant=milestone.grant, by=by)
    if not reason.strip():
        raise ValidationError({"waived_reason": _("Please say why the milestone is waived.")})
    milestone = _milestone_fresh(milestone, Milestone.Status.OPEN)
    return _milestone_move(
        milestone,
        by=by,
        reason=reason.strip(),
        status=Milestone.Status.WAIVED,
        waived_reason=reason.strip(),
        done_on=None,
    )


@transaction.atomic
def milestone_reopen(*, milestone: Milestone, by: User | None, reason: str) -> Milestone:
    """Back to open (a mistake, or the funder did not accept the evidence); the evidence file is kept."""
    grant_for_change(grant=milestone.grant, by=by)
    if not reason.strip():
        raise ValidationError({"reason": _("Please say why the milestone is reopened.")})
    milestone = _milestone_fresh(milestone, Milestone.Status.DONE, Milestone.Status.WAIVED)
    return _milestone_move(
        milestone, by=by, reason=reason.strip(), status=Milestone.Status.OPEN, done_on=None, waived_reason=""
    )


def _replace_file_after_commit(storage: Storage, old_name: str) -> None:
    if old_name:
        transaction.on_commit(lambda: storage.delete(old_name))


# --- Proofs of use ---------------------------------------------------------------------------------------


@transaction.atomic
def proof_save(
    *, grant: Grant, by: User | None, fields: dict[str, Any], proof: ProofOfUse | None = None
) -> ProofOfUse:
    """Schedule a proof of use, or change it. Once submitted, only its note can change."""
    grant_for_change(grant=grant, by=by)
    if proof is not None:
        proof = _fresh(proof)
        if proof.submitted_on:
            fields = {name: value for name, value in fields.items() if name == "note"}
    before = None if proof is None else snapshot(proof, PROOF_FIELDS)
    proof = proof or ProofOfUse(grant=grant, municipality_id=grant.municipality_id)
    _apply(proof, PROOF_FIELDS, fields)
    return _save_and_record(
        proof, grant=grant, allowed=PROOF_FIELDS, entity=Entity.PROOF, by=by, before=before
    )


@transaction.atomic
def proof_delete(*, proof: ProofOfUse, by: User | None) -> None:
    grant_for_change(grant=proof.grant, by=by)
    proof = _fresh(proof)
    if proof.submitted_on:
        raise ValidationError(_("A submitted proof stays on record; it cannot be deleted."))
    _delete_and_record(proof, grant=proof.grant, allowed=PROOF_FIELDS, entity=Entity.PROOF, by=by)


def proof_for_submission(*, proof: ProofOfUse, by: User | None) -> ProofOfUse:
    """``proof`` if ``by`` may submit it to the funder (the town's admins), else ``PermissionDenied``."""
    grant_for_submission(
        grant=proof.grant,
        by=by,
        message=_("Only the town's administrators may submit proofs of use to the funder."),
    )
    return proof


@transaction.atomic
def proof_submit(
    *, proof: ProofOfUse, by: User | None, submitted_on: datetime.date, document: CheckedUpload | None = None
) -> ProofOfUse:
    """Record that the proof went to the funder: the town's admins (:func:`proof_for_submission`, which the page
    asks before it shows the form)."""
    proof_for_submission(proof=proof, by=by)
    _not_in_future(submitted_on, "submitted_on")
    proof = _fresh(proof)
    if proof.submitted_on:
        raise ValidationError(_("This proof has already been submitted."))
    before = snapshot(proof, PROOF_STATUS_FIELDS)
    if document is not None:
        proof.document.save(document.file.name, document.file, save=False)
        proof.document_content_type = document.content_type
    proof.submitted_on = submitted_on
    proof.submitted_by = by if by is not None and by.is_authenticated else None
    return _save_and_record(
        proof,
        grant=proof.grant,
        allowed=PROOF_STATUS_FIELDS,
        entity=Entity.PROOF,
        by=by,
        before=before,
        kind=Kind.STATUS,
    )


@transaction.atomic
def proof_accept(*, proof: ProofOfUse, by: User | None, accepted_on: datetime.date) -> ProofOfUse:
    """Record that the funder accepted the proof."""
    grant_for_change(grant=proof.grant, by=by)
    _not_in_future(accepted_on, "accepted_on")
    proof = _fresh(proof)
    if not proof.submitted_on:
        raise ValidationError(_("A proof can only be accepted after it was submitted."))
    if proof.accepted_on:
        raise ValidationError(_("This proof has already been accepted."))
    before = snapshot(proof, PROOF_STATUS_FIELDS)
    proof.accepted_on = accepted_on
    return _save_and_record(
        proof,
        grant=proof.grant,
        allowed=PROOF_STATUS_FIELDS,
        entity=Entity.PROOF,
        by=by,
        before=before,
        kind=Kind.STATUS,
    )
