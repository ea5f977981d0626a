"""Projects through the API (read only): fields of action, lists, details, updates and indicators."""

from django.core.cache import cache
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from accounts import permissions
from api.base import LabelledAPIView, TownScopedAPIView
from api.filters import LIST_FILTERS, ProjectFilterSet
from api.schema import detail_schema, list_schema
from projects.models import FieldOfAction, Indicator, Measurement, ProgressUpdate, Project
from projects.selectors import lists as lists_selectors


class ProjectSerializer(serializers.ModelSerializer):
    town = serializers.SlugRelatedField(source="municipality", slug_field="slug", read_only=True)
    partner_towns = serializers.SlugRelatedField(many=True, slug_field="slug", read_only=True)
    fields_of_action = serializers.SlugRelatedField(many=True, slug_field="slug", read_only=True)
    progress = serializers.IntegerField(read_only=True, allow_null=True)
    last_update_on = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = Project
        fields = [
            "slug",
            "title",
            "summary",
            "status",
            "phase",
            "visibility",
            "town",
            "partner_towns",
            "fields_of_action",
            "progress",
            "last_update_on",
            "planned_start",
            "planned_end",
        ]


class ProjectDetailSerializer(ProjectSerializer):
    class Meta(ProjectSerializer.Meta):
        fields = ProjectSerializer.Meta.fields + ["description", "actual_start", "actual_end"]


class FieldOfActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = FieldOfAction
        fields = ["slug", "name", "description"]


class ProgressUpdateSerializer(serializers.ModelSerializer):
    town = serializers.SlugRelatedField(source="municipality", slug_field="slug", read_only=True)

    class Meta:
        model = ProgressUpdate
        fields = ["id", "published_on", "title", "body", "progress_percent", "is_public", "town"]


class MeasurementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Measurement
        fields = ["measured_on", "value", "note"]


class IndicatorSerializer(serializers.ModelSerializer):
    measurements = MeasurementSerializer(many=True, read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "name",
            "unit",
            "description",
            "baseline",
            "baseline_date",
            "target",
            "target_date",
            "measurements",
        ]


class FieldOfActionList(LabelledAPIView):
    """The fields of action (Handlungsfelder) shared by all towns; their slugs filter projects and ideas."""

    serializer_class = FieldOfActionSerializer
    conditional = True

    @list_schema(FieldOfActionSerializer)
    def get(self, request, *args, **kwargs):
        return self.paginated(lists_selectors.fields_of_action())


class ProjectList(TownScopedAPIView):
    """The town's projects (own and joint): public ones; internal ones too for the town's staff and moderators.
    Filters as on the town's project list; ``ordering`` by title, dates, progress or last update."""

    serializer_class = ProjectSerializer
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

    @list_schema(ProjectSerializer, filters=True)
    def get(self, request, *args, **kwargs):
        qs = self.filter_queryset(lists_selectors.project_list(include_internal=self.sees_internal()))
        if self.unfiltered(request) and not self.sees_internal():
            # The town's public projects counted once per stored version of its pages (moved by every write of a
            # project row of the town, municipalities.freshness), not per request (COUNT of 4,000 rows).
            municipality = self.municipality
            key = f"api:projects:count:{municipality.pk}:{municipality.content_version}"
            count = cache.get(key)
            if count is None:
                count = qs.order_by().count()
                cache.set(key, count, 3600)
            return self.paginated(qs, count=count)
        if request.query_params.get("q") and not request.query_params.get("ordering"):
            # A search in the list's own order: its first COUNT_CAP + 1 (201) matches, counted up to the cap (smartcity5.search).
            municipality = self.municipality
            version = f"t{municipality.pk}.{municipality.content_version}.{int(self.sees_internal())}"
            return self.paginated(lists_selectors.project_pages(qs, version=version), cap=True)
        return self.paginated(qs)


def _project(request, slug: str) -> Project:
    try:
        return lists_selectors.project_for(slug=slug, user=request.user)
    except Project.DoesNotExist:
        raise NotFound(_("No such project.")) from None


class ProjectDetail(TownScopedAPIView):
    """One project of the town; internal ones only for people who may see them (as on the project page)."""

    serializer_class = ProjectDetailSerializer

    @detail_schema(ProjectDetailSerializer)
    def get(self, request, *args, **kwargs):
        return self.one(_project(request, kwargs["slug"]))


class ProjectUpdates(TownScopedAPIView):
    """A project's progress updates, newest first; internal ones for the people who see internal projects."""

    serializer_class = ProgressUpdateSerializer

    @list_schema(ProgressUpdateSerializer)
    def get(self, request, *args, **kwargs):
        project = _project(request, kwargs["slug"])
        internal = permissions.can_view_internal_project(request.user, project)
        return self.paginated(lists_selectors.project_updates(project=project, include_internal=internal))


class ProjectIndicators(TownScopedAPIView):
    """A project's KPIs with baseline, target and every measurement."""

    serializer_class = IndicatorSerializer

    @list_schema(IndicatorSerializer)
    def get(self, request, *args, **kwargs):
        project = _project(request, kwargs["slug"])
        return self.paginated(lists_selectors.project_indicators(project=project))
