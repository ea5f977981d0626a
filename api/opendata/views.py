"""The open data views: the CSV and JSON downloads (built files, sent with their validators), the
datapackage.json of each dataset and the DCAT-AP.de catalogue (JSON-LD and RDF/XML)."""

import json
from collections.abc import Callable

from django.http import HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation

from municipalities.models import Municipality

from ..base import LabelledAPIView, TownScopedAPIView
from ..schema import ERRORS
from . import files
from .datapackage import datapackage
from .datasets import DATASETS, datapackage_url
from .dcat import CATALOGUE_MEDIA_TYPE, CATALOGUE_RDF_MEDIA_TYPE
from .downloads import being_built, content_etag, file_response, not_modified, with_validators
from .licence import LICENCE_URL
from .schema import (
    BEING_BUILT,
    CONDITIONAL,
    DATAPACKAGE_DOCS,
    DATASET_PARAMETER,
    NOT_MODIFIED,
    csv_download_schema,
    json_download_schema,
)

# --- Downloads -------------------------------------------------------------------------------------------


class AddressNamesFormat(BaseContentNegotiation):
    """The address names the format (``.csv``, ``.json``, ``.jsonld``), so the Accept header is not consulted: a
    client asking for ``text/csv`` gets the CSV, not a 406. Errors are the API's JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class DownloadMixin:
    file_format = "json"
    content_negotiation_class: type[BaseContentNegotiation] = AddressNamesFormat

    def town(self) -> Municipality | None:
        return None

    def download(self, request, dataset: str) -> HttpResponseBase:
        """The file the worker built (``api.opendata.files``), or 304 for a conditional GET it matches."""
        spec = DATASETS.get(dataset)
        if spec is None:
            raise NotFound(_("There is no such dataset."))
        town = self.town()
        response = send_stored(request, lambda: files.stored_file(spec, town, self.file_format))
        if response.status_code in (200, 304):
            # What the columns mean, their codes, the licence and the source: beside the file.
            response["Link"] = (
                f'<{LICENCE_URL}>; rel="license", <{datapackage_url(spec.key, town)}>; rel="describedby"'
            )
        return response


def send_stored(request, stored_file: Callable) -> HttpResponseBase:
    """Send a built file (``stored_file()`` gives its row, building one never built), or 304 for a conditional
    GET it matches, or 503 while it is being built for the first time."""
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
            files.forget(stored)  # the storage lost it (e.g. restored without media): built again
    else:
        return being_built()
    return with_validators(answer, etag=stored.etag, last_modified=stored.last_modified)


class RegionDownload(DownloadMixin, LabelledAPIView):
    """All active towns in ``public_region_scope()`` (the file is built in it)."""


class TownDownload(DownloadMixin, TownScopedAPIView):
    """Runs in the town's scope (``TownScopedAPIView``), like the town's public pages; the file is built in it."""

    def town(self) -> Municipality | None:
        return self.municipality


class RegionJSON(RegionDownload):
    """A dataset of all active towns as JSON (joint rows once)."""

    file_format = "json"

    @json_download_schema("opendata_region_json", "Open data of the region as JSON")
    def get(self, request, *args, dataset: str, **kwargs):
        return self.download(request, dataset)


class RegionCSV(RegionDownload):
    """A dataset of all active towns as CSV (joint rows once)."""

    file_format = "csv"

    @csv_download_schema("opendata_region_csv", "Open data of the region as CSV")
    def get(self, request, *args, dataset: str, **kwargs):
        return self.download(request, dataset)


class TownJSON(TownDownload):
    """A dataset of one town as JSON (its own and its joint projects and processes)."""

    file_format = "json"

    @json_download_schema("opendata_town_json", "Open data of a town as JSON")
    def get(self, request, *args, dataset: str, **kwargs):
        return self.download(request, dataset)


class TownCSV(TownDownload):
    """A dataset of one town as CSV (its own and its joint projects and processes)."""

    file_format = "csv"

    @csv_download_schema("opendata_town_csv", "Open data of a town as CSV")
    def get(self, request, *args, dataset: str, **kwargs):
        return self.download(request, dataset)


# --- Descriptions of the files (datapackage.json) -----------------------------------------------------------


class DataPackageMixin:
    content_negotiation_class: type[BaseContentNegotiation] = AddressNamesFormat

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
        return with_validators(answer, etag=etag, last_modified=None)


class RegionDataPackage(DataPackageMixin, LabelledAPIView):
    """The datapackage.json of a region-wide CSV file."""

    @extend_schema(
        operation_id="opendata_region_datapackage",
        summary="Description of a region CSV file",
        description=DATAPACKAGE_DOCS,
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
        description=DATAPACKAGE_DOCS,
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
        return send_stored(request, lambda: files.stored_catalogue("jsonld"))


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
        return send_stored(request, lambda: files.stored_catalogue("rdf"))
