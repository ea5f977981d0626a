"""Reports (Berichte): a town, funding or region report requested by staff or by beat, built by a task as PDF
or XLSX and kept in the default storage until it expires."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TownOwnedModel
from smartcity5.constraints import CheckConstraint
from smartcity5.jobs import GeneratedFile, generated_file_path

#: The build's time limits (``tasks.report_build``); the failure reason names the soft one.
SOFT_TIME_LIMIT = 300
TIME_LIMIT = 360


def _report_path(instance, filename: str) -> str:
    """Named by migration 0001; the one rule is :func:`smartcity5.jobs.generated_file_path`."""
    return generated_file_path(instance, filename)


class ReportRequest(TownOwnedModel, GeneratedFile):
    """One report, from the request to its file. ``municipality`` is the town whose data it shows; a region
    report (all towns) belongs to the lead town but is only read by Agentur moderators through an audited
    cross-town scope (``reports.selectors.region_reports``), never on the lead town's own pages.

    Status, progress, file and expiry are those of every generated file (:class:`smartcity5.jobs.GeneratedFile`);
    the row stays after its file expired, as the record of who asked for what."""

    class Kind(models.TextChoices):
        TOWN = "town", _("Town report")
        FUNDING = "funding", _("Funding report")
        REGION = "region", _("Region report")

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", _("Spreadsheet (XLSX)")

    TOWN_KINDS = (Kind.TOWN, Kind.FUNDING)

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices, default=Format.PDF)
    grant = models.ForeignKey(
        "funding.Grant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("grant"),
        help_text=_("Funding reports only."),
    )
    period = models.CharField(
        _("period"),
        max_length=7,
        blank=True,
        help_text=_("The month of a scheduled region report (YYYY-MM)."),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )

    class Meta(GeneratedFile.Meta):
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            *GeneratedFile.Meta.constraints,
            CheckConstraint(condition=Q(kind__in=["town", "funding", "region"]), name="report_kind_valid"),
            CheckConstraint(condition=Q(format__in=["pdf", "xlsx"]), name="report_format_valid"),
            # The beat job makes one region report per month and format, however often it runs.
            models.UniqueConstraint(
                fields=["municipality", "kind", "format", "period"],
                condition=~Q(period=""),
                name="report_one_per_period",
            ),
        ]

    JOB_TASK = "reports.tasks.report_build"
    JOB_ID_KWARG = "report_id"
    FILE_FOLDER = "reports"
    KEEP_ROWS = True

    def job_task_kwargs(self) -> dict:
        return {"municipality_id": self.municipality_id, "report_id": self.pk}

    @classmethod
    def lifetime(cls) -> datetime.timedelta:
        return datetime.timedelta(days=settings.REPORT_LIFETIME_DAYS)

    @classmethod
    def time_limit_reason(cls) -> str:
        return gettext(
            "Generating the report took longer than %(minutes)d minutes and was stopped. Please try "
            "again later or ask for a smaller report."
        ) % {"minutes": SOFT_TIME_LIMIT // 60}

    @property
    def file_format(self) -> str:
        return self.format

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_format_display()}) – {self.created_at:%Y-%m-%d %H:%M}"

    def download_name(self) -> str:
        """The file name offered to the browser: ``bericht-arnsberg-2026-05-04.pdf``."""
        stem = {"town": "bericht", "funding": "foerderbericht", "region": "regionalbericht"}[self.kind]
        town = "suedwestfalen" if self.kind == self.Kind.REGION else self.municipality.slug
        grant = f"-{self.grant_id}" if self.kind == self.Kind.FUNDING and self.grant_id else ""
        day = timezone.localtime(self.finished_at or self.created_at)
        return f"{stem}-{town}{grant}-{day:%Y-%m-%d}.{self.format}"
