"""Writes of the progress review. Each one checks the rule, validates, saves and writes the report's history in
one place, and schedules its notifications after commit.

Status rules re-read the report under a lock, so two people acting at once (an editor refreshing while a colleague
submits, two moderators deciding) never act on a stale copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from municipalities.models import Municipality
from projects.models import FieldOfAction
from smartcity5 import workflow
from smartcity5.history import record, snapshot

from . import selectors
from .models import (
    FIRST_YEAR,
    ProgressReport,
    ProgressReportEvent,
    ProgressReportSection,
    ReviewComment,
    quarter_bounds,
    quarter_of,
)

if TYPE_CHECKING:
    import datetime

    from accounts.models import User

Status = ProgressReport.Status
Kind = ProgressReportEvent.Kind


def _actor(by: User | None) -> User | None:
    return by if by is not None and by.is_authenticated else None


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("Your role does not allow this."))


def _require_editor(by: User | None, municipality: Municipality) -> None:
    _require(by is not None and permissions.can_prepare_progress_report(by, municipality))


def _require_moderator(by: User | None) -> None:
    _require(by is not None and permissions.can_review_progress_reports(by))


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _fresh(report: ProgressReport) -> ProgressReport:
    """The report as it is in the database now, locked until the transaction ends."""
    return workflow.lock(report)


def _require_editable(report: ProgressReport) -> None:
    if not report.is_editable:
        raise ValidationError(
            _("The report is “%(status)s”: its figures and texts can only change while it is a draft.")
            % {"status": report.get_status_display()},
            code="not_editable",
        )


def _transition(
    report: ProgressReport, *, to: str, by: User | None, remark: str = ""
) -> tuple[ProgressReport, ProgressReportEvent]:
    """Move the report (already locked by :func:`_fresh`) and record the move."""
    before = snapshot(report, ("status",))
    report, old = workflow.transition(report, to=to, locked=True)
    report.save()
    return report, record(  # type: ignore[return-value]  # a transition changes the status: always an event
        ProgressReportEvent,
        municipality=report.municipality_id,
        report=report,
        kind=Kind.STATUS,
        by=by,
        before=before,
        after=snapshot(report, ("status",)),
        reason=remark,
        status_before=old,
        status_after=to,
    )


def _snapshot(report: ProgressReport) -> None:
    report.figures = selectors.quarter_figures(
        municipality=report.municipality, year=report.year, quarter=report.quarter
    )
    report.figures_at = timezone.now()


# --- Town staff ------------------------------------------------------------------------------------------


@transaction.atomic
def report_create(*, municipality: Municipality, year: int, quarter: int, by: User | None) -> ProgressReport:
    """Generate the draft of a quarter's report from the town's data. One report per town and quarter; a quarter
    that has not begun cannot be reported on."""
    _require_editor(by, municipality)
    if quarter not in (1, 2, 3, 4) or year < FIRST_YEAR:
        raise _field_error(
            "quarter",
            _("Choose a quarter from 1 to 4 of %(first)s or later.") % {"first": FIRST_YEAR},
            "invalid_quarter",
        )
    if quarter_bounds(year, quarter)[0] > timezone.localdate():
        raise _field_error("quarter", _("This quarter has not begun yet."), "future_quarter")
    report = ProgressReport(municipality=municipality, year=year, quarter=quarter, created_by=_actor(by))
    _snapshot(report)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        # The unique constraint decides, also for two editors starting the same quarter at the same moment.
        raise _field_error(
            "quarter",
            _("There is already a report for Q%(quarter)s/%(year)s.") % {"quarter": quarter, "year": year},
            "duplicate",
        ) from None
    record(
        ProgressReportEvent,
        municipality=report.municipality_id,
        report=report,
        kind=Kind.CREATED,
        by=by,
        after=snapshot(report, ("status",)),
        status_after=Status.DRAFT,
    )
    return report


@transaction.atomic
def report_refresh(*, report: ProgressReport, by: User | None) -> ProgressReport:
    """Take the figures again from the town's data (drafts only)."""
    report = _fresh(report)
    _require_editor(by, report.municipality)
    _require_editable(report)
    _snapshot(report)
    report.save()
    record(
        ProgressReportEvent, municipality=report.municipality_id, report=report, kind=Kind.REFRESHED, by=by
    )
    return report


@transaction.atomic
def report_sections_save(*, report: ProgressReport, by: User | None, texts: dict[int, str]) -> ProgressReport:
    """Store the town's texts per field of action (id → text; drafts only). The history names the fields whose
    text changed."""
    report = _fresh(report)
    _require_editor(by, report.municipality)
    _require_editable(report)
    fields = {f.pk: f for f in FieldOfAction.objects.filter(pk__in=list(texts))}
    unknown = set(texts) - set(fields)
    if unknown:
        raise ValidationError(_("Unknown field of action."), code="unknown_field")
    existing = {s.field_of_action_id: s for s in ProgressReportSection.objects.filter(report=report)}
    changed = []
    for pk, text in texts.items():
        text = (text or "").strip()
        section = existing.get(pk)
        if section is None and not text:
            continue
        if section is not None and section.text == text:
            continue
        section = section or ProgressReportSection(report=report, field_of_action=fields[pk])
        section.text = text
        section.updated_by = _actor(by)
        section.full_clean(exclude=["report", "municipality"])
        section.save()
        changed.append(fields[pk].name)
    if changed:
        report.save(update_fields=["updated_at"])
        record(
            ProgressReportEvent,
            municipality=report.municipality_id,
            report=report,
            kind=Kind.TEXTS,
            by=by,
            subject=", ".join(sorted(changed)),
        )
    return report


@transaction.atomic
def report_submit(*, report: ProgressReport, by: User | None) -> ProgressReport:
    """Send the draft to the Agentur; its moderators are told (after commit). From now on figures and texts are
    fixed until a moderator returns the report."""
    report = _fresh(report)
    _require_editor(by, report.municipality)
    if report.status == Status.DRAFT and not report.figures:
        raise ValidationError(_("Generate the figures before submitting."), code="no_figures")
    report.submitted_at, report.submitted_by = timezone.now(), _actor(by)
    report, event = _transition(report, to=Status.SUBMITTED, by=by)
    from .tasks import review_submitted_notify

    review_submitted_notify.delay_on_commit(municipality_id=report.municipality_id, event_id=event.pk)
    return report


@transaction.atomic
def report_reopen(*, report: ProgressReport, by: User | None) -> ProgressReport:
    """A returned report becomes a draft again, so that the town can change it and submit it anew."""
    report = _fresh(report)
    _require_editor(by, report.municipality)
    return _transition(report, to=Status.DRAFT, by=by)[0]


# --- Comments: the Agentur's and the town's answers ------------------------------------------------------


def _comment(report: ProgressReport, *, by: User | None, body: str, from_town: bool) -> ReviewComment:
    from .tasks import review_comment_notify

    body = (body or "").strip()
    if not body:
        raise _field_error("body", _("Please write a comment."), "empty")
    comment = ReviewComment(report=report, author=_actor(by), body=body, from_town=from_town)
    comment.full_clean(exclude=["report", "municipality"])
    comment.save()
    review_comment_notify.delay_on_commit(municipality_id=report.municipality_id, comment_id=comment.pk)
    return comment


@transaction.atomic
def review_comment_add(*, report: ProgressReport, by: User | None, body: str) -> ReviewComment:
    """A moderator's comment on a submitted report (kept with the report; the town's editors are told)."""
    _require_moderator(by)
    report = _fresh(report)
    if report.status != Status.SUBMITTED:
        raise ValidationError(
            _("Comments can be added while the report is under review."), code="not_submitted"
        )
    return _comment(report, by=by, body=body, from_town=False)


REPLY_STATUSES = (Status.SUBMITTED, Status.RETURNED)


@transaction.atomic
def report_reply(*, report: ProgressReport, by: User | None, body: str) -> ReviewComment:
    """The town's answer to the Agentur's comments or remarks, while the report is under review or returned
    (the moderators are told)."""
    report = _fresh(report)
    _require_editor(by, report.municipality)
    if report.status not in REPLY_STATUSES:
        raise ValidationError(
            _("You can answer while the report is under review or after it was returned."),
            code="not_under_review",
        )
    return _comment(report, by=by, body=body, from_town=True)


# --- Agentur moderators ----------------------------------------------------------------------------------

DECISIONS = (Status.ACCEPTED, Status.RETURNED)


@transaction.atomic
def review_decide(
    *, report: ProgressReport, by: User | None, decision: str, remarks: str = ""
) -> ProgressReport:
    """Accept a submitted report, or return it to the town with remarks (required). The town's editors are told
    once (after commit)."""
    _require_moderator(by)
    if decision not in DECISIONS:
        raise _field_error("decision", _("Accept or return the report."), "invalid_decision")
    remarks = (remarks or "").strip()
    if decision == Status.RETURNED and not remarks:
        raise _field_error("remarks", _("Please say what the town should change."), "remarks_required")
    report = _fresh(report)
    report.decided_at, report.decided_by, report.remarks = timezone.now(), _actor(by), remarks
    report, event = _transition(report, to=decision, by=by, remark=remarks)
    from .tasks import review_decided_notify

    review_decided_notify.delay_on_commit(municipality_id=report.municipality_id, event_id=event.pk)
    return report


def default_quarter(today: datetime.date | None = None) -> tuple[int, int]:
    """The quarter a new report is usually about: the current one."""
    return quarter_of(today or timezone.localdate())
