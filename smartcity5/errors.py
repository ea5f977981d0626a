"""The 403 handler: says which role is needed, who grants it, and links back.

The 500 handler: a database that cannot be reached answers 503 (a plain page, or JSON under /api/).

Django calls the handler inside its ``except`` block, whether the error came from a view or from a middleware
(the session, the town), so ``sys.exc_info()`` tells what went wrong. The page is a template without
``base.html`` and without a request context: rendering it needs neither the database nor a context processor.
With ``CONN_HEALTH_CHECKS`` the next request after the outage opens a new connection, so the portal recovers
by itself.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as django_server_error

RETRY_AFTER_SECONDS = 30


def _back_link(request, municipality) -> tuple[str, str]:
    """Where "back" leads, and its words: the page the person came from (on this site, not the refused page
    itself), else the town's staff area, else the region overview."""
    referer = request.META.get("HTTP_REFERER", "")
    if (
        referer
        and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and not referer.endswith(request.get_full_path())
    ):
        return referer, _("Back to the previous page")
    if municipality is not None:
        return (
            reverse("agentur:staff-dashboard", kwargs={"town_slug": municipality.slug}),
            _("To the staff area of %(town)s") % {"town": municipality.name},
        )
    return reverse("region-home"), _("To the region overview")


@requires_csrf_token
def permission_denied(request, exception=None, template_name="403.html"):
    """Render ``403.html`` with what the exception carries: the message, and for ``RoleRequired`` the role
    that would allow the action and the town whose administrators grant it (under "Team")."""
    from accounts import permissions

    municipality = getattr(exception, "municipality", None) or getattr(request, "municipality", None)
    role = getattr(exception, "role", None)
    membership = permissions.membership_for(request.user, municipality) if municipality is not None else None
    back_url, back_label = _back_link(request, municipality if membership is not None else None)
    context = {
        "exception": str(exception) if exception is not None else "",
        "needed_role": role.label if role is not None else "",
        "current_role": membership.get_role_display() if membership is not None else "",
        "granting_town": municipality if membership is not None else None,
        "back_url": back_url,
        "back_label": back_label,
    }
    return HttpResponse(loader.get_template(template_name).render(context, request), status=403)


def database_unavailable() -> bool:
    """True while handling an error that says the database cannot be reached (or the connection broke)."""
    error = sys.exc_info()[1]
    return isinstance(error, (OperationalError, InterfaceError))


@requires_csrf_token
def server_error(request, template_name="500.html"):
    if not database_unavailable():
        return django_server_error(request, template_name)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": _("The service is briefly unavailable. Please try again in a few minutes.")},
            status=503,
        )
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
