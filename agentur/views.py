"""The Agentur's pages: all towns side by side (``/agentur/``)."""

from django.shortcuts import render
from django.template.loader import render_to_string

from accounts.decorators import agentur_required
from projects.models import Project

from . import crosstown


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
