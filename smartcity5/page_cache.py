"""The anonymous page cache: public pages as anonymous visitors see them, kept in the cache (Redis, falling back to
the process's memory, see smartcity5/cache.py) per town, under a key that holds the town's stored version of what
the page shows (``participation.selectors.processes.scope_freshness``). A write service changes that version in its
transaction, so the next anonymous visitor gets a page built after the change; nothing is deleted.

What is never served from the cache, nor stored in it:

- pages for signed-in people (they always see their own state), htmx partials, anything but GET (HEAD is served);
- a request that brings messages to show (they are shown on a freshly built page and used up there), and a
  response that added messages, set cookies, changed the session, is not a plain 200, or marks itself private;
- a cached page never carries another visitor's CSRF token or CSP nonce: both are replaced by random placeholders
  of that cache entry before storing, and by this visitor's own token (``get_token``, which sets the CSRF cookie
  as an uncached page would) and this request's nonce when serving.

The key holds the town, the language of the request (cookie, header or URL, as ``LocaleMiddleware`` decided), the
town's local date (the current phase of a process changes at midnight), the version, and the full path with its
query. Entries expire after ``PAGE_CACHE_SECONDS`` (0 turns the cache off), which also bounds how long a change
that no version covers (a town's name or colours, a new release's templates) may take to show.
"""

import functools
import hashlib
import re
import secrets

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import _unmask_cipher_token, get_token  # type: ignore[attr-defined]  # private, not in the stubs
from django.utils import timezone
from django.utils.translation import get_language

#: A masked CSRF token as templates print it (``{% csrf_token %}``, ``{{ csrf_token }}``).
_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")
HEADER = "X-Page-Cache"


def seconds() -> int:
    return int(getattr(settings, "PAGE_CACHE_SECONDS", 0) or 0)


def _anonymous_get(request) -> bool:
    if request.method not in ("GET", "HEAD") or seconds() <= 0:
        return False
    if getattr(request, "htmx", False) or request.headers.get("HX-Request"):
        return False
    if request.user.is_authenticated:
        return False
    return len(messages.get_messages(request)) == 0


def _key(request, version: str) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    town = getattr(getattr(request, "municipality", None), "pk", "-")
    return f"page:{town}:{get_language()}:{timezone.localdate().isoformat()}:{version}:{path}"


def _storable(request, response) -> bool:
    if request.method != "GET" or response.status_code != 200 or response.streaming or response.cookies:
        return False
    if getattr(request, "session", None) is not None and request.session.modified:
        return False
    storage = messages.get_messages(request)
    if getattr(storage, "_queued_messages", None):
        return False
    control = response.get("Cache-Control", "")
    return "private" not in control and "no-store" not in control


def _entry(request, response) -> dict | None:
    """The response as it may be shared: this visitor's CSRF token and nonce replaced by placeholders."""
    content = response.content.decode(response.charset or "utf-8")
    csrf_placeholder = f"sc5csrf{secrets.token_hex(16)}"
    secret = request.META.get("CSRF_COOKIE")
    if secret:
        content = _TOKEN.sub(
            lambda m: csrf_placeholder if _unmask_cipher_token(m.group(0)) == secret else m.group(0), content
        )
    nonce_placeholder = ""
    nonce = getattr(request, "csp_nonce", None)
    if nonce is not None and getattr(nonce, "used", False):
        nonce_placeholder = f"sc5nonce{secrets.token_hex(16)}"
        content = content.replace(str(nonce), nonce_placeholder)
    return {
        "content": content,
        "content_type": response["Content-Type"],
        "csrf": csrf_placeholder,
        "nonce": nonce_placeholder,
    }


def _serve(request, entry: dict) -> HttpResponse:
    content = entry["content"]
    if entry["csrf"] in content:
        content = content.replace(entry["csrf"], get_token(request))
    if entry["nonce"]:
        content = content.replace(entry["nonce"], str(request.csp_nonce))
    response = HttpResponse(content, content_type=entry["content_type"])
    response[HEADER] = "hit"
    return response


def _shared_content_get(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and seconds() > 0
        and not (getattr(request, "htmx", False) or request.headers.get("HX-Request"))
    )


def shared_content_key(request) -> str | None:
    """The cache key under which the page's main content (base.html's ``{% shared_content %}``) is kept for
    visitors the page cache does not answer, or None when it is built for this visitor alone."""
    return getattr(request, "_shared_content_key", None)


def anonymous_page_cache(version_of, *, shared_content: bool = False):
    """Serve the view's page to anonymous visitors from the cache (see the module docstring). ``version_of(request)``
    gives the stored version of everything the page shows (one cheap query); ``None`` skips the cache.

    ``shared_content``: the page's main content (``{% block content %}``) shows nothing that depends on the
    visitor, so for everyone else (signed-in people, a visitor with messages) it is kept in the cache under the
    same version and served inside their own page (header with their name, messages, CSRF token): see
    ``smartcity5.templatetags.page_cache``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not _anonymous_get(request):
                if not (shared_content and _shared_content_get(request)):
                    return view(request, *args, **kwargs)
                version = version_of(request)
                if version is None:
                    return view(request, *args, **kwargs)
                key = request._shared_content_key = f"content:{_key(request, version)}"
                try:
                    response = view(request, *args, **kwargs)
                finally:
                    # Only the view's own page: not an error page rendered after it raised (a 404 for someone
                    # who may not see what another person's page showed under the same address).
                    del request._shared_content_key
                    built = request.__dict__.pop("_shared_content_built", None)
                if built is not None and response.status_code == 200 and not response.streaming:
                    cache.set(key, built, seconds())
                if getattr(request, "_shared_content_hit", False):
                    response[HEADER] = "content"
                return response
            version = version_of(request)
            if version is None:
                return view(request, *args, **kwargs)
            key = _key(request, version)
            entry = cache.get(key)
            if entry is not None:
                return _serve(request, entry)
            response = view(request, *args, **kwargs)
            if _storable(request, response):
                cache.set(key, _entry(request, response), seconds())
                response[HEADER] = "miss"
            return response

        return wrapped

    return decorator
