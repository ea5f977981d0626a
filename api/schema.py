"""How the API's endpoints are described in the OpenAPI schema: the errors every endpoint can answer with."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """DRF's error body for 401, 403, 404 and 429."""

    detail = serializers.CharField()


class FieldErrorsSerializer(serializers.Serializer):
    """The 400 body: every invalid field with its messages; ``non_field_errors`` for the request as a whole."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


ERRORS = {
    401: OpenApiResponse(
        ErrorSerializer, description="Not signed in, or the token is unknown, revoked or expired."
    ),
    403: OpenApiResponse(
        ErrorSerializer,
        description="Signed in, but the role does not allow this (or no second factor is set up).",
    ),
    404: OpenApiResponse(ErrorSerializer, description="No such town, object or page, or not allowed."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests (throttled); see Retry-After."),
}
BAD_INPUT = OpenApiResponse(
    FieldErrorsSerializer,
    description="Invalid input: field → list of messages (non_field_errors for the whole request).",
)
FILTER_ERRORS = {**ERRORS, 400: BAD_INPUT}
WRITE_ERRORS = {**ERRORS, 400: BAD_INPUT}


def list_schema(serializer, *, filters: bool = False, **extra):
    """A paginated list; ``filters``: its query parameters are validated (400 for bad values)."""
    return extend_schema(
        responses={200: serializer(many=True), **(FILTER_ERRORS if filters else ERRORS)}, **extra
    )


def detail_schema(serializer, **extra):
    return extend_schema(responses={200: serializer, **ERRORS}, **extra)
