"""The open data addresses inside the API's namespace, mounted under /api/v1/ (region-wide) and
/api/v1/towns/<town_slug>/ (per town) by api/urls.py."""

from django.urls import path

from .views import (
    Catalogue,
    CatalogueRDF,
    RegionCSV,
    RegionDataPackage,
    RegionJSON,
    TownCSV,
    TownDataPackage,
    TownJSON,
)

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
