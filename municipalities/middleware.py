"""Resolves the town from the first path segment and runs the request inside that town's scope."""

from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from .models import Municipality
from .scoping import scopes_disabled, town_scope


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
        if "town" in match.kwargs:
            municipality = Municipality.objects.active().filter(slug=match.kwargs["town"]).first()
            if municipality is None:
                raise Http404(_("There is no town at this address."))
            request.municipality = municipality
            with town_scope(municipality):
                return self.get_response(request)
        if match.app_name == "admin":
            with scopes_disabled():
                return self.get_response(request)
        return self.get_response(request)
