"""Open data downloads (CSV/JSON) of public projects, KPIs and ideas, per town and for the region, under the
Datenlizenz Deutschland – Namensnennung 2.0, and their DCAT-AP.de catalogue (JSON-LD).

Addresses (inside the API's namespace): ``/api/v1/towns/<town>/opendata/<dataset>.csv|.json`` (the town's scope:
joint projects and processes appear in every partner town), ``/api/v1/opendata/<dataset>.csv|.json`` (all active
towns in ``public_region_scope()``, each joint row once) and ``/api/v1/opendata/catalog.jsonld``. Public rows
only (``api.opendata_selectors``), no personal data: no authors, no e-mail addresses, no names of persons.
"""

import csv
import dataclasses
import datetime
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
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
from municipalities.selectors import consortium_get, municipality_lead
from participation.models import Idea
from projects.models import Project
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
    return {"id": LICENCE_ID, "name": LICENCE_NAME, "url": LICENCE_URL, "uri": LICENCE_DCAT_URI,
            "attribution": attribution(source)}


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
        return format(Decimal(str(value)).normalize(), "f")
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
        "measurements": [{"measured_on": _day(m.measured_on), "value": _number(m.value)}
                         for m in indicator.measurements.all()],
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
    kpi = [item["id"], item["project"], item["name"], item["unit"], item["baseline"], item["baseline_date"],
           item["target"], item["target_date"]]
    for measurement in item["measurements"] or [{"measured_on": None, "value": None}]:
        yield [*kpi, measurement["measured_on"], measurement["value"]]


@dataclass(frozen=True)
class Dataset:
    key: str
    file_stem: str  # German, for the file names
    title: str
    description: str  # with {place}
    keywords: tuple
    columns: tuple[str, ...]
    rows: Callable[[], Iterable]
    freshness: Callable[[], selectors.Freshness]
    item: Callable[[Any, Context], dict]
    csv_rows: Callable[[dict, tuple[str, ...]], Iterator[list]] = _one_row


DATASETS: dict[str, Dataset] = {dataset.key: dataset for dataset in (
    Dataset(
        key="projects", file_stem="projekte", title=gettext_lazy("Projects"),
        description=gettext_lazy("The public projects (measures) of {place} in the Smart City model project: status, "
                                 "programme phase, lead and partner towns, fields of action, planned and actual "
                                 "dates, progress and the address of each project's page."),
        keywords=(gettext_lazy("projects"), gettext_lazy("measures")),
        columns=("slug", "title", "summary", "status", "phase", "lead_town", "partner_towns", "fields_of_action",
                 "planned_start", "planned_end", "actual_start", "actual_end", "progress_percent", "last_update_on",
                 "updated_at", "url"),
        rows=selectors.public_projects, freshness=selectors.projects_freshness, item=project_item),
    Dataset(
        key="indicators", file_stem="kennzahlen", title=gettext_lazy("Key performance indicators"),
        description=gettext_lazy("The key performance indicators (KPIs) of the public projects of {place} with "
                                 "baseline, target and every measurement (in the CSV file one row per "
                                 "measurement)."),
        keywords=(gettext_lazy("key performance indicators"), gettext_lazy("measurements")),
        columns=("indicator_id", "project", "name", "unit", "baseline", "baseline_date", "target", "target_date",
                 "measured_on", "value"),
        rows=selectors.public_indicators, freshness=selectors.indicators_freshness, item=indicator_item,
        csv_rows=_measurement_rows),
    Dataset(
        key="ideas", file_stem="ideen", title=gettext_lazy("Citizens' ideas"),
        description=gettext_lazy("The published ideas of the public participation processes of {place}: status, "
                                 "field of action, place, supports, comments and the latest official answer. No "
                                 "personal data: authors are not included."),
        keywords=(gettext_lazy("citizen participation"), gettext_lazy("ideas")),
        columns=("id", "town", "process", "title", "status", "field_of_action", "location_label", "latitude",
                 "longitude", "is_offline", "support_count", "comment_count", "created_on", "official_answer",
                 "answered_on", "url"),
        rows=selectors.published_ideas, freshness=selectors.ideas_freshness, item=idea_item),
)}
FORMATS = ("csv", "json")
CHUNK = 500
CACHE_CONTROL = "public, max-age=300"
#: Seconds a client is asked to wait (``Retry-After``) while a file that was never built is being built.
RETRY_AFTER = 10
#: Changes whenever the columns or the JSON shape change, so that cached copies are not reused.
FORMAT_VERSION = "1"


def file_name(dataset: Dataset, town: Municipality | None, file_format: str) -> str:
    return f"{town.slug if town else 'region'}-{dataset.file_stem}-{timezone.localdate().isoformat()}.{file_format}"


def download_url(request, dataset: str, file_format: str, town: Municipality | None = None) -> str:
    if town is None:
        address = reverse(f"api:opendata-{file_format}", kwargs={"dataset": dataset})
    else:
        address = reverse(f"api:town-opendata-{file_format}", kwargs={"dataset": dataset, "town_slug": town.slug})
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
    answer = get_conditional_response(request, etag=etag, response=probe, last_modified=(
        int(last_modified.timestamp()) if last_modified is not None else None))
    return None if answer is probe else answer


def dataset_etag(dataset: Dataset, file_format: str, town: Municipality | None,
                 freshness: selectors.Freshness) -> str:
    # Weak: the JSON's generated_at differs between two answers with the same rows.
    raw = "|".join((FORMAT_VERSION, dataset.key, file_format, town.slug if town else "", freshness.token))
    return "W/" + quote_etag(hashlib.sha256(raw.encode()).hexdigest()[:32])


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json", "jsonld": "application/ld+json"}


def write_download(out: BinaryIO, dataset: Dataset, file_format: str, town: Municipality | None) -> None:
    """Write the file to ``out`` (binary), read in the caller's scope; rows are read in chunks with their related
    rows prefetched. Addresses in it are absolute on ``SITE_HOST``: the file is built by the worker, not for one
    request."""
    ctx = Context(base=site_url(), town=town)
    items = (dataset.item(obj, ctx) for obj in dataset.rows().iterator(chunk_size=CHUNK))
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    if file_format == "csv":
        text.write("\ufeff")  # so that spreadsheet programs read UTF-8
        writer = csv.writer(text)  # RFC 4180: comma, double quotes where needed, CRLF
        writer.writerow(dataset.columns)
        for item in items:
            writer.writerows([csv_cell(value) for value in row] for row in dataset.csv_rows(item, dataset.columns))
    else:
        rows = list(items)
        json.dump({
            "licence": licence(source_name(town, None if town else consortium_get())),
            "generated_at": _moment(timezone.now()),
            "dataset": dataset.key,
            "town": None if town is None else {"slug": town.slug, "name": town.name,
                                               "official_name": town.official_name},
            "count": len(rows),
            "items": rows,
        }, text, ensure_ascii=False)
    text.flush()
    text.detach()  # ``out`` stays open for the caller


def file_response(stored) -> FileResponse:
    """A built file (:class:`api.models.OpenDataFile`) as it is sent: streamed from the storage, CSV as a download
    and JSON inline, with the licence link. Raises ``FileNotFoundError`` when the storage lost the file."""
    response = FileResponse(stored.file.open("rb"), content_type=CONTENT_TYPES[stored.file_format],
                            as_attachment=stored.file_format == "csv", filename=stored.download_name)
    response["Link"] = f'<{LICENCE_URL}>; rel="license"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def being_built() -> JsonResponse:
    """The answer while a file that was never built before is being built by another request or the worker."""
    response = JsonResponse({"detail": _("This file is being prepared right now. Please try again in a few "
                                         "seconds.")}, status=503)
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

        return send_stored(request, lambda: opendata_files.stored_file(spec, town, self.file_format))


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
        type(f"Fixed{value.title()}Field", (serializers.CharField,), {}))()


class LicenceSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    url = serializers.URLField()
    uri = serializers.URLField(help_text="The licence in the DCAT-AP.de vocabulary.")
    attribution = serializers.CharField(help_text="The attribution the licence requires when the data are used.")


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
    return type(name, (serializers.Serializer,), {
        "licence": LicenceSerializer(),
        "generated_at": serializers.DateTimeField(),
        "dataset": _fixed(key),
        "town": TownRefSerializer(allow_null=True, help_text="The town; null for the region."),
        "count": serializers.IntegerField(),
        "items": item_serializer(many=True),
        "__doc__": f"The {key} download with its licence.",
    })


DOWNLOAD_BODY = PolymorphicProxySerializer(
    component_name="OpenDataDownload", resource_type_field_name="dataset", serializers={
        "projects": _envelope("OpenDataProjects", "projects", OpenDataProjectSerializer),
        "indicators": _envelope("OpenDataIndicators", "indicators", OpenDataIndicatorSerializer),
        "ideas": _envelope("OpenDataIdeas", "ideas", OpenDataIdeaSerializer),
    })
DATASET_PARAMETER = OpenApiParameter("dataset", str, OpenApiParameter.PATH, enum=list(DATASETS),
                                     description="projects, indicators (KPIs with measurements) or ideas")
NOT_MODIFIED = {304: OpenApiResponse(description="Not modified (If-None-Match or If-Modified-Since matched).")}
BEING_BUILT = {503: OpenApiResponse(ErrorSerializer, description="The file has never been built and is being "
                                                                 "built right now; see Retry-After.")}
CONDITIONAL = [
    OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False,
                     description="An ETag of an earlier answer: 304 while the rows are unchanged."),
    OpenApiParameter("If-Modified-Since", str, OpenApiParameter.HEADER, required=False,
                     description="An HTTP date: 304 unless a row changed since."),
]
_DOWNLOAD_DOCS = ("Public rows only, no personal data, under the Datenlizenz Deutschland – Namensnennung 2.0 "
                  "(dl-de/by-2-0). A file built by the portal's worker shortly after the data change (and "
                  "nightly), sent as it is. Sends ETag and Last-Modified (the newest change of the rows in the "
                  "file) and answers conditional requests with 304; Cache-Control: public, max-age=300.")


def _json_schema(operation_id: str, summary: str):
    return extend_schema(operation_id=operation_id, summary=summary, description=_DOWNLOAD_DOCS,
                         parameters=[DATASET_PARAMETER, *CONDITIONAL], tags=["open data"],
                         responses={200: DOWNLOAD_BODY, **NOT_MODIFIED, **ERRORS, **BEING_BUILT})


def _csv_schema(operation_id: str, summary: str):
    return extend_schema(
        operation_id=operation_id, summary=summary, parameters=[DATASET_PARAMETER, *CONDITIONAL], tags=["open data"],
        description=_DOWNLOAD_DOCS + " UTF-8 with BOM, comma-separated with a header row (RFC 4180); the columns "
                                     "are the JSON fields (KPIs: one row per measurement), lists are joined with "
                                     "'|', text starting with = + - @ gets a leading apostrophe.",
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV file."),
                   **NOT_MODIFIED, **ERRORS, **BEING_BUILT})


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


# --- The DCAT-AP.de catalogue ----------------------------------------------------------------------------

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatde": "http://dcat-ap.de/def/dcatde/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
LANGUAGES = ("de", "en")
LANGUAGE_URIS = ("http://publications.europa.eu/resource/authority/language/DEU",
                 "http://publications.europa.eu/resource/authority/language/ENG")
THEMES = ("http://publications.europa.eu/resource/authority/data-theme/GOVE",  # government and public sector
          "http://publications.europa.eu/resource/authority/data-theme/REGI")  # regions and cities
THEME_TAXONOMY = "http://publications.europa.eu/resource/authority/data-theme"
FILE_TYPES = {"csv": "http://publications.europa.eu/resource/authority/file-type/CSV",
              "json": "http://publications.europa.eu/resource/authority/file-type/JSON"}
MEDIA_TYPES = {"csv": "http://www.iana.org/assignments/media-types/text/csv",
               "json": "http://www.iana.org/assignments/media-types/application/json"}
GEOCODING_LEVEL_MUNICIPALITY = "http://dcat-ap.de/def/politicalGeocoding/Level/municipality"
GEOCODING_MUNICIPALITY_KEY = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/{ags}"
CATALOGUE_MEDIA_TYPE = "application/ld+json"


def _texts(make: Callable[[], str]) -> list[dict]:
    """A literal in every language of the portal (``make`` is called with each language active)."""
    texts = []
    for language in LANGUAGES:
        with translation.override(language):
            texts.append({"@value": str(make()), "@language": language})
    return texts


def _modified(moment: datetime.datetime | None) -> dict | None:
    return None if moment is None else {"@value": _moment(moment), "@type": "xsd:dateTime"}


def _agent(name: str, homepage: str = "") -> dict:
    agent = {"@type": "foaf:Agent", "foaf:name": name}
    if homepage:
        agent["foaf:homepage"] = {"@id": homepage}
    return agent


def _location(town: Municipality) -> dict:
    location = {"@type": "dct:Location", "skos:prefLabel": town.name}
    if town.ags:
        location["@id"] = GEOCODING_MUNICIPALITY_KEY.format(ags=town.ags)
    return location


def _catalogue_dataset(base: str, dataset: Dataset, town: Municipality | None, towns: list, consortium,
                       freshness: selectors.Freshness) -> dict:
    place = town.name if town else source_name(None, consortium)
    by_text = attribution(source_name(town, consortium))
    modified = _modified(freshness.last_modified)
    identifier = f"{town.slug if town else 'region'}-{dataset.key}"
    entry = {
        "@id": f"{base}#{identifier}",
        "@type": "dcat:Dataset",
        "dct:identifier": identifier,
        "dct:title": _texts(lambda: f"{dataset.title} – {place}"),
        "dct:description": _texts(lambda: str(dataset.description).format(place=place)),
        "dct:publisher": (_agent(town.official_name or town.name, town.website) if town
                          else _agent(source_name(None, consortium))),
        "dct:license": {"@id": LICENCE_DCAT_URI},
        "dcatde:licenseAttributionByText": by_text,
        "dcat:theme": [{"@id": theme} for theme in THEMES],
        "dct:spatial": _location(town) if town else [_location(t) for t in towns],
        "dcat:keyword": [keyword for word in (*dataset.keywords, gettext_lazy("Smart City"))
                         for keyword in _texts(lambda word=word: word)] + [
            {"@value": place, "@language": language} for language in LANGUAGES],
        "dcat:landingPage": {"@id": site_url(reverse("opendata:index"))},
        "dcat:distribution": [{
            "@id": f"{base}#{identifier}-{file_format}",
            "@type": "dcat:Distribution",
            "dct:title": _texts(lambda file_format=file_format: f"{dataset.title} – {place} ({file_format.upper()})"),
            "dcat:accessURL": {"@id": site_url(download_url(None, dataset.key, file_format, town))},
            "dcat:downloadURL": {"@id": site_url(download_url(None, dataset.key, file_format, town))},
            "dcat:mediaType": {"@id": MEDIA_TYPES[file_format]},
            "dct:format": {"@id": FILE_TYPES[file_format]},
            "dct:license": {"@id": LICENCE_DCAT_URI},
            "dcatde:licenseAttributionByText": by_text,
            **({"dct:modified": modified} if modified else {}),
        } for file_format in FORMATS],
    }
    if modified:
        entry["dct:modified"] = modified
    if town and town.ags:
        entry["dcatde:politicalGeocodingLevelURI"] = {"@id": GEOCODING_LEVEL_MUNICIPALITY}
        entry["dcatde:politicalGeocodingURI"] = {"@id": GEOCODING_MUNICIPALITY_KEY.format(ags=town.ags)}
    return entry


def catalogue(file_dates: dict | None = None) -> dict:
    """The dcat:Catalog: one dcat:Dataset per town (and the region) and dataset, each with a CSV and a JSON
    distribution. Each town's freshness is read in its own scope, the region's in ``public_region_scope()``: a
    fixed number of queries per town. ``file_dates`` ((scope key, dataset) → Last-Modified of the built files)
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
    scopes = [(town, {key: dataclasses.replace(f, last_modified=file_dates.get((scope_key(town), key),
                                                                               f.last_modified))
                      for key, f in freshness.items()}) for town, freshness in scopes]
    base = site_url(reverse("api:opendata-catalog"))
    datasets = [_catalogue_dataset(base, dataset, town, towns, consortium, freshness[dataset.key])
                for town, freshness in scopes for dataset in DATASETS.values()]
    lead = municipality_lead(consortium=consortium)
    publisher = (consortium.coordinator if consortium is not None and consortium.coordinator
                 else source_name(lead, consortium))
    newest = selectors.latest(*(f.last_modified for _town, freshness in scopes for f in freshness.values()))
    name = source_name(None, consortium)
    body = {
        "@context": CONTEXT,
        "@id": base,
        "@type": "dcat:Catalog",
        "dct:title": _texts(lambda: _("Open data of the Smart City model project “%(name)s”") % {"name": name}),
        "dct:description": _texts(lambda: _(
            "Public projects, their key performance indicators and the published citizens' ideas of the towns of "
            "“%(name)s”, per town and for the whole region, as CSV and JSON under the Datenlizenz Deutschland – "
            "Namensnennung – Version 2.0. No personal data.") % {"name": name}),
        "dct:publisher": _agent(publisher),
        "foaf:homepage": {"@id": site_url(reverse("opendata:index"))},
        "dct:language": [{"@id": uri} for uri in LANGUAGE_URIS],
        "dct:license": {"@id": LICENCE_DCAT_URI},
        "dcat:themeTaxonomy": {"@id": THEME_TAXONOMY},
        "dcat:dataset": datasets,
    }
    if newest is not None:
        body["dct:modified"] = _modified(newest)
    return body


class Catalogue(LabelledAPIView):
    """The DCAT-AP.de description of every open data download (JSON-LD), for open data portals to harvest."""

    content_negotiation_class = AddressNamesFormat

    @extend_schema(
        operation_id="opendata_catalog", summary="DCAT-AP.de catalogue of the open data (JSON-LD)",
        tags=["open data"], parameters=CONDITIONAL,
        description="A dcat:Catalog with one dcat:Dataset per town and for the region × dataset (projects, "
                    "indicators, ideas), each with publisher, licence (dl-de/by-2-0), attribution text, themes, "
                    "spatial coverage, date of the last change and a CSV and a JSON dcat:Distribution.",
        responses={(200, CATALOGUE_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.OBJECT, description="JSON-LD"),
                   **NOT_MODIFIED, **ERRORS, **BEING_BUILT})
    def get(self, request, *args, **kwargs):
        from . import opendata_files

        return send_stored(request, opendata_files.stored_catalogue)


def write_catalogue(out: BinaryIO, file_dates: dict | None = None) -> tuple[str, datetime.datetime | None]:
    """Write the catalogue (JSON-LD) to ``out``; returns its (strong) ETag and its newest ``dct:modified``."""
    body = catalogue(file_dates)
    content = json.dumps(body, ensure_ascii=False, indent=1).encode()
    out.write(content)
    newest = body.get("dct:modified")
    return (quote_etag(hashlib.sha256(content).hexdigest()[:32]),
            datetime.datetime.fromisoformat(newest["@value"]) if newest else None)


# Mounted under /api/v1/ (region-wide) and /api/v1/towns/<town_slug>/ (per town) by api/urls.py.
api_urlpatterns: list = [
    path("opendata/catalog.jsonld", Catalogue.as_view(), name="opendata-catalog"),
    path("opendata/<slug:dataset>.csv", RegionCSV.as_view(), name="opendata-csv"),
    path("opendata/<slug:dataset>.json", RegionJSON.as_view(), name="opendata-json"),
]
town_urlpatterns: list = [
    path("opendata/<slug:dataset>.csv", TownCSV.as_view(), name="town-opendata-csv"),
    path("opendata/<slug:dataset>.json", TownJSON.as_view(), name="town-opendata-json"),
]
