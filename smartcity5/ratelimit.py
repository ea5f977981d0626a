"""Rate limits for what people post (ideas, comments, supports, reports), per user and per IP address.

Fixed windows counted in the cache (Redis in production: ``add`` + ``incr`` are atomic there, so parallel
requests cannot slip through together). Limits are settings (``RATE_LIMITS``), e.g.
``{"idea": [(5, 3600, "user"), (20, 3600, "ip")]}``: five ideas per hour per person, twenty per address.
The IP address comes from :func:`smartcity5.clientip.client_ip` (``TRUSTED_PROXY_COUNT`` behind a proxy). While
Redis is unreachable the cache backend (smartcity5.cache) counts in each process's memory instead.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.forms.utils import ErrorDict
from django.utils.translation import gettext as _

from smartcity5.clientip import client_ip


class RateLimited(Exception):
    """Raised when a limit is reached; ``str()`` is a message for people, ``retry_after`` seconds to wait."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def _ident(request, per: str) -> str | None:
    if per == "user":
        return f"u{request.user.pk}" if request.user.is_authenticated else None
    ip = client_ip(request)
    return "ip" + hashlib.sha256(ip.encode()).hexdigest()[:24]  # no plain addresses in the cache


def check_rate(request, action: str) -> None:
    """Count one ``action`` for the request's user and IP address; raise :class:`RateLimited` once a limit
    is passed. Call it just before the write, after the form is valid."""
    now = int(time.time())
    for amount, seconds, per in settings.RATE_LIMITS.get(action, ()):
        ident = _ident(request, per)
        if ident is None:
            continue
        window = now // seconds
        key = f"rl:{action}:{per}:{ident}:{seconds}:{window}"
        cache.add(key, 0, timeout=seconds + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=seconds + 5)
            count = 1
        if count > amount:
            wait = (window + 1) * seconds - now
            minutes = max(1, round(wait / 60))
            raise RateLimited(
                _("You have done this very often in a short time. Please try again in %(minutes)s minutes.")
                % {"minutes": minutes},
                retry_after=wait,
            )


def check_upload_rate(request) -> None:
    """Count one ``upload`` when the request carries a file, before the file is examined: a refused file costs
    as much to examine as an accepted one, so every attempt counts. Raises :class:`RateLimited`."""
    if request.FILES:
        check_rate(request, "upload")


def upload_refused(request, form) -> RateLimited | None:
    """For pages with an upload form: count the attempt (:func:`check_upload_rate`) before ``form`` is validated.
    Over the limit, the form is shown as it was sent, not validated (that is what the limit spares), with the
    message on top; the caller answers with :func:`too_many` (429)."""
    if request.method != "POST":
        return None
    try:
        check_upload_rate(request)
    except RateLimited as error:
        form._errors = ErrorDict(renderer=form.renderer)  # "validated" without running a single check
        form.cleaned_data = {}
        form.add_error(None, str(error))
        return error
    return None


def too_many(response, error: RateLimited):
    """``response`` as the answer to a request over a limit: 429 with Retry-After."""
    response.status_code = 429
    response["Retry-After"] = str(error.retry_after)
    return response
