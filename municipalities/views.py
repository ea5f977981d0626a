"""Public pages of the region and of each town, the legal pages and the accessibility feedback."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import public, town_permission_required
from smartcity5.page_cache import anonymous_page_cache

from . import freshness, selectors, services
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


@public
@anonymous_page_cache(freshness.town_page_version, shared_content=True)
def town_home(request, town_slug: str):
    return render(
        request,
        "municipalities/town_home.html",
        {
            # Lazy: not read at all when the content comes from the cache (signed-in visitors, shared_content).
            # The running processes it points to come from participation's tag ({% running_processes_section %}),
            # read only when the page is rendered: the tenancy app imports no domain.
            "consortium": SimpleLazyObject(
                lambda: selectors.town_consortium(municipality=request.municipality)
            ),
        },
    )


@public
def town_legal(request, town_slug: str, page: str):
    return render(
        request, f"municipalities/legal_{page}.html", {"page": page, "legal_town": request.municipality}
    )


@public
def town_accessibility(request, town_slug: str):
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
            return redirect("municipalities:accessibility", town_slug=municipality.slug)
    else:
        form = AccessibilityFeedbackForm(initial={"page_url": request.GET.get("seite", "")[:500]})
    return render(
        request,
        "municipalities/legal_accessibility.html",
        {"page": "accessibility", "form": form, "legal_town": municipality},
    )


@town_permission_required("town.view_staff_area")
def staff_feedback_list(request, town_slug: str):
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
def staff_feedback_mark_handled(request, town_slug: str, pk: int):
    try:
        feedback = selectors.accessibility_feedback_get(municipality=request.municipality, pk=pk)
    except AccessibilityFeedback.DoesNotExist:
        raise Http404 from None
    services.accessibility_feedback_mark_handled(feedback=feedback, by=request.user)
    messages.success(request, _("The report is marked as handled."))
    return redirect("municipalities:staff-feedback", town_slug=request.municipality.slug)
