"""Reports (Berichte): a town, funding or region report requested by staff or by beat, built by a task as PDF
or XLSX and kept in the default storage until it expires."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TownOwnedModel
from smartcity5.jobs import TrackedJob


def _report_path(instance, filename: str) -> str:
    # A random name: reports hold internal data, so their address must not be guessable.
    return f"reports/{uuid.uuid4().hex}.{instance.format}"


class ReportRequest(TownOwnedModel, TrackedJob):
    """One report, from the request to its file. ``municipality`` is the town whose data it shows; a region
    report (all towns) belongs to the lead town but is only read by Agentur moderators through an audited
    cross-town scope (``reports.selectors.region_reports``), never on the lead town's own pages."""

    class Kind(models.TextChoices):
        TOWN = "town", _("Town report")
        FUNDING = "funding", _("Funding report")
        REGION = "region", _("Region report")

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", _("Spreadsheet (XLSX)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being generated")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    OPEN = (Status.QUEUED, Status.RUNNING)
    TOWN_KINDS = (Kind.TOWN, Kind.FUNDING)

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices, default=Format.PDF)
    grant = models.ForeignKey("funding.Grant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("grant"), help_text=_("Funding reports only."))
    period = models.CharField(_("period"), max_length=7, blank=True,
                              help_text=_("The month of a scheduled region report (YYYY-MM)."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.TextField(_("reason for the failure"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("requested by"))
    file = models.FileField(_("file"), upload_to=_report_path, blank=True, max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("available until"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["town", "funding", "region"]), name="report_kind_valid"),
            models.CheckConstraint(condition=Q(format__in=["pdf", "xlsx"]), name="report_format_valid"),
            models.CheckConstraint(condition=Q(status__in=["queued", "running", "done", "failed"]),
                                   name="report_status_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_percent"),
            # The beat job makes one region report per month and format, however often it runs.
            models.UniqueConstraint(fields=["municipality", "kind", "format", "period"], condition=~Q(period=""),
                                    name="report_one_per_period"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="report_expiry")]

    JOB_TASK = "reports.tasks.report_build"

    def job_task_kwargs(self) -> dict:
        return {"municipality_id": self.municipality_id, "report_id": self.pk}

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_format_display()}) – {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_available(self) -> bool:
        return self.status == self.Status.DONE and bool(self.file) and not self.is_expired

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    def download_name(self) -> str:
        """The file name offered to the browser: ``bericht-arnsberg-2026-05-04.pdf``."""
        stem = {"town": "bericht", "funding": "foerderbericht", "region": "regionalbericht"}[self.kind]
        town = "suedwestfalen" if self.kind == self.Kind.REGION else self.municipality.slug
        grant = f"-{self.grant_id}" if self.kind == self.Kind.FUNDING and self.grant_id else ""
        day = timezone.localtime(self.finished_at or self.created_at)
        return f"{stem}-{town}{grant}-{day:%Y-%m-%d}.{self.format}"


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
