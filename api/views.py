"""Read-only API views. Every read goes through the apps' selectors; every rule is one of accounts.permissions."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ValidationError

from accounts import permissions
from accounts.decorators import public
from municipalities.models import Municipality
from participation import selectors as participation_selectors
from participation.forms import IdeaFilterForm
from participation.models import Idea
from projects import selectors as project_selectors
from projects.models import Project

from . import serializers
from .base import LabelledAPIView, TownScopedAPIView

ERRORS = {
    401: OpenApiResponse(serializers.ErrorSerializer, description="Not signed in (reserved for protected parts)."),
    403: OpenApiResponse(serializers.ErrorSerializer, description="Signed in, but the role does not allow this."),
    404: OpenApiResponse(serializers.ErrorSerializer, description="No such town, object or page, or not allowed."),
    429: OpenApiResponse(serializers.ErrorSerializer, description="Too many requests (throttled)."),
}
FILTER_ERRORS = {**ERRORS, 400: OpenApiResponse(description="Invalid filter values: field → list of messages.")}


def _list_schema(serializer, **extra):
    return extend_schema(responses={200: serializer(many=True), **(extra.pop("errors", ERRORS))}, **extra)


def _detail_schema(serializer):
    return extend_schema(responses={200: serializer, **ERRORS})


class TownList(LabelledAPIView):
    """The active towns of the consortium (towns are public facts; no scope)."""

    serializer_class = serializers.TownSerializer

    def get_queryset(self):
        return Municipality.objects.active().order_by("name")

    @_list_schema(serializers.TownSerializer)
    def get(self, request, *args, **kwargs):
        return self.paginated(self.get_queryset())


class ProjectList(TownScopedAPIView):
    """The town's projects (own and joint): public ones; internal ones too for the town's staff and moderators."""

    serializer_class = serializers.ProjectSerializer

    @_list_schema(serializers.ProjectSerializer)
    def get(self, request, *args, **kwargs):
        qs = project_selectors.project_list(include_internal=self.sees_internal())
        return self.paginated(qs)


class ProjectDetail(TownScopedAPIView):
    serializer_class = serializers.ProjectDetailSerializer

    @_detail_schema(serializers.ProjectDetailSerializer)
    def get(self, request, *args, **kwargs):
        # The rule of the HTML project page (projects.views._project_or_404).
        try:
            project = project_selectors.project_get(slug=kwargs["slug"], include_internal=True)
        except Project.DoesNotExist:
            raise NotFound from None
        if (project.visibility == Project.Visibility.INTERNAL
                and not permissions.can_view_internal_project(request.user, project)):
            raise NotFound
        return self.one(project)


class ProcessList(TownScopedAPIView):
    """The town's published participation processes (own and joint)."""

    serializer_class = serializers.ProcessSerializer

    @_list_schema(serializers.ProcessSerializer)
    def get(self, request, *args, **kwargs):
        return self.paginated(participation_selectors.process_list())


IDEA_FILTERS = [serializers.IdeaFilterParameters]


class IdeaList(TownScopedAPIView):
    """Published ideas of the town's published processes, filtered like the HTML list (``IdeaFilterForm``).
    Unlike the HTML list, which ignores invalid filters, the API answers them with 400 and the field errors."""

    serializer_class = serializers.IdeaSerializer

    @_list_schema(serializers.IdeaSerializer, parameters=IDEA_FILTERS, errors=FILTER_ERRORS)
    def get(self, request, *args, **kwargs):
        form = IdeaFilterForm(request.query_params)
        if not form.is_valid():
            raise ValidationError({field: [error["message"] for error in errors]
                                   for field, errors in form.errors.get_json_data().items()})
        return self.paginated(participation_selectors.idea_list(filters=form.filters()))


class IdeaDetail(TownScopedAPIView):
    """One published idea; waiting, reported and hidden ideas are not found (they reach only HTML staff pages)."""

    serializer_class = serializers.IdeaSerializer

    @_detail_schema(serializers.IdeaSerializer)
    def get(self, request, *args, **kwargs):
        try:
            idea = participation_selectors.idea_get(pk=kwargs["pk"])
        except Idea.DoesNotExist:
            raise NotFound(_("No such idea.")) from None
        return self.one(idea)


@public
def not_found(request, *args, **kwargs):
    """An address under /api/ that no API view answers: 404 in the API's error format."""
    return JsonResponse({"detail": _("Not found.")}, status=404)
