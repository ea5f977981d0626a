"""Pages of the progress review.

Town staff: /<town>/verwaltung/fortschrittsberichte/… — the town's reports (viewers read; editors generate the
draft, write the texts and submit). Agentur: /agentur/fortschrittsberichte/… — moderators see what the towns
submitted, comment, accept or return; every page is one audited cross-town read.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import permissions
from accounts.decorators import agentur_required, town_permission_required
from projects.models import FieldOfAction
from smartcity5.forms import add_errors

from . import selectors, services
from .forms import CommentForm, DecisionForm, QuarterForm, ReplyForm, SectionsForm
from .models import ProgressReport


def _report_or_404(year: int, quarter: int) -> ProgressReport:
    try:
        return selectors.report_get(year=year, quarter=quarter)
    except ProgressReport.DoesNotExist:
        raise Http404 from None


def _detail_url(report: ProgressReport) -> str:
    return reverse(
        "reviews:detail",
        kwargs={"town_slug": report.municipality.slug, "year": report.year, "quarter": report.quarter},
    )


def _review_url(report: ProgressReport) -> str:
    return reverse(
        "agentur-reviews:detail",
        kwargs={"slug": report.municipality.slug, "year": report.year, "quarter": report.quarter},
    )


def _messages_from(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


# --- Town staff ------------------------------------------------------------------------------------------


@town_permission_required("reviews.view")
def report_list(request, town_slug: str):
    year, quarter = services.default_quarter()
    form = QuarterForm(request.POST or None, initial={"year": year, "quarter": quarter})
    if request.method == "POST":
        # Refused before the form is read, as report_create would refuse it (403).
        permissions.require(permissions.can_prepare_progress_report(request.user, request.municipality))
        if form.is_valid():
            try:
                report = services.report_create(
                    municipality=request.municipality,
                    by=request.user,
                    year=form.cleaned_data["year"],
                    quarter=form.cleaned_data["quarter"],
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The draft has been generated from the town's data. Add your texts, then submit it."),
                )
                return redirect(_detail_url(report))
    return render(
        request,
        "reviews/report_list.html",
        {"reports": selectors.report_list(), "form": form},
    )


def _detail_page(request, report: ProgressReport, *, reply_form: ReplyForm | None = None, status: int = 200):
    """The report's page; the answer form only for those who may prepare the report (the rule ``report_reply``
    asks), while the report waits for the town's answer."""
    return render(
        request,
        "reviews/report_detail.html",
        {
            "report": report,
            **selectors.report_page(report=report),
            # A refused answer is shown with its reason even when the report has moved on meanwhile.
            "reply_form": reply_form
            if reply_form is not None
            else ReplyForm()
            if report.status in services.REPLY_STATUSES
            and permissions.can_prepare_progress_report(request.user, request.municipality)
            else None,
        },
        status=status,
    )


@town_permission_required("reviews.view")
def report_detail(request, town_slug: str, year: int, quarter: int):
    return _detail_page(request, _report_or_404(year, quarter))


@require_POST
@town_permission_required("reviews.prepare")
def report_reply(request, town_slug: str, year: int, quarter: int):
    """The town answers the Agentur's comments or remarks; a refused answer comes back with the text as typed."""
    report = _report_or_404(year, quarter)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.report_reply(report=report, by=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Your answer has been sent to the Südwestfalen Agentur."))
            return redirect(_detail_url(report) + "#review-comments")
    return _detail_page(request, report, reply_form=form, status=400)


@town_permission_required("reviews.prepare")
def report_texts(request, town_slug: str, year: int, quarter: int):
    report = _report_or_404(year, quarter)
    if not report.is_editable:
        messages.info(request, _("The report can only be changed while it is a draft."))
        return redirect(_detail_url(report))
    form = SectionsForm(
        request.POST or None,
        fields_of_action=FieldOfAction.objects.order_by("position", "name"),
        texts=selectors.section_texts(report=report),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.report_sections_save(report=report, by=request.user, texts=form.texts())
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Your texts have been saved."))
            return redirect(_detail_url(report))
    return render(request, "reviews/report_texts.html", {"report": report, "form": form})


def _act(request, year: int, quarter: int, service, done: str):
    report = _report_or_404(year, quarter)
    try:
        service(report=report, by=request.user)
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, done)
    return redirect(_detail_url(report))


@require_POST
@town_permission_required("reviews.prepare")
def report_refresh(request, town_slug: str, year: int, quarter: int):
    return _act(
        request,
        year,
        quarter,
        services.report_refresh,
        _("The figures have been taken again from the town's data."),
    )


@require_POST
@town_permission_required("reviews.prepare")
def report_submit(request, town_slug: str, year: int, quarter: int):
    return _act(
        request,
        year,
        quarter,
        services.report_submit,
        _("The report has been submitted to the Südwestfalen Agentur."),
    )


@require_POST
@town_permission_required("reviews.prepare")
def report_reopen(request, town_slug: str, year: int, quarter: int):
    return _act(
        request,
        year,
        quarter,
        services.report_reopen,
        _("The report is a draft again: change it, then submit it anew."),
    )


# --- Agentur ---------------------------------------------------------------------------------------------


@agentur_required
def review_list(request):
    status = request.GET.get("status", "submitted")
    if status not in selectors.REVIEW_FILTERS:
        status = "submitted"
    reports = selectors.review_queue(user=request.user, path=request.get_full_path(), status=status)
    return render(
        request,
        "reviews/review_list.html",
        {
            "reports": reports,
            "status": status,
            "filters": [
                ("submitted", _("Waiting for review")),
                ("returned", _("Returned")),
                ("accepted", _("Accepted")),
                ("all", _("All")),
            ],
        },
    )


def _review_page(request, slug: str, year: int, quarter: int, *, action=None, purpose: str):
    """Open one town's report in an audited scope, run ``action`` (a POST) inside it, and render or redirect."""
    try:
        with selectors.review_scope(
            user=request.user, path=request.get_full_path(), town_slug=slug, purpose=purpose
        ) as town:
            try:
                report = selectors.review_get(municipality=town, year=year, quarter=quarter)
            except ProgressReport.DoesNotExist:
                raise Http404 from None
            comment_form, decision_form = CommentForm(), DecisionForm()
            if action is not None:
                done, comment_form, decision_form = action(report, comment_form, decision_form)
                if done:
                    return redirect(_review_url(report))
            return render(
                request,
                "reviews/review_detail.html",
                {
                    "report": report,
                    "municipality_shown": town,
                    **selectors.report_page(report=report),
                    "comment_form": comment_form,
                    "decision_form": decision_form,
                },
            )
    except ProgressReport.DoesNotExist:
        raise Http404 from None


@agentur_required
def review_detail(request, slug: str, year: int, quarter: int):
    return _review_page(request, slug, year, quarter, purpose="agentur:progress-report")


@require_POST
@agentur_required
def review_comment(request, slug: str, year: int, quarter: int):
    def action(report, comment_form, decision_form):
        comment_form = CommentForm(request.POST)
        if comment_form.is_valid():
            try:
                services.review_comment_add(
                    report=report, by=request.user, body=comment_form.cleaned_data["body"]
                )
            except ValidationError as error:
                add_errors(comment_form, error)
            else:
                messages.success(request, _("Your comment has been added."))
                return True, comment_form, decision_form
        return False, comment_form, decision_form

    return _review_page(
        request, slug, year, quarter, action=action, purpose="agentur:progress-report-comment"
    )


@require_POST
@agentur_required
def review_decide(request, slug: str, year: int, quarter: int):
    def action(report, comment_form, decision_form):
        decision_form = DecisionForm(request.POST)
        if decision_form.is_valid():
            try:
                services.review_decide(
                    report=report,
                    by=request.user,
                    decision=decision_form.cleaned_data["decision"],
                    remarks=decision_form.cleaned_data["remarks"],
                )
            except ValidationError as error:
                add_errors(decision_form, error)
            else:
                messages.success(request, _("Your decision has been recorded; the town has been told."))
                return True, comment_form, decision_form
        return False, comment_form, decision_form

    return _review_page(
        request, slug, year, quarter, action=action, purpose="agentur:progress-report-decision"
    )
