"""Tasks of the reports app: generate a report (PDF or XLSX), the monthly region report (beat) and the purge of
expired files (beat)."""

import datetime
import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import agentur_moderators
from municipalities.models import Municipality
from municipalities.scoping import cross_town_scope
from municipalities.tasks import RETRY_TRANSIENT, TRANSIENT_ERRORS, TownTask
from smartcity5.jobs import GeneratedFileTask, JobError, generated_files_purge, job_build

from . import services
from .models import SOFT_TIME_LIMIT, TIME_LIMIT, ReportRequest

logger = logging.getLogger(__name__)


class ReportError(JobError):
    """The report cannot be made from the data as it is (the message says why, for the person who asked)."""


class ReportTask(GeneratedFileTask, TownTask):
    """A town task that marks its report failed, with the reason, once it gives up (an error that is not retried,
    retries used up, the time limit), so the page stops waiting and says why."""

    abstract = True
    job_model = "reports.ReportRequest"


def _build(report: ReportRequest, municipality: Municipality, progress) -> bytes:
    """The file's content; raises :class:`ReportError` when the data does not allow the report."""
    from . import pdf, selectors, xlsx

    pdf_format = report.format == ReportRequest.Format.PDF
    if report.kind == ReportRequest.Kind.TOWN:
        data: Any = selectors.town_report_data(municipality=municipality)  # each kind has its own data
        progress(40)
        return (pdf.town_report_pdf if pdf_format else xlsx.town_report_xlsx)(data, progress=progress)
    if report.kind == ReportRequest.Kind.FUNDING:
        from funding.models import Grant

        grant = Grant.objects.filter(pk=report.grant_id).first() if report.grant_id else None
        if grant is None:
            raise ReportError(
                _("The grant of this funding report no longer exists (or belongs to another town).")
            )
        if not pdf_format:
            progress(40)
            return xlsx.funding_report_xlsx(grant)
        data = selectors.funding_report_data(grant=grant)
        progress(40)
        return pdf.funding_report_pdf(data, municipality=municipality, progress=progress)
    if report.kind == ReportRequest.Kind.REGION:
        towns = list(Municipality.objects.active().order_by("name"))
        if not towns:
            raise ReportError(_("There is no active town to report on."))
        # All towns' internal figures: an audited cross-town read, on behalf of whoever asked (none: beat).
        with cross_town_scope(
            purpose="job:region-report",
            user=report.requested_by,
            path=f"report:{report.pk}",
            municipalities=towns,
        ):
            data = selectors.region_report_data(towns=towns)
            progress(40)
            return (pdf.region_report_pdf if pdf_format else xlsx.region_report_xlsx)(data, progress=progress)
    raise ReportError(_("Unknown kind of report: %(kind)s") % {"kind": report.kind})


def _recipients(report: ReportRequest) -> list:
    if report.kind == ReportRequest.Kind.REGION and report.period:
        return list(agentur_moderators())
    return [report.requested_by] if report.requested_by else []


def _notify_ready(report: ReportRequest) -> None:
    """Tell who asked (the monthly region report: every moderator) in the app, and by e-mail as each chose. The
    e-mail carries a link, not the file: the file holds internal data and stays behind the login and its rights."""
    from notifications.services import notify

    recipients = _recipients(report)
    if not recipients:
        return
    if report.kind == ReportRequest.Kind.REGION:
        url = reverse("agentur-reports:list")
        title = (
            _("Region report for %(period)s is ready") % {"period": report.period}
            if report.period
            else _("The region report is ready")
        )
    else:
        url = reverse("reports:list", kwargs={"town_slug": report.municipality.slug})
        title = _("%(kind)s for %(town)s is ready") % {
            "kind": report.get_kind_display(),
            "town": report.municipality.name,
        }
    notify(
        municipality=report.municipality,
        recipients=recipients,
        kind="report.ready",
        key=f"report:{report.pk}:ready",
        title=title,
        url=url,
        body=_("You can download it until %(date)s.")
        % {"date": timezone.localtime(report.expires_at).strftime("%d.%m.%Y")},
    )


@shared_task(
    base=ReportTask,
    bind=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=settings.JOB_RETRY_BACKOFF,
    retry_backoff_max=300,
    max_retries=4,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
)
def report_build(self, *, municipality: Municipality, report_id: int) -> bool:
    """Generate a report, store it under a random name and tell who asked: the one build of generated files
    (``smartcity5.jobs.job_build``: idempotent under the row lock, progress 5 → 40 → 60–80 → 90 → 100 with a
    heartbeat, stored and told once)."""
    return job_build(
        ReportRequest,
        report_id,
        build=lambda report, progress: _build(report, municipality, progress),
        notify=_notify_ready,
        related=("municipality", "requested_by"),
    )


@shared_task(
    autoretry_for=TRANSIENT_ERRORS, retry_backoff=60, max_retries=5, soft_time_limit=60, time_limit=90
)
def region_report_monthly(*, period: str | None = None) -> int | None:
    """Platform job (beat, 1st of the month): the region report of the month just ended, as PDF, for the Agentur's
    moderators (told when it is ready). One per month, however often the job runs; returns the report's id."""
    from .selectors import report_lead_town

    if period is None:
        period = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    town = report_lead_town()
    if town is None:
        return None
    with transaction.atomic():
        report, _created = services.region_report_request(
            lead_town=town, format=ReportRequest.Format.PDF, period=period
        )
    return report.pk


@shared_task(soft_time_limit=300, time_limit=360, **RETRY_TRANSIENT)
def reports_purge() -> int:
    """Platform job (beat, hourly): delete the files of expired reports; the rows stay as the record of who asked
    for what (the page says "expired"). Returns how many files it deleted."""
    with cross_town_scope(purpose="job:reports-purge"):
        return generated_files_purge(ReportRequest.objects.all())
