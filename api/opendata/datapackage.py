"""The description of a dataset's CSV file as a Frictionless Data Package (``<dataset>.datapackage.json``):
licence, source, dialect and every column with its type, meaning, unit and codes."""

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from municipalities.models import Municipality
from municipalities.selectors import consortium_get

from .datasets import Dataset, Field, dataset_iri, download_url, page_url, site_url
from .licence import LICENCE_ID, LICENCE_NAME, LICENCE_URL, attribution, source_name
from .rows import LIST_SEPARATOR

DATAPACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
RESOURCE_PROFILE = "https://datapackage.org/profiles/2.0/dataresource.json"
LIST_COLUMNS = ("partner_towns", "fields_of_action")


def _schema_field(field: Field) -> dict:
    described: dict[str, Any] = {
        "name": field.name,
        "type": field.type,
        "description": str(field.description),
    }
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


def datapackage(dataset: Dataset, municipality: Municipality | None) -> dict:
    """The description of a dataset's CSV file: licence, source, attribution, dialect (UTF-8 without BOM, comma,
    CRLF, header row) and every column with its type, meaning, unit and codes (with their German labels)."""
    consortium = consortium_get()
    source = source_name(municipality, consortium)
    place = municipality.name if municipality else source_name(None, consortium)
    name = f"{municipality.slug if municipality else 'region'}-{dataset.file_stem}"
    licences = [{"name": LICENCE_ID, "path": LICENCE_URL, "title": LICENCE_NAME}]
    sources = [
        {
            "title": source,
            "path": (municipality.website if municipality and municipality.website else page_url()),
        }
    ]
    with translation.override("de"):
        return {
            "$schema": DATAPACKAGE_PROFILE,
            "name": name,
            "id": dataset_iri(dataset, municipality),
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
                    "path": site_url(download_url(None, dataset.key, "csv", municipality)),
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
