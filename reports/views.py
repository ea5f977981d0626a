"""Report pages: a town's reports under /<town>/verwaltung/berichte/, the region report under /agentur/berichte/.

The list asks for a report and shows each one's status; while a report is queued or running, its status box
asks the server again every two seconds (htmx) and stops once it is done or failed. Files are only sent to
people who may see the data in them (404 otherwise), never cached, and answered with 410 once expired.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.decorators import agentur_required, town_permission_required
from accounts.permissions import can_view_funding
from smartcity5.jobs import job_download
from smartcity5.ratelimit import RateLimited, check_rate

from . import selectors, services
from .forms import RegionReportForm, ReportRequestForm
from .models import ReportRequest


def _visible_kinds(request) -> tuple[str, ...]:
    return selectors.visible_report_kinds(user=request.user, municipality=request.municipality)


def _town_report_or_404(request, pk: int) -> ReportRequest:
    report = (
        selectors.town_reports(municipality=request.municipality, kinds=_visible_kinds(request))
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404
    return report


def _send(request, report: ReportRequest):
    def expired():
        response = render(request, "reports/expired.html", {"report": report}, status=410)
        response["Cache-Control"] = "private, no-store"
        return response

    return job_download(report, expired=expired)


def _list_page(request, template: str, context: dict, limited: RateLimited | None):
    """A report list; after a refused request (rate limit) with 429, Retry-After and the form as it was sent."""
    response = render(request, template, context, status=429 if limited else 200)
    if limited:
        response["Retry-After"] = str(limited.retry_after)
    return response


@town_permission_required("town.view_staff_area")
def report_list(request, town_slug: str):
    funding = can_view_funding(request.user, request.municipality)
    initial = {}
    if request.method == "GET":
        if request.GET.get("kind") in _visible_kinds(request):
            initial["kind"] = request.GET["kind"]
        if funding and request.GET.get("grant", "").isdigit():
            initial["grant"] = request.GET["grant"]
    form = ReportRequestForm(request.POST or None, funding=funding, initial=initial)
    limited = None
    if request.method == "POST" and form.is_valid():
        try:
            check_rate(request, "report_request")
            _report, created = services.report_request(
                municipality=request.municipality,
                kind=form.cleaned_data["kind"],
                format=form.cleaned_data["format"],
                grant=form.cleaned_data.get("grant"),
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        except RateLimited as error:
            form.add_error(None, str(error))
            limited = error
        else:
            if created:
                messages.success(
                    request,
                    _(
                        "The report is being generated. This page shows when it is ready; we "
                        "will also tell you by notification."
                    ),
                )
            else:
                messages.info(request, _("This report is already being generated."))
            return redirect("reports:list", town_slug=request.municipality.slug)
    return _list_page(
        request,
        "reports/list.html",
        {
            "form": form,
            "reports": list(
                selectors.town_reports(municipality=request.municipality, kinds=_visible_kinds(request))[:50]
            ),
            "lifetime_days": services.report_lifetime().days,
        },
        limited,
    )


@require_GET
@town_permission_required("town.view_staff_area")
def report_status(request, town_slug: str, pk: int):
    """The status box of one report (htmx polls it while the report is queued or running)."""
    response = render(request, "reports/_report.html", {"report": _town_report_or_404(request, pk)})
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@town_permission_required("town.view_staff_area")
def report_download(request, town_slug: str, pk: int):
    return _send(request, _town_report_or_404(request, pk))


# --- Region report (Agentur) ---------------------------------------------------------------------------------


def _region_report_or_404(request, pk: int) -> ReportRequest:
    try:
        return selectors.region_report_get(user=request.user, path=request.get_full_path(), pk=pk)
    except ReportRequest.DoesNotExist:
        raise Http404 from None


@agentur_required
def region_report_list(request):
    form = RegionReportForm(request.POST or None)
    limited = None
    if request.method == "POST" and form.is_valid():
        town = selectors.report_lead_town()
        if town is None:
            raise Http404
        try:
            check_rate(request, "report_request")
        except RateLimited as error:
            form.add_error(None, str(error))
            limited = error
        else:
            _report, created = services.region_report_request(
                lead_town=town, format=form.cleaned_data["format"], by=request.user
            )
            if created:
                messages.success(
                    request, _("The region report is being generated. This page shows when it is ready.")
                )
            else:
                messages.info(request, _("This report is already being generated."))
            return redirect("agentur-reports:list")
    return _list_page(
        request,
        "reports/agentur_list.html",
        {
            "form": form,
            "reports": selectors.region_reports(user=request.user, path=request.get_full_path()),
            "lifetime_days": services.report_lifetime().days,
        },
        limited,
    )


@require_GET
@agentur_required
def region_report_status(request, pk: int):
    """The status box of a region report: the row's status only (no town data), so read in the lead town's scope
    without an audit entry for every poll."""
    town = selectors.report_lead_town()
    report = (
        ReportRequest.objects.with_scope(municipality=town.pk)
        .filter(kind=ReportRequest.Kind.REGION, pk=pk)
        .select_related("municipality")
        .first()
        if town
        else None
    )
    if report is None:
        raise Http404
    response = render(request, "reports/_report.html", {"report": report})
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@agentur_required
def region_report_download(request, pk: int):
    return _send(request, _region_report_or_404(request, pk))
