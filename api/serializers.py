"""Read serializers of the API: public facts only, people appear by display name, never by e-mail address."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from municipalities.models import Municipality
from participation.models import Idea, Process, ProcessPhase
from participation.templatetags.participation_tags import author_name
from projects.models import FieldOfAction, Indicator, Measurement, ProgressUpdate, Project


class TownSerializer(serializers.ModelSerializer):
    class Meta:
        model = Municipality
        fields = ["slug", "name", "official_name", "district", "population", "website", "is_lead"]


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


class PhaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcessPhase
        fields = ["kind", "starts_on", "ends_on"]


class ProcessSerializer(serializers.ModelSerializer):
    town = serializers.SlugRelatedField(source="municipality", slug_field="slug", read_only=True)
    partner_towns = serializers.SlugRelatedField(many=True, slug_field="slug", read_only=True)
    field_of_action = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    phases = PhaseSerializer(many=True, read_only=True)
    idea_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Process
        fields = [
            "slug",
            "title",
            "summary",
            "town",
            "partner_towns",
            "field_of_action",
            "phases",
            "idea_count",
            "created_at",
        ]


class IdeaImageSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The image file (the idea page's image address).")
    alt = serializers.CharField(help_text="What the image shows, in words.")


class IdeaSerializer(serializers.ModelSerializer):
    town = serializers.SlugRelatedField(source="municipality", slug_field="slug", read_only=True)
    process = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    field_of_action = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    author_name = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()

    class Meta:
        model = Idea
        fields = [
            "id",
            "title",
            "body",
            "status",
            "town",
            "process",
            "field_of_action",
            "location_label",
            "latitude",
            "longitude",
            "is_offline",
            "author_name",
            "support_count",
            "comment_count",
            "image",
            "created_at",
        ]

    def get_author_name(self, idea: Idea) -> str:
        return str(author_name(idea))

    @extend_schema_field(IdeaImageSerializer(allow_null=True))
    def get_image(self, idea: Idea) -> dict | None:
        """The address of the idea's image (re-encoded, without metadata) and its description, or null."""
        if not idea.image:
            return None
        address = reverse("participation:idea-image", kwargs={"town": idea.municipality.slug, "pk": idea.pk})
        request = self.context.get("request")
        return {
            "url": request.build_absolute_uri(address) if request is not None else address,
            "alt": idea.image_alt,
        }


class ErrorSerializer(serializers.Serializer):
    """DRF's error body for 401, 403, 404 and 429."""

    detail = serializers.CharField()


class FieldErrorsSerializer(serializers.Serializer):
    """The 400 body: every invalid field with its messages; ``non_field_errors`` for the request as a whole."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
