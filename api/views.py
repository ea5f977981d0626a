"""Read-only API views. Every read goes through the apps' selectors; every rule is one of accounts.permissions."""

from django.core.cache import cache
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import NotFound

from accounts import permissions
from accounts.decorators import public
from municipalities.models import Municipality
from participation import selectors as participation_selectors
from participation.models import Idea
from projects import selectors as project_selectors
from projects.models import Project

from . import serializers
from .base import LabelledAPIView, TownScopedAPIView
from .filters import LIST_FILTERS, IdeaFilterSet, ProjectFilterSet
from .schema import detail_schema, list_schema


class TownList(LabelledAPIView):
    """The active towns of the consortium (towns are public facts; no scope)."""

    serializer_class = serializers.TownSerializer
    conditional = True

    def get_queryset(self):
        return Municipality.objects.active().order_by("name")

    @list_schema(serializers.TownSerializer)
    def get(self, request, *args, **kwargs):
        return self.paginated(self.get_queryset())


class FieldOfActionList(LabelledAPIView):
    """The fields of action (Handlungsfelder) shared by all towns; their slugs filter projects and ideas."""

    serializer_class = serializers.FieldOfActionSerializer
    conditional = True

    @list_schema(serializers.FieldOfActionSerializer)
    def get(self, request, *args, **kwargs):
        return self.paginated(project_selectors.fields_of_action())


class ProjectList(TownScopedAPIView):
    """The town's projects (own and joint): public ones; internal ones too for the town's staff and moderators.
    Filters as on the town's project list; ``ordering`` by title, dates, progress or last update."""

    serializer_class = serializers.ProjectSerializer
    filter_backends = LIST_FILTERS
    filterset_class = ProjectFilterSet
    ordering_fields = ["title", "planned_start", "planned_end", "progress", "last_update_on"]
    conditional = True
    anonymous_cache = True

    def last_modified(self):
        # Known for the public rows only; people who see internal ones rely on the ETag. Every write of a project
        # row moves its lead and partner towns' page version and its date (municipalities.freshness, in the
        # writer's transaction); read with the town, no query, instead of the newest of every event of the
        # town's projects (2.4 times slower at 40,000 ideas a town than at 1,000, bench/README.md).
        return None if self.sees_internal() else self.municipality.content_changed_at

    @list_schema(serializers.ProjectSerializer, filters=True)
    def get(self, request, *args, **kwargs):
        qs = self.filter_queryset(project_selectors.project_list(include_internal=self.sees_internal()))
        if self.unfiltered(request) and not self.sees_internal():
            # The town's public projects counted once per stored version of its pages (moved by every write of a
            # project row of the town, municipalities.freshness), not per request (COUNT of 4,000 rows).
            town = self.municipality
            key = f"api:projects:count:{town.pk}:{town.content_version}"
            count = cache.get(key)
            if count is None:
                count = qs.order_by().count()
                cache.set(key, count, 3600)
            return self.paginated(qs, count=count)
        if request.query_params.get("q") and not request.query_params.get("ordering"):
            # A search in the list's own order: its first 1,001 matches, counted up to the cap (smartcity5.search).
            town = self.municipality
            version = f"t{town.pk}.{town.content_version}.{int(self.sees_internal())}"
            return self.paginated(project_selectors.project_pages(qs, version=version), cap=True)
        return self.paginated(qs)


def _project(request, slug: str) -> Project:
    try:
        return project_selectors.project_for(slug=slug, user=request.user)
    except Project.DoesNotExist:
        raise NotFound(_("No such project.")) from None


class ProjectDetail(TownScopedAPIView):
    """One project of the town; internal ones only for people who may see them (as on the project page)."""

    serializer_class = serializers.ProjectDetailSerializer

    @detail_schema(serializers.ProjectDetailSerializer)
    def get(self, request, *args, **kwargs):
        return self.one(_project(request, kwargs["slug"]))


class ProjectUpdates(TownScopedAPIView):
    """A project's progress updates, newest first; internal ones for the people who see internal projects."""

    serializer_class = serializers.ProgressUpdateSerializer

    @list_schema(serializers.ProgressUpdateSerializer)
    def get(self, request, *args, **kwargs):
        project = _project(request, kwargs["slug"])
        internal = permissions.can_view_internal_project(request.user, project)
        return self.paginated(project_selectors.project_updates(project=project, include_internal=internal))


class ProjectIndicators(TownScopedAPIView):
    """A project's KPIs with baseline, target and every measurement."""

    serializer_class = serializers.IndicatorSerializer

    @list_schema(serializers.IndicatorSerializer)
    def get(self, request, *args, **kwargs):
        project = _project(request, kwargs["slug"])
        return self.paginated(project_selectors.project_indicators(project=project))


class ProcessList(TownScopedAPIView):
    """The town's published participation processes (own and joint)."""

    serializer_class = serializers.ProcessSerializer
    conditional = True
    anonymous_cache = True

    @list_schema(serializers.ProcessSerializer)
    def get(self, request, *args, **kwargs):
        return self.paginated(participation_selectors.process_list())


class IdeaList(TownScopedAPIView):
    """Published ideas of the town's published processes, filtered like the HTML list (``IdeaFilterForm``).
    Unlike the HTML list, which ignores invalid filters, the API answers them with 400 and the field errors."""

    serializer_class = serializers.IdeaSerializer
    filter_backends = LIST_FILTERS
    filterset_class = IdeaFilterSet
    conditional = True
    anonymous_cache = True

    def last_modified(self):
        # The stored freshness of the scope's processes (one query over a few rows), not a MAX over every idea,
        # comment and support of the town (docs/ARCHITECTURE.md, "Stored freshness").
        return participation_selectors.scope_freshness().changed_at

    @list_schema(serializers.IdeaSerializer, filters=True)
    def get(self, request, *args, **kwargs):
        count = (
            participation_selectors.stored_total(participation_selectors.IdeaFilters())
            if self.unfiltered(request)
            else None
        )
        version = None
        if request.query_params.get("q"):
            # A search's first 1,001 matches are cached under the scope's stored version (smartcity5.search).
            fresh = participation_selectors.scope_freshness()
            processes, version = list(fresh.published), fresh.version
        else:
            processes = participation_selectors.published_process_ids()
        ideas = self.filter_queryset(participation_selectors.idea_list(processes=processes))
        # Read per process and merged (participation.selectors.IdeaPages): a deep page costs what the first does.
        sort = request.query_params.get("sort") or "new"
        pages = participation_selectors.IdeaPages(ideas, processes=processes, sort=sort, version=version)
        return self.paginated(pages, count=count, cap=True)


class IdeaDetail(TownScopedAPIView):
    """One published idea; waiting, reported and hidden ideas are not found (they reach only HTML staff pages)."""

    serializer_class = serializers.IdeaSerializer
    anonymous_cache = True

    @detail_schema(serializers.IdeaSerializer)
    def get(self, request, *args, **kwargs):
        try:
            idea = participation_selectors.idea_get(pk=kwargs["pk"])
        except Idea.DoesNotExist:
            raise NotFound(_("No such idea.")) from None
        return self.one(idea)


@public
@csrf_exempt  # a POST to an unknown address is a JSON 404 too, not the HTML CSRF page; nothing is written
def not_found(request, *args, **kwargs):
    """An address under /api/ that no API view answers: 404 in the API's error format."""
    return JsonResponse({"detail": _("Not found.")}, status=404)
