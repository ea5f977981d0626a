"""Resolves the town from the first path segment and runs the request inside that town's scope."""

from django.db import connection
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from .models import Municipality
from .scoping import scopes_disabled, town_scope

_SLUG = "\x00slug"
#: The SQL of resolve_town, compiled once per worker and database (building it cost more than running it).
_TOWN_SQL: dict = {}


def resolve_town(slug: str) -> Municipality | None:
    """The active town at ``slug``, or None (unknown or inactive): the one rule for /<town>/ and the API."""
    compiled = _TOWN_SQL.get(connection.alias)
    if compiled is None:
        compiled = _TOWN_SQL[connection.alias] = (
            Municipality.objects.active().filter(slug=_SLUG).order_by("pk")[:1].query.sql_with_params()
        )
    sql, params = compiled
    return next(iter(Municipality.objects.raw(sql, tuple(slug if p == _SLUG else p for p in params))), None)


class MunicipalityScopeMiddleware:
    """``/<town>/…`` → ``request.municipality`` and a tenant scope; unknown or inactive town → 404.

    Every other URL runs without a scope, so a town-owned query there raises ``ScopeError`` instead of
    leaking rows. The Django admin (platform admins only, behind MFA) runs with scopes disabled; its
    requests are audited by :class:`smartcity5.admin.PlatformAdminSite`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.municipality = None
        try:
            match = resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
        except Resolver404:
            return self.get_response(request)
        # Town pages only: the API (/api/v1/towns/<town_slug>/…) enters its scope itself (api.base).
        if match.route.startswith("<slug:town_slug>/"):
            municipality = resolve_town(match.kwargs["town_slug"])
            if municipality is None:
                raise Http404(_("There is no town at this address."))
            request.municipality = municipality
            with town_scope(municipality):
                return self.get_response(request)
        if match.app_name == "admin":
            with scopes_disabled():
                return self.get_response(request)
        return self.get_response(request)
