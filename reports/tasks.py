"""Tasks of the reports app: generate a report (PDF or XLSX), the monthly region report (beat) and the purge of
expired files (beat)."""

import datetime
import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.selectors import agentur_moderators
from municipalities.models import Municipality
from municipalities.scoping import cross_town_scope
from municipalities.tasks import RETRY_TRANSIENT, TRANSIENT_ERRORS, TownTask
from smartcity5.jobs import heartbeat, job_begin, job_release

from . import services
from .models import ReportRequest

logger = logging.getLogger(__name__)

SOFT_TIME_LIMIT = 300
TIME_LIMIT = 360


class ReportError(Exception):
    """The report cannot be made from the data as it is (the message says why, for the person who asked)."""


def failure_reason(exc: BaseException) -> str:
    """What the page says about a report that failed, in the portal's language."""
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(exc, ReportError):
            return str(exc)
        if isinstance(exc, SoftTimeLimitExceeded | TimeLimitExceeded):
            return _("Generating the report took longer than %(minutes)d minutes and was stopped. Please try again "
                     "later or ask for a smaller report.") % {"minutes": SOFT_TIME_LIMIT // 60}
        if isinstance(exc, TRANSIENT_ERRORS):
            return _("A service the portal needs (database, file storage or mail) could not be reached, even after "
                     "several attempts. Please try again later.")
        return _("An unexpected error occurred (%(error)s). The administrators can find the details in the log.") % {
            "error": type(exc).__name__}


class ReportTask(TownTask):
    """A town task that marks its report failed, with the reason, once it gives up (an error that is not retried,
    retries used up, the time limit), so the page stops waiting and says why."""

    abstract = True

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        services.report_mark_failed(report_id=kwargs.get("report_id"), reason=failure_reason(exc))
        logger.error("Report %s failed: %r", kwargs.get("report_id"), exc)


def _build(report: ReportRequest, municipality: Municipality, progress) -> bytes:
    """The file's content; raises :class:`ReportError` when the data does not allow the report."""
    from . import pdf, selectors, xlsx

    pdf_format = report.format == ReportRequest.Format.PDF
    if report.kind == ReportRequest.Kind.TOWN:
        data = selectors.town_report_data(municipality=municipality)
        progress(40)
        return (pdf.town_report_pdf if pdf_format else xlsx.town_report_xlsx)(data, progress=progress)
    if report.kind == ReportRequest.Kind.FUNDING:
        from funding.models import Grant

        grant = Grant.objects.filter(pk=report.grant_id).first() if report.grant_id else None
        if grant is None:
            raise ReportError(_("The grant of this funding report no longer exists (or belongs to another town)."))
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
        with cross_town_scope(purpose="job:region-report", user=report.requested_by, path=f"report:{report.pk}",
                              municipalities=towns):
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
        title = (_("Region report for %(period)s is ready") % {"period": report.period} if report.period
                 else _("The region report is ready"))
    else:
        url = reverse("reports:list", kwargs={"town": report.municipality.slug})
        title = _("%(kind)s for %(town)s is ready") % {"kind": report.get_kind_display(),
                                                        "town": report.municipality.name}
    notify(municipality=report.municipality, recipients=recipients, kind="report.ready",
           key=f"report:{report.pk}:ready", title=title, url=url,
           body=_("You can download it until %(date)s.") % {
               "date": timezone.localtime(report.expires_at).strftime("%d.%m.%Y")})


@shared_task(base=ReportTask, bind=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=15,
             retry_backoff_max=300, max_retries=4, soft_time_limit=SOFT_TIME_LIMIT, time_limit=TIME_LIMIT)
def report_build(self, *, municipality: Municipality, report_id: int) -> bool:
    """Generate a report, store it under a random name and tell who asked.

    Idempotent: the row is locked and marked running, then locked again and marked done in the same transaction
    in which its file is attached and the notification created; a report already done or failed is skipped, so a
    second delivery of the message (or a retry, or the stuck-job sweep's hand-over) stores and tells nothing
    twice. Progress and a heartbeat are written as it goes (``smartcity5.jobs``).
    """
    with transaction.atomic():
        report = ReportRequest.objects.select_for_update().filter(pk=report_id).first()
        if report is None or not job_begin(report):
            return False
        report.progress, report.error = 5, ""
        report.started_at = report.started_at or timezone.now()
        report.save(update_fields=["status", "attempts", "heartbeat_at", "progress", "error", "started_at"])

    def progress(percent: int) -> None:
        services.report_progress(report_id=report_id, percent=percent)

    try:
        with heartbeat(ReportRequest, report_id):
            content = _build(report, municipality, progress)
        progress(90)
    except ReportError as exc:
        services.report_mark_failed(report_id=report_id, reason=str(exc))
        return False
    except TRANSIENT_ERRORS:
        job_release(ReportRequest, report_id)
        raise  # retried with backoff; once the retries are used up, on_failure says why
    except Exception as exc:
        # Marked here as well as in on_failure: tasks run inline (make run, eager) skip on_failure.
        services.report_mark_failed(report_id=report_id, reason=failure_reason(exc))
        raise
    stored = None
    try:
        with transaction.atomic():
            report = (ReportRequest.objects.select_for_update(of=("self",))
                      .select_related("municipality", "requested_by").filter(pk=report_id).first())
            if report is None or report.status != ReportRequest.Status.RUNNING:
                return False  # a second delivery finished first
            stored = default_storage.save(report.file.field.generate_filename(report, f"report.{report.format}"),
                                          ContentFile(content))
            report.file.name = stored
            report.size = len(content)
            report.status, report.progress = ReportRequest.Status.DONE, 100
            report.finished_at = timezone.now()
            report.expires_at = report.finished_at + services.report_lifetime()
            report.save(update_fields=["file", "size", "status", "progress", "finished_at", "expires_at"])
            _notify_ready(report)
    except BaseException:
        if stored is not None:
            default_storage.delete(stored)  # the row does not point at it: nobody could ever delete it
        raise
    return True


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=60, max_retries=5, soft_time_limit=60,
             time_limit=90)
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
        report, _created = services.region_report_request(lead_town=town, format=ReportRequest.Format.PDF,
                                                          period=period)
    return report.pk


@shared_task(soft_time_limit=300, time_limit=360, **RETRY_TRANSIENT)
def reports_purge() -> int:
    """Platform job (beat, hourly): delete the files of expired reports; the rows stay as the record of who asked
    for what (the page says "expired"). Returns how many files it deleted."""
    with cross_town_scope(purpose="job:reports-purge"):
        expired = list(ReportRequest.objects.filter(expires_at__lt=timezone.now()).exclude(file="")
                       .values_list("pk", "file"))
        for pk, name in expired:
            with transaction.atomic():
                ReportRequest.objects.filter(pk=pk).update(file="", size=0)
                transaction.on_commit(lambda name=name: default_storage.delete(name))
    return len(expired)
