"""The client's address: the one place that reads it, for our rate limits, allauth, DRF's throttles and logs.

Behind ``TRUSTED_PROXY_COUNT`` reverse proxies, each of which appends the address it received the request from
to ``X-Forwarded-For``, the client is the n-th address from the right; anything further left was written by
the client and is ignored. With 0 (no proxy) the header is ignored and the peer's address is the client.
"""

import ipaddress

from django.conf import settings


def _clean(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The address the request came from, as far as the trusted proxies tell; never empty."""
    peer = _clean(request.META.get("REMOTE_ADDR", "")) or "unknown"
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return peer
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        # Not through all our proxies (e.g. a health check from inside): the peer is all we know.
        return peer
    return _clean(forwarded[-count]) or peer
