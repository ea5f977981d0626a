"""The human-readable open data page at /offene-daten/ (mounted by smartcity5/urls.py): what is offered, under
which licence, and a table of every download (region and towns × datasets)."""

from django.shortcuts import render
from django.urls import path, reverse

from accounts.decorators import public
from municipalities.models import Municipality
from municipalities.selectors import consortium_get

from .datasets import DATASETS, FORMATS, download_url
from .licence import LICENCE_ID, LICENCE_NAME, LICENCE_URL, attribution, source_name

app_name = "opendata"


def _datapackage(dataset: str, municipality: Municipality | None) -> str:
    if municipality is None:
        return reverse("api:opendata-datapackage", kwargs={"dataset": dataset})
    return reverse(
        "api:town-opendata-datapackage", kwargs={"dataset": dataset, "town_slug": municipality.slug}
    )


def _row(name: str, municipality: Municipality | None, consortium) -> dict:
    return {
        "name": name,
        "attribution": attribution(source_name(municipality, consortium)),
        "cells": [
            {
                "dataset": dataset,
                "id": f"{municipality.slug if municipality else 'region'}-{key}",
                "links": [
                    (file_format.upper(), download_url(None, key, file_format, municipality))
                    for file_format in FORMATS
                ],
                "described_by": _datapackage(key, municipality),
            }
            for key, dataset in DATASETS.items()
        ],
    }


@public
def index(request):
    consortium = consortium_get()
    towns = list(Municipality.objects.active().order_by("name"))
    region = source_name(None, consortium)
    return render(
        request,
        "opendata/index.html",
        {
            "region_name": region,
            "rows": [_row(region, None, consortium), *(_row(town.name, town, consortium) for town in towns)],
            "datasets": [
                {
                    "title": dataset.title,
                    "description": str(dataset.description).format(place=region),
                    "columns": dataset.columns,
                }
                for dataset in DATASETS.values()
            ],
            "licence": {"id": LICENCE_ID, "name": LICENCE_NAME, "url": LICENCE_URL},
            "example_attribution": attribution(source_name(towns[0] if towns else None, consortium)),
            "catalogue_url": reverse("api:opendata-catalog"),
            "catalogue_rdf_url": reverse("api:opendata-catalog-rdf"),
            "schema_url": reverse("api:schema"),
        },
    )


urlpatterns = [
    path("", index, name="index"),
]
