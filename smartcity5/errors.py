"""The 500 handler: a database that cannot be reached answers 503 (a plain page, or JSON under /api/).

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
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as django_server_error

RETRY_AFTER_SECONDS = 30


def database_unavailable() -> bool:
    """True while handling an error that says the database cannot be reached (or the connection broke)."""
    error = sys.exc_info()[1]
    return isinstance(error, (OperationalError, InterfaceError))


@requires_csrf_token
def server_error(request, template_name="500.html"):
    if not database_unavailable():
        return django_server_error(request, template_name)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": _("The service is briefly unavailable. Please try again in a "
                                             "few minutes.")}, status=503)
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
