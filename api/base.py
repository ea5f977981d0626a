"""The API base views: the town scope for /api/v1/towns/<town_slug>/… and the access label of every API view."""

from django.utils.translation import gettext as _
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts import permissions
from accounts.decorators import PUBLIC, audit_moderator_visit
from municipalities.middleware import resolve_town
from municipalities.scoping import town_scope


class LabelledAPIView(generics.GenericAPIView):
    """Carries ``access`` onto the URL callback, as ``accounts.decorators`` do, for the tenant matrix test."""

    access = PUBLIC

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.access = cls.access
        return view

    def paginated(self, qs) -> Response:
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def one(self, obj) -> Response:
        return Response(self.get_serializer(obj).data)


class TownScopedAPIView(LabelledAPIView):
    """Resolves the town like ``MunicipalityScopeMiddleware`` (active town or 404) and runs the whole request —
    permission checks, queries, serialisation and rendering — inside ``town_scope(town)``."""

    def dispatch(self, request, *args, **kwargs):
        municipality = resolve_town(kwargs.get("town_slug", ""))
        request.municipality = municipality
        if municipality is None:
            # DRF turns the NotFound into its JSON error inside dispatch (see initial()).
            return super().dispatch(request, *args, **kwargs)
        with town_scope(municipality):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if getattr(request._request, "municipality", None) is None:
            raise NotFound(_("There is no town at this address."))
        request.municipality = request._request.municipality

    @property
    def municipality(self):
        return self.request._request.municipality

    def sees_internal(self) -> bool:
        """The town's internal rows, as on its staff pages: rule ``town.view_staff_area`` with TOTP set up; a
        moderator without a membership is audited like on the HTML pages."""
        user, town = self.request.user, self.municipality
        if not (permissions.has_perm(user, "town.view_staff_area", town) and permissions.has_totp(user)):
            return False
        if permissions.membership_for(user, town) is None and permissions.is_agentur_moderator(user):
            audit_moderator_visit(self.request, town)
        return True
