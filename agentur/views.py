"""The pages of the key figures: the Agentur's (all towns side by side, ``/agentur/``) and each town's staff
dashboard (``/<town>/verwaltung/``)."""

from django.shortcuts import render
from django.template.loader import render_to_string

from accounts.decorators import agentur_required, town_permission_required
from accounts.permissions import can_view_funding
from funding import selectors as funding_selectors
from municipalities import selectors as municipality_selectors
from municipalities.models import AccessibilityFeedback
from participation.selectors import moderation as moderation_selectors
from projects.constants import STALE_AFTER_DAYS
from projects.models import Project
from projects.selectors import dashboard as dashboard_selectors

from . import crosstown, figures


@agentur_required
def agentur_overview(request):
    """The Agentur's dashboard: all towns side by side, read-only, one audited read per request."""
    context = crosstown.agentur_dashboard(
        user=request.user,
        path=request.get_full_path(),
        query=request.GET,
        render=lambda figures: render_to_string("agentur/_figures.html", figures),
    )
    context["phases"] = Project.Phase.choices
    return render(request, "agentur/overview.html", context)


@town_permission_required("town.view_staff_area")
def staff_dashboard(request, town_slug: str):
    """A town's staff area: its key figures, projects without a recent update, funding deadlines and what waits
    for moderation, gathered from each domain."""
    municipality = request.municipality
    open_feedback = municipality_selectors.accessibility_feedback_list(
        municipality=municipality, status=AccessibilityFeedback.Status.NEW
    ).count()
    # The key figures as the Agentur dashboard, the region report and the API count them (one query).
    town_figures = figures.town_figures(towns=[municipality])[municipality.pk]
    return render(
        request,
        "agentur/town_dashboard.html",
        {
            "open_feedback": open_feedback,
            "figures": town_figures,
            "status_counts": [
                (status, town_figures.projects[status], town_figures.projects_joint[status])
                for status in town_figures.projects
            ],
            "stale_projects": list(dashboard_selectors.stale_projects(municipality=municipality)[:20]),
            "stale_days": STALE_AFTER_DAYS,
            "deadlines": funding_selectors.town_deadlines()
            if can_view_funding(request.user, municipality)
            else None,
            "moderation_waiting": moderation_selectors.moderation_count(),
        },
    )
