"""The DCAT-AP.de catalogue of the open data (JSON-LD): one dcat:Dataset per town (and the region) and
dataset, each with a CSV and a JSON distribution, for open data portals to harvest."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from municipalities.models import Municipality
from municipalities.selectors import consortium_get, lead_town

from ..models import scope_key
from . import selectors
from .datasets import (
    DATASETS,
    FORMATS,
    Dataset,
    datapackage_url,
    dataset_iri,
    download_url,
    page_url,
    site_url,
)
from .licence import LICENCE_DCAT_URI, attribution, source_name
from .rows import iso_moment

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
    return None if moment is None else {"@value": iso_moment(moment), "@type": "xsd:dateTime"}


def _agent(name: str, homepage: str = "", *, authority: bool = False) -> dict:
    agent: dict[str, Any] = {"@type": "foaf:Agent", "foaf:name": name}
    if homepage:
        agent["foaf:homepage"] = {"@id": homepage}
    if authority:
        agent["dct:type"] = {"@id": PUBLISHER_TYPE}
    return agent


def _town_agent(municipality: Municipality) -> dict:
    """A town as publisher: the legal body (its official name), a local authority."""
    return _agent(municipality.official_name or municipality.name, municipality.website, authority=True)


def _contact(municipality: Municipality) -> dict:
    """Whom to ask about the data (``dcat:contactPoint``): the town's contact address and its website (the
    conventions ask for an address or a telephone number; the portal's town page where no website is recorded)."""
    point = {
        "@type": "vcard:Organization",
        "vcard:fn": municipality.official_name or municipality.name,
        "vcard:hasURL": {"@id": municipality.website or site_url(municipality.get_absolute_url())},
    }
    if municipality.contact_email:
        point["vcard:hasEmail"] = {"@id": f"mailto:{municipality.contact_email}"}
    return point


def geocoding_uri(municipality: Municipality) -> str | None:
    """The town in DCAT-AP.de's political geocoding: its regional key (ARS), else its municipality key (AGS)."""
    if municipality.ars:
        return GEOCODING_REGIONAL_KEY.format(ars=municipality.ars)
    if municipality.ags:
        return GEOCODING_MUNICIPALITY_KEY.format(ags=municipality.ags)
    return None


def _location(municipality: Municipality) -> dict:
    uri = geocoding_uri(municipality)
    return {"@id": uri} if uri else {"@type": "dct:Location", "skos:prefLabel": municipality.name}


@dataclass(frozen=True)
class Dates:
    """When a dataset's files were first published and last changed (from the built files)."""

    issued: datetime.datetime | None
    modified: datetime.datetime | None


def _distribution_title(dataset: Dataset, place: str, file_format: str) -> str:
    return f"{dataset.title} – {place} ({file_format.upper()})"


def _catalogue_dataset(
    dataset: Dataset, municipality: Municipality | None, towns: list, consortium, lead, dates: Dates
) -> dict:
    place = municipality.name if municipality else source_name(None, consortium)
    by_text = attribution(source_name(municipality, consortium))
    modified = _modified(dates.modified)
    iri = dataset_iri(dataset, municipality)
    covered = [municipality] if municipality else towns
    geocoded = [uri for uri in (geocoding_uri(t) for t in covered) if uri]
    publisher_town = municipality or lead
    entry: dict[str, Any] = {
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
            for keyword in _texts(partial(str, word))
        ]
        + [{"@value": place, "@language": language} for language in LANGUAGES],
        "dcat:landingPage": {"@id": page_url()},
        "dcat:distribution": [
            {
                "@id": f"{iri}-{file_format}",
                "@type": "dcat:Distribution",
                "dct:title": _texts(partial(_distribution_title, dataset, place, file_format)),
                "dcat:accessURL": {
                    "@id": site_url(download_url(None, dataset.key, file_format, municipality))
                },
                "dcat:downloadURL": {
                    "@id": site_url(download_url(None, dataset.key, file_format, municipality))
                },
                "dcat:mediaType": {"@id": MEDIA_TYPES[file_format]},
                "dct:format": {"@id": FILE_TYPES[file_format]},
                "dct:license": {"@id": LICENCE_DCAT_URI},
                "dcatde:licenseAttributionByText": by_text,
                # The columns, their types, codes and units (Frictionless Data Package).
                "dct:conformsTo": {"@id": datapackage_url(dataset.key, municipality)},
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


def _dates(municipality: Municipality | None, file_dates: dict) -> dict[str, Dates]:
    """Each dataset's :class:`Dates` in the scope of ``municipality`` (``None``: the region): its built files' when they
    carry a change date, otherwise from the rows' freshness (a dataset without rows yet: its first publication)."""
    built = {key: file_dates.get((scope_key(municipality), key)) for key in DATASETS}
    unbuilt = [key for key, dates in built.items() if dates is None or dates.modified is None]
    fresh = {}
    if unbuilt:
        with selectors.scope_of(municipality):
            fresh = selectors.freshness_of(unbuilt)
    return {
        key: Dates(
            issued=dates.issued if dates else None,
            modified=(dates.modified if dates and dates.modified else None)
            or fresh[key].last_modified
            or (dates.issued if dates else None),
        )
        for key, dates in built.items()
    }


def catalogue(file_dates: dict | None = None) -> dict:
    """The dcat:Catalog: one dcat:Dataset per town (and the region) and dataset, each with a CSV and a JSON
    distribution. ``file_dates`` ((scope key, dataset) → :class:`Dates` of the built files) dates the datasets whose
    files exist as their files are dated; the others by their rows' freshness, read in the town's own scope (the
    region's in ``public_region_scope()``): a fixed number of queries per town, none once every file is built."""
    file_dates = file_dates or {}
    consortium = consortium_get()
    towns = list(Municipality.objects.active().order_by("name"))
    dated = [(town, _dates(town, file_dates)) for town in (None, *towns)]
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
    body: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": f"{page_url()}#catalog",
        "@type": "dcat:Catalog",
        "dct:title": _texts(
            lambda: _("Open data of the Smart City model project “%(name)s”") % {"name": name}
        ),
        "dct:description": _texts(
            lambda: (
                _(
                    "Public projects, their key performance indicators, the published citizens' ideas and the results "
                    "of public surveys of the towns of “%(name)s”, per town and for the whole region, as CSV and JSON "
                    "under the Datenlizenz Deutschland – Namensnennung – Version 2.0. No personal data."
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
