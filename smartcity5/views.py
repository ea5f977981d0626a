"""Platform views that belong to no town: the health endpoints."""

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from accounts.decorators import public

from . import health


# Both answer without a session, a town, a rate limit or a transaction (ATOMIC_REQUESTS would open a database
# connection before the view runs, and /healthz must answer while the database is down).
@public
@never_cache
@transaction.non_atomic_requests
def healthz(request):
    """Liveness: the process answers requests. Touches no database, cache or broker."""
    return HttpResponse("ok", content_type="text/plain")


@public
@never_cache
@transaction.non_atomic_requests
def readyz(request):
    """Readiness: every registered check (smartcity5.health) as JSON; 503 when a critical one fails."""
    ready, report = health.readiness()
    return JsonResponse(report, status=200 if ready else 503, json_dumps_params={"indent": 2})
