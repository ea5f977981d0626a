"""The quarterly progress review: a town's progress report (Fortschrittsbericht) to the Südwestfalen Agentur,
its texts per field of action, the moderators' review comments, and the history of every change.

Internal: the town's staff and Agentur moderators see it, nobody else. The figures are a snapshot taken
when the draft is generated or refreshed, so the report a moderator reviews does not change under them.
"""

import datetime
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from municipalities.scoping import TownOwnedModel
from projects.models import FieldOfAction
from smartcity5.constraints import CheckConstraint
from smartcity5.history import HistoryEvent
from smartcity5.workflow import Workflow

FIRST_YEAR, LAST_YEAR = 2019, 2045


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a calendar quarter."""
    start = datetime.date(year, 3 * (quarter - 1) + 1, 1)
    following = datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, 3 * quarter + 1, 1)
    return start, following - datetime.timedelta(days=1)


def quarter_of(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


class ProgressReport(Workflow, TownOwnedModel):
    """Fortschrittsbericht: what a town did in one quarter, generated from its data and explained per field of
    action, submitted to the Agentur for review."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", pgettext_lazy("progress report status", "Accepted")
        RETURNED = "returned", _("Returned")

    #: The allowed moves; applied only by ``reviews.services`` (through smartcity5.workflow). An accepted report is
    #: final.
    TRANSITION_ERROR = _("A report that is “%(old)s” cannot become “%(new)s”.")
    TRANSITIONS = {
        Status.DRAFT: (Status.SUBMITTED,),
        Status.SUBMITTED: (Status.ACCEPTED, Status.RETURNED),
        Status.RETURNED: (Status.DRAFT,),
        Status.ACCEPTED: (),
    }
    #: While a report is with the Agentur or accepted, neither its figures nor its texts change.
    EDITABLE = (Status.DRAFT,)

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)]
    )
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    figures = models.JSONField(
        _("figures"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("The town's figures for the quarter, as generated or last refreshed."),
    )
    figures_at = models.DateTimeField(_("figures as of"), null=True, blank=True, editable=False)
    remarks = models.TextField(
        _("remarks of the review"),
        blank=True,
        editable=False,
        help_text=_("What the Agentur said with its last decision."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
        editable=False,
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
        editable=False,
    )

    class Meta:
        ordering = ["-year", "-quarter"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "year", "quarter"], name="progress_report_one_per_quarter"
            ),
            CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="progress_report_quarter_range"
            ),
            CheckConstraint(
                condition=Q(status__in=["draft", "submitted", "accepted", "returned"]),
                name="progress_report_status_valid",
            ),
            # Once submitted, a report has a submission time; a decision has a time and remarks when returned.
            CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="progress_report_submitted_at",
            ),
            CheckConstraint(
                condition=~Q(status__in=["accepted", "returned"]) | Q(decided_at__isnull=False),
                name="progress_report_decided_at",
            ),
            CheckConstraint(
                condition=~Q(status="returned") | ~Q(remarks=""), name="progress_report_returned_with_remarks"
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="progress_report_queue")]

    def __str__(self) -> str:
        return _("Progress report %(quarter)s") % {"quarter": self.label}

    @property
    def label(self) -> str:
        return f"Q{self.quarter}/{self.year}"

    @property
    def period(self) -> tuple[datetime.date, datetime.date]:
        return quarter_bounds(self.year, self.quarter)

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def was_submitted(self) -> bool:
        return self.submitted_at is not None


class ReportPart(TownOwnedModel):
    """Base of rows that hang off a report; ``municipality`` is always the report's town."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.municipality_id = self.report.municipality_id  # type: ignore[attr-defined]  # every part has one
        super().save(*args, **kwargs)


class ProgressReportSection(ReportPart):
    """The town's own words on one field of action for the quarter."""

    report = models.ForeignKey(
        ProgressReport, on_delete=models.CASCADE, related_name="sections", verbose_name=_("progress report")
    )
    field_of_action = models.ForeignKey(
        FieldOfAction, on_delete=models.PROTECT, related_name="+", verbose_name=_("field of action")
    )
    text = models.TextField(_("text"), max_length=8000, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        ordering = ["field_of_action__position", "field_of_action__name"]
        verbose_name = _("report section")
        verbose_name_plural = _("report sections")
        constraints = [
            models.UniqueConstraint(fields=["report", "field_of_action"], name="report_section_unique")
        ]

    def __str__(self) -> str:
        return f"{self.report}: {self.field_of_action}"


class ReviewComment(ReportPart):
    """A comment on a report under review: a moderator's, or the town's answer (``from_town``) while the report
    is under review or returned. Comments are kept, never edited."""

    report = models.ForeignKey(
        ProgressReport, on_delete=models.CASCADE, related_name="comments", verbose_name=_("progress report")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    body = models.TextField(_("comment"), max_length=4000)
    # Stored, not derived from the author's roles: roles change, and a deleted account leaves no author.
    from_town = models.BooleanField(_("written by the town"), default=False, editable=False)
    created_at = models.DateTimeField(_("written"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")

    def __str__(self) -> str:
        return f"{self.report}: {self.body[:40]}"


class ProgressReportEvent(HistoryEvent):
    """The history of a report: every status change (who, when, from, to, remark), every refresh of the
    figures and every change of the texts. Written only by ``reviews.services``; never edited.

    Besides the readable ``changes`` it keeps the statuses before and after as values, which the notifications
    key on."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Draft generated")
        REFRESHED = "refreshed", _("Figures refreshed")
        TEXTS = "texts", _("Texts changed")
        STATUS = "status", _("Status changed")

    report = models.ForeignKey(
        ProgressReport, on_delete=models.CASCADE, related_name="events", verbose_name=_("progress report")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    status_before = models.CharField(
        _("status before"), max_length=10, choices=ProgressReport.Status.choices, blank=True
    )
    status_after = models.CharField(
        _("new status"), max_length=10, choices=ProgressReport.Status.choices, blank=True
    )
    # The Agentur's remarks on a decision (the history's ``reason``).
    reason = models.TextField(_("remark"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("progress report history entry")
        verbose_name_plural = _("progress report history")
        indexes = [models.Index(fields=["report", "-at"], name="report_event_report_at")]

    def __str__(self) -> str:
        return f"{self.report}: {self.get_kind_display()}"

    def history_model(self) -> type[models.Model]:
        return ProgressReport
