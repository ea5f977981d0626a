"""Security headers on every response: Content-Security-Policy, Permissions-Policy, and no caching of what a
signed-in person sees (``SecurityHeadersMiddleware``, configured by ``settings.CONTENT_SECURITY_POLICY`` and
``settings.PERMISSIONS_POLICY``)."""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError

#: Stands in ``settings.CONTENT_SECURITY_POLICY`` for this request's nonce; dropped when no template used one.
NONCE = "'nonce'"


class CSPNonce:
    """A request's nonce for ``<style nonce="{{ request.csp_nonce }}">``, made when a template first prints it,
    so that the policy names a nonce only on responses that carry one."""

    __slots__ = ("_value",)

    def __init__(self):
        self._value = ""

    def __str__(self) -> str:
        if not self._value:
            self._value = secrets.token_urlsafe(18)
        return self._value

    @property
    def used(self) -> bool:
        return bool(self._value)


def map_tile_source(tile_url: str) -> str:
    """The origin of ``MAP_TILE_URL`` as a CSP source ("" for none or a same-origin path); a ``{s}`` subdomain
    placeholder (``https://{s}.tile.example.org/…``) becomes a wildcard label."""
    parts = urlsplit(tile_url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host, _, port = parts.netloc.rpartition("@")[2].partition(":")
    labels = host.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label for label in labels):
        return ""  # a placeholder CSP cannot express: no tile server is allowed (the list of places stays)
    return f"{parts.scheme}://{'.'.join(labels)}{':' + port if port else ''}"


def content_security_policy(nonce: str = "") -> str:
    """The header's value: the configured directives, the map tile server in ``img-src``, the nonce if used."""
    directives = []
    tile_source = map_tile_source(settings.MAP_TILE_URL)
    for name, sources in settings.CONTENT_SECURITY_POLICY.items():
        values = []
        for source in sources:
            if source == NONCE:
                if nonce:
                    values.append(f"'nonce-{nonce}'")
            else:
                values.append(source)
        if name == "img-src" and tile_source:
            values.append(tile_source)
        directives.append(" ".join([name, *values]))
    return "; ".join(directives)


def permissions_policy() -> str:
    """``camera=(), geolocation=(self)``: features → allowed origins ("self" or an origin; empty: nobody)."""

    def origin(value: str) -> str:
        return value if value in ("self", "*") else f'"{value}"'

    return ", ".join(
        f"{feature}=({' '.join(origin(v) for v in allowed)})"
        for feature, allowed in settings.PERMISSIONS_POLICY.items()
    )


#: Directives that would let a cache keep the answer; dropped from answers to signed-in people.
_STORABLE = {
    "public",
    "private",
    "no-store",
    "max-age",
    "s-maxage",
    "immutable",
    "stale-while-revalidate",
    "stale-if-error",
}


def never_stored(response) -> None:
    """``Cache-Control: private, no-store`` and whatever else the view said that does not allow storing."""
    kept = [
        directive.strip()
        for directive in response.get("Cache-Control", "").split(",")
        if directive.strip() and directive.split("=", 1)[0].strip().lower() not in _STORABLE
    ]
    response["Cache-Control"] = ", ".join(["private", "no-store", *kept])


def signed_in(request) -> bool:
    """Whether the answer went to a signed-in person (session or API token; no query without a session cookie)."""
    user = getattr(request, "user", None)  # none on answers from middleware above AuthenticationMiddleware
    if user is None:
        return False
    try:
        return bool(user.is_authenticated)
    except DatabaseError:
        return True  # unknown while the database is away: treat the answer as personal


class SecurityHeadersMiddleware:
    """Sets the headers on every answer that passes it (pages, API, error pages, redirects, files), unless the
    view set its own ``Content-Security-Policy``. Answers to signed-in people are never stored by a cache
    (``Cache-Control: private, no-store``): staff pages, the account pages, the TOTP secret, personal files."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        nonce = request.csp_nonce = CSPNonce()
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy(str(nonce) if nonce.used else "")
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = permissions_policy()
        if signed_in(request):
            never_stored(response)
        return response
