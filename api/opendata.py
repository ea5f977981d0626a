"""Open data downloads (CSV/JSON) of public projects, KPIs and ideas, per town and for the region, under the
Datenlizenz Deutschland – Namensnennung 2.0, and their DCAT-AP.de catalogue (JSON-LD).

Addresses (inside the API's namespace): ``/api/v1/towns/<town>/opendata/<dataset>.csv|.json`` (the town's scope:
joint projects and processes appear in every partner town), ``/api/v1/opendata/<dataset>.csv|.json`` (all active
towns in ``public_region_scope()``, each joint row once) and ``/api/v1/opendata/catalog.jsonld``. Public rows
only (``api.opendata_selectors``), no personal data: no authors, no e-mail addresses, no names of persons.
"""

import csv
import datetime
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO
from xml.etree import ElementTree

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation

from municipalities.models import Municipality
from municipalities.scoping import public_region_scope, town_scope
from municipalities.selectors import consortium_get, lead_town
from participation.models import Idea
from projects.models import Project
from smartcity5.numbers import plain_text
from smartcity5.spreadsheets import csv_text

from . import opendata_selectors as selectors
from .base import LabelledAPIView, TownScopedAPIView
from .schema import ERRORS
from .serializers import ErrorSerializer

# --- The licence: one place ------------------------------------------------------------------------------

LICENCE_ID = "dl-de/by-2-0"
LICENCE_NAME = "Datenlizenz Deutschland – Namensnennung – Version 2.0"
LICENCE_URL = "https://www.govdata.de/dl-de/by-2-0"
#: The licence in the DCAT-AP.de vocabulary of licences (``dct:license``).
LICENCE_DCAT_URI = "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
#: The attribution the licence requires (``dcatde:licenseAttributionByText``), naming who provides the data.
ATTRIBUTION = "Datenquelle: {source}, " + LICENCE_ID + " (" + LICENCE_URL + ")"
#: Who provides the region's data when there is no consortium row.
REGION_SOURCE = "5 für Südwestfalen"


def attribution(source: str) -> str:
    return ATTRIBUTION.format(source=source)


def licence(source: str) -> dict:
    """The licence block of a JSON download."""
    return {
        "id": LICENCE_ID,
        "name": LICENCE_NAME,
        "url": LICENCE_URL,
        "uri": LICENCE_DCAT_URI,
        "attribution": attribution(source),
    }


def source_name(town: Municipality | None, consortium=None) -> str:
    """Who is named in the attribution: the town by its official name, or the consortium for the region."""
    if town is not None:
        return town.official_name or town.name
    return consortium.name if consortium is not None and consortium.name else REGION_SOURCE


# --- Cells and rows --------------------------------------------------------------------------------------

#: Lists (partner towns, fields of action) in one CSV cell; slugs never contain it.
LIST_SEPARATOR = "|"


def _number(value):
    """A decimal as a JSON number (an int when it is whole)."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _moment(value: datetime.datetime | None) -> str | None:
    return None if value is None else timezone.localtime(value).isoformat(timespec="seconds")


def _day(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    return value.isoformat()


def csv_cell(value) -> str:
    """A JSON item's value as CSV text: numbers and dates as they are, lists joined, user text guarded."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return plain_text(value)
    if isinstance(value, list | tuple):
        return csv_text(LIST_SEPARATOR.join(value))
    return csv_text(str(value))


def site_url(path: str = "") -> str:
    """An absolute address on the portal for files built without a request (``SITE_HOST``, as in mails)."""
    return f"{settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{settings.SITE_HOST}{path}"


@dataclass(frozen=True)
class Context:
    """What a row needs besides its object: the absolute address of the public pages, under the file's town
    (a joint project's page in a partner town) or, for the region, under the lead town."""

    base: str
    town: Municipality | None

    def url(self, obj) -> str:
        return self.base + obj.get_absolute_url(self.town)


def project_item(project: Project, ctx: Context) -> dict:
    return {
        "slug": project.slug,
        "title": project.title,
        "summary": project.summary,
        "status": project.status,
        "phase": project.phase,
        "lead_town": project.municipality.slug,
        "partner_towns": sorted(town.slug for town in project.partner_towns.all()),
        "fields_of_action": sorted(field.slug for field in project.fields_of_action.all()),
        "planned_start": _day(project.planned_start),
        "planned_end": _day(project.planned_end),
        "actual_start": _day(project.actual_start),
        "actual_end": _day(project.actual_end),
        "progress_percent": None if project.progress is None else int(project.progress),
        "last_update_on": _day(project.last_update_on),
        "updated_at": _moment(project.updated_at),
        "url": ctx.url(project),
    }


def indicator_item(indicator, ctx: Context) -> dict:
    return {
        "id": indicator.pk,
        "project": indicator.project.slug,
        "name": indicator.name,
        "unit": indicator.unit,
        "baseline": _number(indicator.baseline),
        "baseline_date": _day(indicator.baseline_date),
        "target": _number(indicator.target),
        "target_date": _day(indicator.target_date),
        "measurements": [
            {"measured_on": _day(m.measured_on), "value": _number(m.value)}
            for m in indicator.measurements.all()
        ],
    }


def idea_item(idea: Idea, ctx: Context) -> dict:
    return {
        "id": idea.pk,
        "town": idea.municipality.slug,
        "process": idea.process.slug,
        "title": idea.title,
        "status": idea.status,
        "field_of_action": idea.field_of_action.slug if idea.field_of_action_id else None,
        "location_label": idea.location_label,
        "latitude": _number(idea.latitude),
        "longitude": _number(idea.longitude),
        "is_offline": idea.is_offline,
        "support_count": idea.support_count,
        "comment_count": idea.comment_count,
        "created_on": _day(idea.created_at),
        "official_answer": idea.answer_body,
        "answered_on": _day(idea.answered_at),
        "url": ctx.url(idea),
    }


def _one_row(item: dict, columns: tuple[str, ...]) -> Iterator[list]:
    yield [item[column] for column in columns]


def _measurement_rows(item: dict, columns: tuple[str, ...]) -> Iterator[list]:
    """One row per measurement; a KPI without measurements still gets one row (with empty date and value)."""
    kpi = [item[field.name] for field in INDICATOR_FIELDS]
    for measurement in item["measurements"] or [{"measured_on": None, "value": None}]:
        yield [*kpi, measurement["measured_on"], measurement["value"]]


@dataclass(frozen=True)
class Field:
    """A column of the CSV file (and a key of the JSON items), described in the dataset's ``datapackage.json``:
    its Frictionless type, what it holds, and for codes the values with their labels (``categories``)."""

    name: str
    type: str  # Frictionless Table Schema: string, integer, number, boolean, date, datetime
    description: Any  # a lazy translation
    format: str = ""  # "uri" for addresses
    unit: str = ""
    categories: Callable[[], list[dict]] | None = None
    required: bool = False


def _choices(choices) -> Callable[[], list[dict]]:
    """The values of a code with their labels in the active language (German in the files)."""
    return lambda: [{"value": value, "label": str(label)} for value, label in choices]


def _fields_of_action() -> list[dict]:
    from projects.models import FieldOfAction

    return [
        {"value": slug, "label": name}
        for slug, name in FieldOfAction.objects.order_by("position", "name").values_list("slug", "name")
    ]


def _towns() -> list[dict]:
    return [
        {"value": slug, "label": name}
        for slug, name in Municipality.objects.order_by("name").values_list("slug", "name")
    ]


WGS84 = gettext_lazy("WGS84 (EPSG:4326), decimal degrees")
LIST_NOTE = gettext_lazy("In the CSV file several values are separated by “|”; in the JSON file a list.")

PROJECT_FIELDS = (
    Field("slug", "string", gettext_lazy("The project's address name, unique in the portal."), required=True),
    Field("title", "string", gettext_lazy("Title of the project."), required=True),
    Field("summary", "string", gettext_lazy("Short description.")),
    Field(
        "status",
        "string",
        gettext_lazy("State of the project."),
        categories=_choices(Project.Status.choices),
        required=True,
    ),
    Field(
        "phase",
        "string",
        gettext_lazy("Phase of the funding programme (A: strategy, B: implementation)."),
        categories=_choices(Project.Phase.choices),
        required=True,
    ),
    Field(
        "lead_town",
        "string",
        gettext_lazy("The town that leads the project (its address name)."),
        categories=_towns,
        required=True,
    ),
    Field(
        "partner_towns",
        "string",
        format_lazy(
            "{} {}", gettext_lazy("Partner towns of a joint project (their address names)."), LIST_NOTE
        ),
        categories=_towns,
    ),
    Field(
        "fields_of_action",
        "string",
        format_lazy(
            "{} {}",
            gettext_lazy("Fields of action of the Smart City strategy (their address names)."),
            LIST_NOTE,
        ),
        categories=_fields_of_action,
    ),
    Field("planned_start", "date", gettext_lazy("Planned start.")),
    Field("planned_end", "date", gettext_lazy("Planned end.")),
    Field("actual_start", "date", gettext_lazy("Actual start.")),
    Field("actual_end", "date", gettext_lazy("Actual end.")),
    Field(
        "progress_percent",
        "integer",
        gettext_lazy("Progress reported in the latest update (0 to 100)."),
        unit="%",
    ),
    Field("last_update_on", "date", gettext_lazy("Day of the latest progress update.")),
    Field(
        "updated_at",
        "datetime",
        gettext_lazy("Last change of the project's data (local time with offset)."),
        required=True,
    ),
    Field(
        "url", "string", gettext_lazy("Address of the project's public page."), format="uri", required=True
    ),
)
INDICATOR_FIELDS = (
    Field(
        "id",
        "integer",
        gettext_lazy(
            "Number of the key performance indicator, unique in the portal (in the CSV "
            "file repeated on each of its measurements)."
        ),
        required=True,
    ),
    Field(
        "project",
        "string",
        gettext_lazy("The project the indicator belongs to (its address name)."),
        required=True,
    ),
    Field("name", "string", gettext_lazy("Name of the indicator."), required=True),
    Field(
        "unit",
        "string",
        gettext_lazy(
            "Unit of baseline, target and values, as entered by the town (e.g. %, kWh, "
            "users); empty when the values are counts without a unit."
        ),
    ),
    Field("baseline", "number", gettext_lazy("Value at the start, in the indicator's unit.")),
    Field("baseline_date", "date", gettext_lazy("Day of the baseline.")),
    Field("target", "number", gettext_lazy("Value to reach, in the indicator's unit.")),
    Field("target_date", "date", gettext_lazy("Day by which the target should be reached.")),
)
MEASUREMENT_FIELDS = (
    Field(
        "measured_on",
        "date",
        gettext_lazy("Day of the measurement (CSV: empty for an indicator without measurements)."),
    ),
    Field("value", "number", gettext_lazy("Measured value, in the indicator's unit.")),
)
IDEA_FIELDS = (
    Field("id", "integer", gettext_lazy("Number of the idea, unique in the portal."), required=True),
    Field(
        "town",
        "string",
        gettext_lazy("The town whose process the idea belongs to (its address name)."),
        categories=_towns,
        required=True,
    ),
    Field("process", "string", gettext_lazy("The participation process (its address name)."), required=True),
    Field("title", "string", gettext_lazy("Title of the idea."), required=True),
    Field(
        "status",
        "string",
        gettext_lazy("State of the idea."),
        categories=_choices(Idea.Status.choices),
        required=True,
    ),
    Field(
        "field_of_action",
        "string",
        gettext_lazy("Field of action of the idea (its address name)."),
        categories=_fields_of_action,
    ),
    Field("location_label", "string", gettext_lazy("Name of the place the idea is about.")),
    Field(
        "latitude", "number", format_lazy("{}: {}", gettext_lazy("Latitude of the place"), WGS84), unit="°"
    ),
    Field(
        "longitude", "number", format_lazy("{}: {}", gettext_lazy("Longitude of the place"), WGS84), unit="°"
    ),
    Field(
        "is_offline",
        "boolean",
        gettext_lazy("Entered by staff from paper or an event (true) or submitted online (false)."),
        required=True,
    ),
    Field("support_count", "integer", gettext_lazy("Number of supports."), required=True),
    Field("comment_count", "integer", gettext_lazy("Number of published comments."), required=True),
    Field("created_on", "date", gettext_lazy("Day the idea was submitted."), required=True),
    Field("official_answer", "string", gettext_lazy("Text of the town's latest official answer.")),
    Field("answered_on", "date", gettext_lazy("Day of the latest official answer.")),
    Field("url", "string", gettext_lazy("Address of the idea's public page."), format="uri", required=True),
)


@dataclass(frozen=True)
class Dataset:
    key: str
    file_stem: str  # German, for the file names
    title: str
    description: str  # with {place}
    keywords: tuple
    fields: tuple[Field, ...]  # the CSV columns, in order
    rows: Callable[[], Iterable]
    freshness: Callable[[], selectors.Freshness]
    item: Callable[[Any, Context], dict]
    csv_rows: Callable[[dict, tuple[str, ...]], Iterator[list]] = _one_row
    primary_key: tuple[str, ...] = ("id",)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)


DATASETS: dict[str, Dataset] = {
    dataset.key: dataset
    for dataset in (
        Dataset(
            key="projects",
            file_stem="projekte",
            title=gettext_lazy("Projects"),
            description=gettext_lazy(
                "The public projects (measures) of {place} in the Smart City model project: status, "
                "programme phase, lead and partner towns, fields of action, planned and actual "
                "dates, progress and the address of each project's page."
            ),
            keywords=(gettext_lazy("projects"), gettext_lazy("measures")),
            fields=PROJECT_FIELDS,
            primary_key=("slug",),
            rows=selectors.public_projects,
            freshness=selectors.projects_freshness,
            item=project_item,
        ),
        Dataset(
            key="indicators",
            file_stem="kennzahlen",
            title=gettext_lazy("Key performance indicators"),
            description=gettext_lazy(
                "The key performance indicators (KPIs) of the public projects of {place} with "
                "baseline, target and every measurement (in the CSV file one row per "
                "measurement)."
            ),
            keywords=(gettext_lazy("key performance indicators"), gettext_lazy("measurements")),
            fields=INDICATOR_FIELDS + MEASUREMENT_FIELDS,
            primary_key=("id", "measured_on"),
            rows=selectors.public_indicators,
            freshness=selectors.indicators_freshness,
            item=indicator_item,
            csv_rows=_measurement_rows,
        ),
        Dataset(
            key="ideas",
            file_stem="ideen",
            title=gettext_lazy("Citizens' ideas"),
            description=gettext_lazy(
                "The published ideas of the public participation processes of {place}: status, "
                "field of action, place, supports, comments and the latest official answer. No "
                "personal data: authors are not included."
            ),
            keywords=(gettext_lazy("citizen participation"), gettext_lazy("ideas")),
            fields=IDEA_FIELDS,
            rows=selectors.published_ideas,
            freshness=selectors.ideas_freshness,
            item=idea_item,
        ),
    )
}
FORMATS = ("csv", "json")
CHUNK = 500
CACHE_CONTROL = "public, max-age=300"
#: Seconds a client is asked to wait (``Retry-After``) while a file that was never built is being built.
RETRY_AFTER = 10
#: Changes whenever the columns or the JSON shape change, so that cached copies are not reused.
FORMAT_VERSION = "2"  # 2: CSV without BOM, the KPI column "id" (was "indicator_id")


def file_name(dataset: Dataset, town: Municipality | None, file_format: str) -> str:
    return f"{town.slug if town else 'region'}-{dataset.file_stem}-{timezone.localdate().isoformat()}.{file_format}"


def download_url(request, dataset: str, file_format: str, town: Municipality | None = None) -> str:
    if town is None:
        address = reverse(f"api:opendata-{file_format}", kwargs={"dataset": dataset})
    else:
        address = reverse(
            f"api:town-opendata-{file_format}", kwargs={"dataset": dataset, "town_slug": town.slug}
        )
    return request.build_absolute_uri(address) if request is not None else address


# --- Conditional GET -------------------------------------------------------------------------------------


def _validators(response, *, etag: str, last_modified: datetime.datetime | None):
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(int(last_modified.timestamp()))
    response["Cache-Control"] = CACHE_CONTROL
    return response


def not_modified(request, *, etag: str, last_modified: datetime.datetime | None):
    """The 304 (or 412) Django's conditional-GET rules give for these validators, or ``None``: build the file."""
    probe = _validators(HttpResponse(), etag=etag, last_modified=last_modified)
    answer = get_conditional_response(
        request,
        etag=etag,
        response=probe,
        last_modified=(int(last_modified.timestamp()) if last_modified is not None else None),
    )
    return None if answer is probe else answer


def dataset_etag(
    dataset: Dataset,
    file_format: str,
    town: Municipality | None,
    freshness: selectors.Freshness,
    content: str = "",
) -> str:
    """Weak (the JSON's generated_at differs between two answers with the same rows), made from the rows' freshness
    token and the digest of what the file holds: a row that leaves changes it even where no counter would."""
    raw = "|".join(
        (FORMAT_VERSION, dataset.key, file_format, town.slug if town else "", freshness.token, content)
    )
    return "W/" + quote_etag(hashlib.sha256(raw.encode()).hexdigest()[:32])


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
}


def write_download(out: BinaryIO, dataset: Dataset, file_format: str, town: Municipality | None) -> str:
    """Write the file to ``out`` (binary), read in the caller's scope; rows are read in chunks with their related
    rows prefetched. Addresses in it are absolute on ``SITE_HOST``: the file is built by the worker, not for one
    request. Returns a digest of the content (the JSON without its ``generated_at``), so that the build can tell a
    file whose rows changed from one rebuilt as it was."""
    ctx = Context(base=site_url(), town=town)
    items = (dataset.item(obj, ctx) for obj in dataset.rows().iterator(chunk_size=CHUNK))
    digest = hashlib.sha256()
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    if file_format == "csv":
        # Plain UTF-8 without a byte order mark (RFC 4180); the page and the datapackage.json say how to open it
        # in a spreadsheet program.
        writer = csv.writer(text)  # RFC 4180: comma, double quotes where needed, CRLF
        writer.writerow(dataset.columns)
        for item in items:
            rows = [[csv_cell(value) for value in row] for row in dataset.csv_rows(item, dataset.columns)]
            writer.writerows(rows)
            digest.update(json.dumps(rows, ensure_ascii=False).encode())
    else:
        rows = list(items)
        body = {
            "licence": licence(source_name(town, None if town else consortium_get())),
            "dataset": dataset.key,
            "town": None
            if town is None
            else {"slug": town.slug, "name": town.name, "official_name": town.official_name},
            "count": len(rows),
            "items": rows,
        }
        digest.update(json.dumps(body, ensure_ascii=False, sort_keys=True).encode())
        json.dump(
            {"licence": body.pop("licence"), "generated_at": _moment(timezone.now()), **body},
            text,
            ensure_ascii=False,
        )
    text.flush()
    text.detach()  # ``out`` stays open for the caller
    return digest.hexdigest()


def file_response(stored) -> FileResponse:
    """A built file (:class:`api.models.OpenDataFile`) as it is sent: streamed from the storage, CSV as a download
    and JSON inline, with the licence link. Raises ``FileNotFoundError`` when the storage lost the file."""
    response = FileResponse(
        stored.file.open("rb"),
        content_type=CONTENT_TYPES[stored.file_format],
        as_attachment=stored.file_format == "csv",
        filename=stored.download_name,
    )
    response["Link"] = f'<{LICENCE_URL}>; rel="license"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def being_built() -> JsonResponse:
    """The answer while a file that was never built before is being built by another request or the worker."""
    response = JsonResponse(
        {"detail": _("This file is being prepared right now. Please try again in a few seconds.")}, status=503
    )
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


# --- Views -----------------------------------------------------------------------------------------------


class AddressNamesFormat(BaseContentNegotiation):
    """The address names the format (``.csv``, ``.json``, ``.jsonld``), so the Accept header is not consulted: a
    client asking for ``text/csv`` gets the CSV, not a 406. Errors are the API's JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class DownloadMixin:
    file_format = "json"
    content_negotiation_class = AddressNamesFormat

    def town(self) -> Municipality | None:
        return None

    def download(self, request, dataset: str) -> HttpResponseBase:
        """The file the worker built (``api.opendata_files``), or 304 for a conditional GET it matches."""
        spec = DATASETS.get(dataset)
        if spec is None:
            raise NotFound(_("There is no such dataset."))
        town = self.town()
        from . import opendata_files

        response = send_stored(request, lambda: opendata_files.stored_file(spec, town, self.file_format))
        if response.status_code in (200, 304):
            # What the columns mean, their codes, the licence and the source: beside the file.
            response["Link"] = (
                f'<{LICENCE_URL}>; rel="license", <{datapackage_url(spec.key, town)}>; rel="describedby"'
            )
        return response


def send_stored(request, stored_file: Callable) -> HttpResponseBase:
    """Send a built file (``stored_file()`` gives its row, building one never built), or 304 for a conditional
    GET it matches, or 503 while it is being built for the first time."""
    from . import opendata_files

    for _attempt in range(2):
        stored = stored_file()
        if stored is None:
            return being_built()
        answer = not_modified(request._request, etag=stored.etag, last_modified=stored.last_modified)
        if answer is not None:
            break
        try:
            answer = file_response(stored)
            break
        except FileNotFoundError:
            opendata_files.forget(stored)  # the storage lost it (e.g. restored without media): built again
    else:
        return being_built()
    return _validators(answer, etag=stored.etag, last_modified=stored.last_modified)


class RegionDownload(DownloadMixin, LabelledAPIView):
    """All active towns in ``public_region_scope()`` (the file is built in it)."""


class TownDownload(DownloadMixin, TownScopedAPIView):
    """Runs in the town's scope (``TownScopedAPIView``), like the town's public pages; the file is built in it."""

    def town(self) -> Municipality | None:
        return self.municipality


# The schema: the JSON as a body discriminated by ``dataset``; the CSV as a file.


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
    },
)
DATASET_PARAMETER = OpenApiParameter(
    "dataset",
    str,
    OpenApiParameter.PATH,
    enum=list(DATASETS),
    description="projects, indicators (KPIs with measurements) or ideas",
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


def _json_schema(operation_id: str, summary: str):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=_DOWNLOAD_DOCS,
        parameters=[DATASET_PARAMETER, *CONDITIONAL],
        tags=["open data"],
        responses={200: DOWNLOAD_BODY, **NOT_MODIFIED, **ERRORS, **BEING_BUILT},
    )


def _csv_schema(operation_id: str, summary: str):
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


class RegionJSON(RegionDownload):
    """A dataset of all active towns as JSON (joint rows once)."""

    file_format = "json"

    @_json_schema("opendata_region_json", "Open data of the region as JSON")
    def get(self, request, *args, dataset: str, **kwargs):
        return self.download(request, dataset)


class RegionCSV(RegionDownload):
    """A dataset of all active towns as CSV (joint rows once)."""

    file_format = "csv"

    @_csv_schema("opendata_region_csv", "Open data of the region as CSV")
    def get(self, request, *args, dataset: str, **kwargs):
        return self.download(request, dataset)


class TownJSON(TownDownload):
    """A dataset of one town as JSON (its own and its joint projects and processes)."""

    file_format = "json"

    @_json_schema("opendata_town_json", "Open data of a town as JSON")
    def get(self, request, *args, dataset: str, **kwargs):
        return self.download(request, dataset)


class TownCSV(TownDownload):
    """A dataset of one town as CSV (its own and its joint projects and processes)."""

    file_format = "csv"

    @_csv_schema("opendata_town_csv", "Open data of a town as CSV")
    def get(self, request, *args, dataset: str, **kwargs):
        return self.download(request, dataset)


# --- The description of the files (Frictionless Data Package) -------------------------------------------

DATAPACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
RESOURCE_PROFILE = "https://datapackage.org/profiles/2.0/dataresource.json"
LIST_COLUMNS = ("partner_towns", "fields_of_action")


def _schema_field(field: Field) -> dict:
    described = {"name": field.name, "type": field.type, "description": str(field.description)}
    if field.name in LIST_COLUMNS:
        described.update(type="list", delimiter=LIST_SEPARATOR, itemType="string")
    if field.format:
        described["format"] = field.format
    if field.unit:
        described["unit"] = field.unit
    if field.required:
        described["constraints"] = {"required": True}
    if field.categories is not None:
        described["categories"] = field.categories()
    return described


def datapackage(dataset: Dataset, town: Municipality | None) -> dict:
    """The description of a dataset's CSV file: licence, source, attribution, dialect (UTF-8 without BOM, comma,
    CRLF, header row) and every column with its type, meaning, unit and codes (with their German labels)."""
    consortium = consortium_get()
    source = source_name(town, consortium)
    place = town.name if town else source_name(None, consortium)
    name = f"{town.slug if town else 'region'}-{dataset.file_stem}"
    licences = [{"name": LICENCE_ID, "path": LICENCE_URL, "title": LICENCE_NAME}]
    sources = [{"title": source, "path": (town.website if town and town.website else page_url())}]
    with translation.override("de"):
        return {
            "$schema": DATAPACKAGE_PROFILE,
            "name": name,
            "id": dataset_iri(dataset, town),
            "title": f"{dataset.title} – {place}",
            "description": str(dataset.description).format(place=place),
            "homepage": page_url(),
            "keywords": [str(word) for word in dataset.keywords],
            "licenses": licences,
            "sources": sources,
            "attribution": attribution(source),
            "resources": [
                {
                    "$schema": RESOURCE_PROFILE,
                    "name": name,
                    "path": site_url(download_url(None, dataset.key, "csv", town)),
                    "type": "table",
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "dialect": {
                        "header": True,
                        "delimiter": ",",
                        "lineTerminator": "\r\n",
                        "quoteChar": '"',
                        "doubleQuote": True,
                    },
                    "description": _(
                        "UTF-8 without byte order mark, comma-separated with a header row (RFC 4180). "
                        "Numbers use a decimal point, dates are YYYY-MM-DD, times ISO 8601 with offset. "
                        "Text that starts with =, +, - or @ begins with an apostrophe. The JSON file of the "
                        "same data has the same fields%(kpis)s."
                    )
                    % {
                        "kpis": _(" (the measurements of a KPI as a list)")
                        if dataset.key == "indicators"
                        else ""
                    },
                    "licenses": licences,
                    "sources": sources,
                    "schema": {
                        "fields": [_schema_field(field) for field in dataset.fields],
                        "primaryKey": list(dataset.primary_key),
                        "missingValues": [""],
                    },
                }
            ],
        }


class DataPackageMixin:
    content_negotiation_class = AddressNamesFormat

    def town(self) -> Municipality | None:
        return None

    def describe(self, request, dataset: str) -> HttpResponseBase:
        spec = DATASETS.get(dataset)
        if spec is None:
            raise NotFound(_("There is no such dataset."))
        content = json.dumps(datapackage(spec, self.town()), ensure_ascii=False, indent=1).encode()
        etag = content_etag(content)
        answer = not_modified(request._request, etag=etag, last_modified=None)
        if answer is None:
            answer = HttpResponse(content, content_type="application/json")
            answer["Link"] = f'<{LICENCE_URL}>; rel="license"'
        return _validators(answer, etag=etag, last_modified=None)


_DATAPACKAGE_DOCS = (
    "The description of the dataset's CSV file as a Frictionless Data Package (2.0): licence, "
    "source and attribution, the CSV dialect, and every column with its type, meaning, unit and "
    "codes (status, phase, towns, fields of action with their German labels). ETag and 304."
)


class RegionDataPackage(DataPackageMixin, LabelledAPIView):
    """The datapackage.json of a region-wide CSV file."""

    @extend_schema(
        operation_id="opendata_region_datapackage",
        summary="Description of a region CSV file",
        description=_DATAPACKAGE_DOCS,
        parameters=[DATASET_PARAMETER, *CONDITIONAL],
        tags=["open data"],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="datapackage.json"),
            **NOT_MODIFIED,
            **ERRORS,
        },
    )
    def get(self, request, *args, dataset: str, **kwargs):
        return self.describe(request, dataset)


class TownDataPackage(DataPackageMixin, TownScopedAPIView):
    """The datapackage.json of a town's CSV file."""

    def town(self) -> Municipality | None:
        return self.municipality

    @extend_schema(
        operation_id="opendata_town_datapackage",
        summary="Description of a town CSV file",
        description=_DATAPACKAGE_DOCS,
        parameters=[DATASET_PARAMETER, *CONDITIONAL],
        tags=["open data"],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="datapackage.json"),
            **NOT_MODIFIED,
            **ERRORS,
        },
    )
    def get(self, request, *args, dataset: str, **kwargs):
        return self.describe(request, dataset)


# --- The DCAT-AP.de catalogue ----------------------------------------------------------------------------

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatde": "http://dcat-ap.de/def/dcatde/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
LANGUAGES = ("de", "en")
LANGUAGE_URIS = (
    "http://publications.europa.eu/resource/authority/language/DEU",
    "http://publications.europa.eu/resource/authority/language/ENG",
)
THEMES = (
    "http://publications.europa.eu/resource/authority/data-theme/GOVE",  # government and public sector
    "http://publications.europa.eu/resource/authority/data-theme/REGI",
)  # regions and cities
THEME_TAXONOMY = "http://publications.europa.eu/resource/authority/data-theme"
FILE_TYPES = {
    "csv": "http://publications.europa.eu/resource/authority/file-type/CSV",
    "json": "http://publications.europa.eu/resource/authority/file-type/JSON",
}
MEDIA_TYPES = {
    "csv": "http://www.iana.org/assignments/media-types/text/csv",
    "json": "http://www.iana.org/assignments/media-types/application/json",
}
#: The files follow every change within minutes (and are rebuilt nightly): "continuously updated".
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/UPDATE_CONT"
#: The publishers are towns: a local authority in the ADMS publisher types.
PUBLISHER_TYPE = "http://purl.org/adms/publishertype/LocalAuthority"
GEOCODING_LEVEL_MUNICIPALITY = "http://dcat-ap.de/def/politicalGeocoding/Level/municipality"
#: The conventions of DCAT-AP.de name a town by its 12-digit regional key (ARS); the 8-digit AGS only where a town
#: has no ARS recorded.
GEOCODING_REGIONAL_KEY = "http://dcat-ap.de/def/politicalGeocoding/regionalKey/{ars}"
GEOCODING_MUNICIPALITY_KEY = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/{ags}"
CATALOGUE_MEDIA_TYPE = "application/ld+json"
CATALOGUE_RDF_MEDIA_TYPE = "application/rdf+xml"


def _texts(make: Callable[[], str]) -> list[dict]:
    """A literal in every language of the portal (``make`` is called with each language active)."""
    texts = []
    for language in LANGUAGES:
        with translation.override(language):
            texts.append({"@value": str(make()), "@language": language})
    return texts


def _modified(moment: datetime.datetime | None) -> dict | None:
    return None if moment is None else {"@value": _moment(moment), "@type": "xsd:dateTime"}


def _agent(name: str, homepage: str = "", *, authority: bool = False) -> dict:
    agent = {"@type": "foaf:Agent", "foaf:name": name}
    if homepage:
        agent["foaf:homepage"] = {"@id": homepage}
    if authority:
        agent["dct:type"] = {"@id": PUBLISHER_TYPE}
    return agent


def _town_agent(town: Municipality) -> dict:
    """A town as publisher: the legal body (its official name), a local authority."""
    return _agent(town.official_name or town.name, town.website, authority=True)


def _contact(town: Municipality) -> dict:
    """Whom to ask about the data (``dcat:contactPoint``): the town's contact address and its website (the
    conventions ask for an address or a telephone number; the portal's town page where no website is recorded)."""
    point = {
        "@type": "vcard:Organization",
        "vcard:fn": town.official_name or town.name,
        "vcard:hasURL": {"@id": town.website or site_url(town.get_absolute_url())},
    }
    if town.contact_email:
        point["vcard:hasEmail"] = {"@id": f"mailto:{town.contact_email}"}
    return point


def geocoding_uri(town: Municipality) -> str | None:
    """The town in DCAT-AP.de's political geocoding: its regional key (ARS), else its municipality key (AGS)."""
    if town.ars:
        return GEOCODING_REGIONAL_KEY.format(ars=town.ars)
    if town.ags:
        return GEOCODING_MUNICIPALITY_KEY.format(ags=town.ags)
    return None


def _location(town: Municipality) -> dict:
    uri = geocoding_uri(town)
    return {"@id": uri} if uri else {"@type": "dct:Location", "skos:prefLabel": town.name}


def page_url() -> str:
    return site_url(reverse("opendata:index"))


def dataset_iri(dataset: Dataset, town: Municipality | None) -> str:
    """The dataset's IRI (also its ``dct:identifier``): on the open data page under ``SITE_HOST``, where the
    table cell of the dataset carries the fragment as its id."""
    return f"{page_url()}#{town.slug if town else 'region'}-{dataset.key}"


def datapackage_url(dataset: str, town: Municipality | None) -> str:
    if town is None:
        return site_url(reverse("api:opendata-datapackage", kwargs={"dataset": dataset}))
    return site_url(
        reverse("api:town-opendata-datapackage", kwargs={"dataset": dataset, "town_slug": town.slug})
    )


@dataclass(frozen=True)
class Dates:
    """When a dataset's files were first published and last changed (from the built files)."""

    issued: datetime.datetime | None
    modified: datetime.datetime | None


def _catalogue_dataset(
    dataset: Dataset, town: Municipality | None, towns: list, consortium, lead, dates: Dates
) -> dict:
    place = town.name if town else source_name(None, consortium)
    by_text = attribution(source_name(town, consortium))
    modified = _modified(dates.modified)
    iri = dataset_iri(dataset, town)
    covered = [town] if town else towns
    geocoded = [uri for uri in (geocoding_uri(t) for t in covered) if uri]
    publisher_town = town or lead
    entry = {
        "@id": iri,
        "@type": "dcat:Dataset",
        "dct:identifier": iri,
        "dct:title": _texts(lambda: f"{dataset.title} – {place}"),
        "dct:description": _texts(lambda: str(dataset.description).format(place=place)),
        # The region's files are published by the lead town for the consortium (the project is no legal body).
        "dct:publisher": (
            _town_agent(publisher_town) if publisher_town else _agent(source_name(None, consortium))
        ),
        "dcatde:contributorID": {"@id": settings.OPENDATA_CONTRIBUTOR_ID},
        "dct:license": {"@id": LICENCE_DCAT_URI},
        "dcatde:licenseAttributionByText": by_text,
        "dcat:theme": [{"@id": theme} for theme in THEMES],
        "dct:spatial": [_location(t) for t in covered],
        "dct:language": [{"@id": uri} for uri in LANGUAGE_URIS],
        "dct:accrualPeriodicity": {"@id": FREQUENCY},
        "dcat:keyword": [
            keyword
            for word in (*dataset.keywords, gettext_lazy("Smart City"))
            for keyword in _texts(lambda word=word: word)
        ]
        + [{"@value": place, "@language": language} for language in LANGUAGES],
        "dcat:landingPage": {"@id": page_url()},
        "dcat:distribution": [
            {
                "@id": f"{iri}-{file_format}",
                "@type": "dcat:Distribution",
                "dct:title": _texts(
                    lambda file_format=file_format: f"{dataset.title} – {place} ({file_format.upper()})"
                ),
                "dcat:accessURL": {"@id": site_url(download_url(None, dataset.key, file_format, town))},
                "dcat:downloadURL": {"@id": site_url(download_url(None, dataset.key, file_format, town))},
                "dcat:mediaType": {"@id": MEDIA_TYPES[file_format]},
                "dct:format": {"@id": FILE_TYPES[file_format]},
                "dct:license": {"@id": LICENCE_DCAT_URI},
                "dcatde:licenseAttributionByText": by_text,
                # The columns, their types, codes and units (Frictionless Data Package).
                "dct:conformsTo": {"@id": datapackage_url(dataset.key, town)},
                **({"dct:modified": modified} if modified else {}),
            }
            for file_format in FORMATS
        ],
    }
    if publisher_town:
        entry["dcat:contactPoint"] = _contact(publisher_town)
    if dates.issued:
        entry["dct:issued"] = _modified(dates.issued)
    if modified:
        entry["dct:modified"] = modified
    if geocoded:
        entry["dcatde:politicalGeocodingLevelURI"] = {"@id": GEOCODING_LEVEL_MUNICIPALITY}
        entry["dcatde:politicalGeocodingURI"] = [{"@id": uri} for uri in geocoded]
    return entry


def catalogue(file_dates: dict | None = None) -> dict:
    """The dcat:Catalog: one dcat:Dataset per town (and the region) and dataset, each with a CSV and a JSON
    distribution. Each town's freshness is read in its own scope, the region's in ``public_region_scope()``: a
    fixed number of queries per town. ``file_dates`` ((scope key, dataset) → :class:`Dates` of the built files)
    dates the datasets whose files exist as their files are dated."""
    from .models import scope_key

    file_dates = file_dates or {}
    consortium = consortium_get()
    towns = list(Municipality.objects.active().order_by("name"))
    scopes = []
    for town in towns:
        with town_scope(town):
            scopes.append((town, selectors.all_freshness()))
    with public_region_scope():
        scopes.insert(0, (None, selectors.all_freshness()))
    dated = []
    for town, freshness in scopes:
        dates = {}
        for key, fresh in freshness.items():
            built = file_dates.get((scope_key(town), key))
            issued = built.issued if built else None
            # A dataset without rows (yet) is dated by its first publication.
            dates[key] = Dates(
                issued=issued,
                modified=(built.modified if built and built.modified else None)
                or fresh.last_modified
                or issued,
            )
        dated.append((town, dates))
    lead = lead_town() if consortium is not None else None
    datasets = [
        _catalogue_dataset(dataset, town, towns, consortium, lead, dates[dataset.key])
        for town, dates in dated
        for dataset in DATASETS.values()
    ]
    publisher = (
        consortium.coordinator
        if consortium is not None and consortium.coordinator
        else source_name(lead, consortium)
    )
    newest = selectors.latest(*(d.modified for _town, dates in dated for d in dates.values()))
    name = source_name(None, consortium)
    body = {
        "@context": CONTEXT,
        "@id": f"{page_url()}#catalog",
        "@type": "dcat:Catalog",
        "dct:title": _texts(
            lambda: _("Open data of the Smart City model project “%(name)s”") % {"name": name}
        ),
        "dct:description": _texts(
            lambda: (
                _(
                    "Public projects, their key performance indicators and the published citizens' ideas of the towns of "
                    "“%(name)s”, per town and for the whole region, as CSV and JSON under the Datenlizenz Deutschland – "
                    "Namensnennung – Version 2.0. No personal data."
                )
                % {"name": name}
            )
        ),
        "dct:publisher": _agent(publisher),
        "foaf:homepage": {"@id": page_url()},
        "dct:language": [{"@id": uri} for uri in LANGUAGE_URIS],
        "dct:license": {"@id": LICENCE_DCAT_URI},
        "dcat:themeTaxonomy": {"@id": THEME_TAXONOMY},
        "dcat:dataset": datasets,
    }
    if newest is not None:
        body["dct:modified"] = _modified(newest)
    return body


# --- RDF/XML: the same graph for harvesters that do not read JSON-LD ------------------------------------

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_NS = "http://www.w3.org/XML/1998/namespace"


def _expand(term: str) -> str:
    prefix, _colon, local = term.partition(":")
    return CONTEXT[prefix] + local if prefix in CONTEXT else term


def _tag(term: str) -> str:
    prefix, _colon, local = term.partition(":")
    return f"{{{CONTEXT[prefix]}}}{local}"


def _rdf_node(parent: ElementTree.Element, node: dict) -> None:
    """A node object of the JSON-LD as a node element (typed by its first type), nested where it is used."""
    types = node.get("@type") or []
    types = [types] if isinstance(types, str) else list(types)
    element = ElementTree.SubElement(parent, _tag(types[0]) if types else f"{{{RDF_NS}}}Description")
    if "@id" in node:
        element.set(f"{{{RDF_NS}}}about", node["@id"])
    for extra in types[1:]:
        ElementTree.SubElement(element, f"{{{RDF_NS}}}type").set(f"{{{RDF_NS}}}resource", _expand(extra))
    for key, values in node.items():
        if key.startswith("@"):
            continue
        for value in values if isinstance(values, list) else [values]:
            prop = ElementTree.SubElement(element, _tag(key))
            if isinstance(value, str):
                prop.text = value
            elif "@value" in value:
                prop.text = str(value["@value"])
                if "@language" in value:
                    prop.set(f"{{{XML_NS}}}lang", value["@language"])
                if "@type" in value:
                    prop.set(f"{{{RDF_NS}}}datatype", _expand(value["@type"]))
            elif set(value) == {"@id"}:
                prop.set(f"{{{RDF_NS}}}resource", value["@id"])
            else:
                _rdf_node(prop, value)


def rdf_xml(body: dict) -> bytes:
    """The catalogue (as :func:`catalogue` gives it: compact JSON-LD with the prefixes of ``CONTEXT``) as
    RDF/XML."""
    for prefix, namespace in (("rdf", RDF_NS), *CONTEXT.items()):
        ElementTree.register_namespace(prefix, namespace)
    root = ElementTree.Element(f"{{{RDF_NS}}}RDF")
    _rdf_node(root, body)
    ElementTree.indent(root, space=" ")
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


class Catalogue(LabelledAPIView):
    """The DCAT-AP.de description of every open data download (JSON-LD), for open data portals to harvest."""

    content_negotiation_class = AddressNamesFormat

    @extend_schema(
        operation_id="opendata_catalog",
        summary="DCAT-AP.de catalogue of the open data (JSON-LD)",
        tags=["open data"],
        parameters=CONDITIONAL,
        description="A dcat:Catalog with one dcat:Dataset per town and for the region × dataset (projects, "
        "indicators, ideas), each with its IRI as identifier, publisher (the town; for the region the "
        "lead town), contact point, contributor ID, licence (dl-de/by-2-0), attribution text, themes, "
        "spatial coverage and political geocoding (regional keys), dates of publication and of the "
        "last change, update frequency and a CSV and a JSON dcat:Distribution. The same graph as "
        "RDF/XML: catalog.rdf. Addresses are on the portal's host (SITE_HOST).",
        responses={
            (200, CATALOGUE_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.OBJECT, description="JSON-LD"),
            **NOT_MODIFIED,
            **ERRORS,
            **BEING_BUILT,
        },
    )
    def get(self, request, *args, **kwargs):
        from . import opendata_files

        return send_stored(request, lambda: opendata_files.stored_catalogue("jsonld"))


class CatalogueRDF(LabelledAPIView):
    """The DCAT-AP.de catalogue as RDF/XML (the same graph as ``catalog.jsonld``)."""

    content_negotiation_class = AddressNamesFormat

    @extend_schema(
        operation_id="opendata_catalog_rdf",
        summary="DCAT-AP.de catalogue of the open data (RDF/XML)",
        tags=["open data"],
        parameters=CONDITIONAL,
        description="The graph of catalog.jsonld as RDF/XML, for harvesters that read RDF/XML only.",
        responses={
            (200, CATALOGUE_RDF_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.STR, description="RDF/XML"),
            **NOT_MODIFIED,
            **ERRORS,
            **BEING_BUILT,
        },
    )
    def get(self, request, *args, **kwargs):
        from . import opendata_files

        return send_stored(request, lambda: opendata_files.stored_catalogue("rdf"))


def catalogue_contents(file_dates: dict | None = None) -> tuple[dict[str, bytes], datetime.datetime | None]:
    """The catalogue as JSON-LD and as RDF/XML (format → bytes), and its newest ``dct:modified``."""
    body = catalogue(file_dates)
    newest = body.get("dct:modified")
    return (
        {"jsonld": json.dumps(body, ensure_ascii=False, indent=1).encode(), "rdf": rdf_xml(body)},
        datetime.datetime.fromisoformat(newest["@value"]) if newest else None,
    )


def content_etag(content: bytes) -> str:
    return quote_etag(hashlib.sha256(content).hexdigest()[:32])


# Mounted under /api/v1/ (region-wide) and /api/v1/towns/<town_slug>/ (per town) by api/urls.py.
api_urlpatterns: list = [
    path("opendata/catalog.jsonld", Catalogue.as_view(), name="opendata-catalog"),
    path("opendata/catalog.rdf", CatalogueRDF.as_view(), name="opendata-catalog-rdf"),
    path(
        "opendata/<slug:dataset>.datapackage.json", RegionDataPackage.as_view(), name="opendata-datapackage"
    ),
    path("opendata/<slug:dataset>.csv", RegionCSV.as_view(), name="opendata-csv"),
    path("opendata/<slug:dataset>.json", RegionJSON.as_view(), name="opendata-json"),
]
town_urlpatterns: list = [
    path(
        "opendata/<slug:dataset>.datapackage.json",
        TownDataPackage.as_view(),
        name="town-opendata-datapackage",
    ),
    path("opendata/<slug:dataset>.csv", TownCSV.as_view(), name="town-opendata-csv"),
    path("opendata/<slug:dataset>.json", TownJSON.as_view(), name="town-opendata-json"),
]
