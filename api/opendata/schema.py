"""The OpenAPI description of the open data downloads: the JSON bodies (a body per dataset, discriminated by
``dataset``), the parameters and answers they share, and the ``extend_schema`` of the CSV and JSON views."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers

from api.schema import ErrorSerializer
from participation.models import Idea
from projects.models import Project
from surveys.models import QuestionKind

from ..schema import ERRORS
from .datasets import DATASETS


def _fixed(value: str):
    """A string field that only ever holds ``value`` (so that exactly one body of the ``oneOf`` matches)."""
    return extend_schema_field({"type": "string", "enum": [value]})(
        type(f"Fixed{value.title()}Field", (serializers.CharField,), {})
    )()


class LicenceSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    url = serializers.URLField()
    uri = serializers.URLField(help_text="The licence in the DCAT-AP.de vocabulary.")
    attribution = serializers.CharField(
        help_text="The attribution the licence requires when the data are used."
    )


class TownRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    official_name = serializers.CharField()


class OpenDataProjectSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    status = serializers.ChoiceField(choices=Project.Status.choices)
    phase = serializers.ChoiceField(choices=Project.Phase.choices)
    lead_town = serializers.CharField()
    partner_towns = serializers.ListField(child=serializers.CharField())
    fields_of_action = serializers.ListField(child=serializers.CharField())
    planned_start = serializers.DateField(allow_null=True)
    planned_end = serializers.DateField(allow_null=True)
    actual_start = serializers.DateField(allow_null=True)
    actual_end = serializers.DateField(allow_null=True)
    progress_percent = serializers.IntegerField(allow_null=True)
    last_update_on = serializers.DateField(allow_null=True)
    updated_at = serializers.DateTimeField()
    url = serializers.URLField()


class OpenDataMeasurementSerializer(serializers.Serializer):
    measured_on = serializers.DateField()
    value = serializers.FloatField()


class OpenDataIndicatorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    baseline = serializers.FloatField(allow_null=True)
    baseline_date = serializers.DateField(allow_null=True)
    target = serializers.FloatField(allow_null=True)
    target_date = serializers.DateField(allow_null=True)
    measurements = OpenDataMeasurementSerializer(many=True)


class OpenDataIdeaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    town = serializers.CharField()
    process = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Idea.Status.choices)
    field_of_action = serializers.CharField(allow_null=True)
    location_label = serializers.CharField(allow_blank=True)
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    is_offline = serializers.BooleanField()
    support_count = serializers.IntegerField()
    comment_count = serializers.IntegerField()
    created_on = serializers.DateField()
    official_answer = serializers.CharField(allow_null=True)
    answered_on = serializers.DateField(allow_null=True)
    url = serializers.URLField()


class OpenDataSurveyAnswerSerializer(serializers.Serializer):
    question_position = serializers.IntegerField()
    question = serializers.CharField()
    question_kind = serializers.ChoiceField(choices=QuestionKind.choices)
    answered = serializers.IntegerField()
    row = serializers.CharField(allow_null=True)
    answer = serializers.CharField(allow_null=True)
    count = serializers.IntegerField(allow_null=True)
    share_percent = serializers.FloatField(allow_null=True)
    average_rank = serializers.FloatField(allow_null=True)
    average = serializers.FloatField(allow_null=True)


class OpenDataSurveySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    town = serializers.CharField()
    process = serializers.CharField()
    title = serializers.CharField()
    version = serializers.IntegerField()
    responses = serializers.IntegerField()
    paper_responses = serializers.IntegerField()
    answers = OpenDataSurveyAnswerSerializer(many=True)
    url = serializers.URLField()


def _envelope(name: str, key: str, item_serializer):
    return type(
        name,
        (serializers.Serializer,),
        {
            "licence": LicenceSerializer(),
            "generated_at": serializers.DateTimeField(),
            "dataset": _fixed(key),
            "town": TownRefSerializer(allow_null=True, help_text="The town; null for the region."),
            "count": serializers.IntegerField(),
            "items": item_serializer(many=True),
            "__doc__": f"The {key} download with its licence.",
        },
    )


DOWNLOAD_BODY = PolymorphicProxySerializer(
    component_name="OpenDataDownload",
    resource_type_field_name="dataset",
    serializers={
        "projects": _envelope("OpenDataProjects", "projects", OpenDataProjectSerializer),
        "indicators": _envelope("OpenDataIndicators", "indicators", OpenDataIndicatorSerializer),
        "ideas": _envelope("OpenDataIdeas", "ideas", OpenDataIdeaSerializer),
        "surveys": _envelope("OpenDataSurveys", "surveys", OpenDataSurveySerializer),
    },
)
DATASET_PARAMETER = OpenApiParameter(
    "dataset",
    str,
    OpenApiParameter.PATH,
    enum=list(DATASETS),
    description="projects, indicators (KPIs with measurements), ideas or surveys (survey results, figures only)",
)
NOT_MODIFIED = {
    304: OpenApiResponse(description="Not modified (If-None-Match or If-Modified-Since matched).")
}
BEING_BUILT = {
    503: OpenApiResponse(
        ErrorSerializer,
        description="The file has never been built and is being built right now; see Retry-After.",
    )
}
CONDITIONAL = [
    OpenApiParameter(
        "If-None-Match",
        str,
        OpenApiParameter.HEADER,
        required=False,
        description="An ETag of an earlier answer: 304 while the rows are unchanged.",
    ),
    OpenApiParameter(
        "If-Modified-Since",
        str,
        OpenApiParameter.HEADER,
        required=False,
        description="An HTTP date: 304 unless a row changed since.",
    ),
]
_DOWNLOAD_DOCS = (
    "Public rows only, no personal data, under the Datenlizenz Deutschland – Namensnennung 2.0 "
    "(dl-de/by-2-0). A file built by the portal's worker shortly after the data change (and "
    "nightly), sent as it is. Sends ETag and Last-Modified (the newest change of the rows in the "
    "file) and answers conditional requests with 304; Cache-Control: public, max-age=300."
)


def json_download_schema(operation_id: str, summary: str):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=_DOWNLOAD_DOCS,
        parameters=[DATASET_PARAMETER, *CONDITIONAL],
        tags=["open data"],
        responses={200: DOWNLOAD_BODY, **NOT_MODIFIED, **ERRORS, **BEING_BUILT},
    )


def csv_download_schema(operation_id: str, summary: str):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        parameters=[DATASET_PARAMETER, *CONDITIONAL],
        tags=["open data"],
        description=_DOWNLOAD_DOCS + " UTF-8 without BOM, comma-separated with a header row (RFC 4180); the "
        "columns are the JSON fields (KPIs: one row per measurement), lists are "
        "joined with '|', text starting with = + - @ gets a leading apostrophe. The "
        "columns, codes and units are described in <dataset>.datapackage.json "
        '(Link: rel="describedby").',
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV file."),
            **NOT_MODIFIED,
            **ERRORS,
            **BEING_BUILT,
        },
    )


DATAPACKAGE_DOCS = (
    "The description of the dataset's CSV file as a Frictionless Data Package (2.0): licence, "
    "source and attribution, the CSV dialect, and every column with its type, meaning, unit and "
    "codes (status, phase, towns, fields of action with their German labels). ETag and 304."
)
