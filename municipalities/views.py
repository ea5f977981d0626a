"""Public pages of the region and of each town, the town staff dashboard, and the Agentur overview."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import agentur_required, public, town_permission_required
from accounts.permissions import can_view_funding
from smartcity5 import fragments
from smartcity5.page_cache import anonymous_page_cache

from . import crosstown, figures, freshness, selectors, services
from .forms import AccessibilityFeedbackForm
from .models import AccessibilityFeedback


def _region_context() -> dict:
    consortium = selectors.consortium_get()
    lead = selectors.lead_town() if consortium is not None else None
    # Region-wide legal pages are answered for by the lead town.
    return {"consortium": consortium, "lead": lead, "legal_town": lead}


@public
@anonymous_page_cache(freshness.region_page_version)
def region_home(request):
    return render(request, "municipalities/region_home.html", _region_context())


@public
def region_legal(request, page: str):
    context = _region_context()
    context["page"] = page
    return render(request, f"municipalities/legal_{page}.html", context)


def _running_processes_html(request) -> str:
    """The town home's running processes, kept per worker (smartcity5.fragments) under the version the anonymous
    page cache keys the town page on (the town's ``content_version``, which also moves with a change of any town,
    field of action or the consortium, and its processes' ``scope_freshness``: every idea, comment, support, answer
    and process edit) and the day (a phase begins or ends at midnight). The town page built for each visitor read
    and rendered them every time: 40 % of its CPU on the demo (bench/README.md, "The demo's town page")."""
    from participation import selectors as participation_selectors  # the home page points to what is running

    town = request.municipality
    key = (
        "town_home.running_processes",
        connection.alias,
        town.pk,
        town.content_version,
        participation_selectors.scope_freshness().version,
        timezone.localdate().isoformat(),
    )
    return fragments.kept(
        key,
        lambda: render_to_string(
            "municipalities/_running_processes.html",
            {"running_processes": participation_selectors.running_processes()},
        ),
    )


@public
@anonymous_page_cache(freshness.town_page_version, shared_content=True)
def town_home(request, town: str):
    return render(
        request,
        "municipalities/town_home.html",
        {
            # Lazy: not read at all when the content comes from the cache (signed-in visitors, shared_content).
            "consortium": SimpleLazyObject(lambda: selectors.town_consortium(town=request.municipality)),
            "running_processes": lambda: _running_processes_html(request),
        },
    )


@public
def town_legal(request, town: str, page: str):
    return render(
        request, f"municipalities/legal_{page}.html", {"page": page, "legal_town": request.municipality}
    )


@public
def town_accessibility(request, town: str):
    """The accessibility statement with its feedback form (both required by BITV NRW)."""
    municipality = request.municipality
    if request.method == "POST":
        form = AccessibilityFeedbackForm(request.POST)
        if form.is_valid():
            services.accessibility_feedback_submit(
                municipality=municipality,
                message=form.cleaned_data["message"],
                page_url=form.cleaned_data["page_url"],
                email=form.cleaned_data["email"],
            )
            messages.success(
                request,
                _("Thank you. Your report has been sent to the town of %(town)s.")
                % {"town": municipality.name},
            )
            return redirect("municipalities:accessibility", town=municipality.slug)
    else:
        form = AccessibilityFeedbackForm(initial={"page_url": request.GET.get("seite", "")[:500]})
    return render(
        request,
        "municipalities/legal_accessibility.html",
        {"page": "accessibility", "form": form, "legal_town": municipality},
    )


@town_permission_required("town.view_staff_area")
def staff_dashboard(request, town: str):
    municipality = request.municipality
    from funding import selectors as funding_selectors  # the dashboard gathers figures from each app
    from participation import selectors as participation_selectors
    from projects import selectors as project_selectors
    from projects.constants import STALE_AFTER_DAYS

    open_feedback = selectors.accessibility_feedback_list(
        municipality=municipality, status=AccessibilityFeedback.Status.NEW
    ).count()
    # The key figures as the Agentur dashboard, the region report and the API count them (one query).
    town_figures = figures.town_figures(towns=[municipality])[municipality.pk]
    return render(
        request,
        "municipalities/staff/dashboard.html",
        {
            "open_feedback": open_feedback,
            "figures": town_figures,
            "status_counts": [
                (status, town_figures.projects[status], town_figures.projects_joint[status])
                for status in town_figures.projects
            ],
            "stale_projects": list(project_selectors.stale_projects(municipality=municipality)[:20]),
            "stale_days": STALE_AFTER_DAYS,
            "deadlines": funding_selectors.town_deadlines()
            if can_view_funding(request.user, municipality)
            else None,
            "moderation_waiting": participation_selectors.moderation_count(),
        },
    )


@town_permission_required("town.view_staff_area")
def staff_feedback_list(request, town: str):
    status = request.GET.get("status") or None
    if status not in (None, *AccessibilityFeedback.Status.values):
        status = None
    feedback = selectors.accessibility_feedback_list(municipality=request.municipality, status=status)
    page = Paginator(feedback, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "municipalities/staff/feedback_list.html",
        {
            "page_obj": page,
            "status": status,
            "statuses": AccessibilityFeedback.Status.choices,
        },
    )


@require_POST
@town_permission_required("town.edit_content")
def staff_feedback_mark_handled(request, town: str, pk: int):
    try:
        feedback = selectors.accessibility_feedback_get(municipality=request.municipality, pk=pk)
    except AccessibilityFeedback.DoesNotExist:
        raise Http404 from None
    services.accessibility_feedback_mark_handled(feedback=feedback, by=request.user)
    messages.success(request, _("The report is marked as handled."))
    return redirect("municipalities:staff-feedback", town=request.municipality.slug)


@agentur_required
def agentur_overview(request):
    """The Agentur's dashboard: all towns side by side, read-only, one audited read per request."""
    from projects.models import Project

    context = crosstown.agentur_dashboard(
        user=request.user,
        path=request.get_full_path(),
        query=request.GET,
        render=lambda figures: render_to_string("municipalities/agentur/_figures.html", figures),
    )
    context["phases"] = Project.Phase.choices
    return render(request, "municipalities/agentur/overview.html", context)
