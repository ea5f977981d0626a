"""The open data catalogue against the official DCAT-AP.de 2.0 SHACL shapes (vendored in tests/api/dcat_ap_de/, run
offline with pyshacl), its RDF/XML twin, its IRIs on SITE_HOST, its dates when rows leave, and the datapackage.json
that describes every CSV file."""

import csv
import io
import json
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from pyshacl import validate
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.compare import isomorphic

from municipalities.scoping import town_scope
from participation.services import moderation as moderation_services
from tests import factories

pytestmark = pytest.mark.django_db

SHAPES = Path(__file__).parent / "dcat_ap_de"
SH = Namespace("http://www.w3.org/ns/shacl#")
PROFILES = {
    "specification": ("dcat-ap-spec-german-additions.ttl",),
    "conventions": ("dcat-ap-spec-german-additions.ttl", "dcat-ap-konventionen.ttl"),
}
DATASETS = ("projects", "indicators", "ideas", "surveys")
# The consortium's towns with their official keys (as in the demo data).
KEYS = {
    "arnsberg": ("05958004", "059580004004"),
    "soest": ("05974040", "059740040040"),
    "olpe": ("05966024", "059660024024"),
}


@pytest.fixture(autouse=True)
def _site_host(settings):
    settings.SITE_HOST = "testserver"


@pytest.fixture
def towns(town_a, town_b, town_c):
    for town in (town_a, town_b, town_c):
        town.ags, town.ars = KEYS[town.slug]
        town.website = f"https://www.{town.slug}.example"
        town.full_clean()
        town.save()
    return town_a, town_b, town_c


@pytest.fixture
def built(towns):
    town_a, town_b, _town_c = towns
    factories.project(municipality=town_a, title="Offenes Projekt", status="in_progress")
    factories.project(municipality=town_a, title="Gemeinsames Projekt", partners=[town_b])
    process = factories.process(municipality=town_a, title="Ideen für Arnsberg")
    idea = factories.idea(process=process, title="Sichtbare Idee", latitude="51.396000", longitude="8.064000")
    factories.idea(process=process, title="Noch eine Idee")
    factories.process_with_survey(town_a)
    call_command("opendata_build")
    return {"idea": idea}


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _graph(client, address="api:opendata-catalog", fmt="json-ld", **extra) -> Graph:
    response = client.get(reverse(address), **extra)
    assert response.status_code == 200
    return Graph().parse(data=_body(response), format=fmt)


def _with_vocabularies(data: Graph) -> Graph:
    """The catalogue with what the official validator imports (owl:imports of dcat-ap-de-imports.ttl)."""
    return data + Graph().parse(SHAPES / "vocabularies.ttl", format="turtle")


def _shapes(*names) -> Graph:
    """The vendored shapes, read as the official validator (Jena-based) reads them. Two forms in them are
    stricter in pyshacl, so they are restated with the same meaning (the files stay unchanged):

    * ``sh:node [ sh:path p ; sh:hasValue v ]`` (a property shape as sh:node) becomes
      ``sh:node [ sh:property [ sh:path p ; sh:hasValue v ] ]``;
    * a shape used as ``sh:property`` without a ``sh:path`` (Konvention 01, an ``sh:or`` of property shapes) is
      used as ``sh:node``.
    """
    shapes = Graph()
    for name in names:
        shapes.parse(SHAPES / name, format="turtle")
    for subject, target in list(shapes.subject_objects(SH.node)):
        if (target, SH.path, None) in shapes:
            wrapper = BNode()
            shapes.remove((subject, SH.node, target))
            shapes.add((subject, SH.node, wrapper))
            shapes.add((wrapper, SH.property, target))
    for subject, target in list(shapes.subject_objects(SH.property)):
        if (target, SH.path, None) not in shapes:
            shapes.remove((subject, SH.property, target))
            shapes.add((subject, SH.node, target))
    return shapes


@pytest.mark.parametrize("profile", PROFILES)
def test_the_catalogue_conforms_to_dcat_ap_de(client, built, profile):
    data = _graph(client)
    conforms, _report, text = validate(
        _with_vocabularies(data),
        shacl_graph=_shapes(*PROFILES[profile]),
        inference="none",
        allow_infos=False,
        allow_warnings=False,
    )
    assert conforms, text
    # 4 scopes (region, three towns) × 3 datasets, each with the contributor ID the conventions ask for.
    contributor = URIRef("http://dcat-ap.de/def/dcatde/contributorID")
    assert len(set(data.subjects(contributor, None))) == 16


def test_the_shapes_catch_what_the_issue_found(client, built):
    """Without a contributor ID the conventions fail (as they did before), the specification passes: the test
    can fail."""
    data = _graph(client)
    data.remove((None, URIRef("http://dcat-ap.de/def/dcatde/contributorID"), None))
    conforms, _report, text = validate(
        _with_vocabularies(data), shacl_graph=_shapes(*PROFILES["conventions"]), inference="none"
    )
    assert not conforms and "contributorID" in text
    conforms, _report, _text = validate(
        _with_vocabularies(data), shacl_graph=_shapes(*PROFILES["specification"]), inference="none"
    )
    assert conforms


def test_catalog_rdf_is_the_same_graph_as_rdf_xml(client, built):
    response = client.get(reverse("api:opendata-catalog-rdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/rdf+xml"
    assert response["ETag"] and response["Last-Modified"]
    rdf = Graph().parse(data=_body(response), format="xml")
    assert isomorphic(rdf, _graph(client))
    assert (
        client.get(reverse("api:opendata-catalog-rdf"), HTTP_IF_NONE_MATCH=response["ETag"]).status_code
        == 304
    )


def test_every_iri_is_on_site_host_whatever_host_the_request_names(client, settings, towns):
    settings.SITE_HOST = "portal.example"
    call_command("opendata_build")
    data = _graph(client, HTTP_HOST="testserver")
    ours = {
        str(term)
        for triple in data
        for term in triple
        if (isinstance(term, URIRef) and "/offene-daten/" in str(term)) or "/api/v1/" in str(term)
    }
    assert ours and all(iri.startswith("http://portal.example/") for iri in ours), ours
    identifiers = [str(value) for value in data.objects(None, URIRef("http://purl.org/dc/terms/identifier"))]
    assert len(identifiers) == 16 and all(
        i.startswith("http://portal.example/offene-daten/#") for i in identifiers
    )
    assert (
        "testserver"
        not in _body(client.get(reverse("api:opendata-catalog-rdf"), HTTP_HOST="testserver")).decode()
    )


def test_a_hidden_idea_changes_modified_last_modified_and_etag(
    client, built, town_a, editor_a, django_capture_on_commit_callbacks
):
    def ideas_modified():
        catalogue = json.loads(_body(client.get(reverse("api:opendata-catalog"))))
        entry = next(d for d in catalogue["dcat:dataset"] if d["@id"].endswith("#arnsberg-ideas"))
        return entry["dct:modified"]["@value"], catalogue["dct:modified"]["@value"]

    ideas = reverse("api:town-opendata-csv", kwargs={"dataset": "ideas", "town_slug": "arnsberg"})
    first, catalogue_etag, modified = (
        client.get(ideas),
        client.get(reverse("api:opendata-catalog"))["ETag"],
        ideas_modified(),
    )
    time.sleep(1.1)  # HTTP dates have a resolution of one second
    with town_scope(town_a), django_capture_on_commit_callbacks(execute=True):
        moderation_services.moderation_hide(
            target=built["idea"], by=editor_a, acting_town=town_a, reason="Beleidigung"
        )
    # No remaining row is newer than before, yet the file changed: it is dated by the build.
    again = client.get(ideas, HTTP_IF_NONE_MATCH=first["ETag"], HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 200 and "Sichtbare Idee" not in _body(again).decode()
    assert again["ETag"] != first["ETag"] and again["Last-Modified"] != first["Last-Modified"]
    assert client.get(reverse("api:opendata-catalog"))["ETag"] != catalogue_etag
    after = ideas_modified()
    assert after[0] > modified[0] and after[1] >= after[0]


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_csv_column_is_described_in_its_datapackage_and_vice_versa(client, built, town_a, dataset):
    for kwargs, prefix in (
        ({"dataset": dataset}, "api:opendata"),
        ({"dataset": dataset, "town_slug": town_a.slug}, "api:town-opendata"),
    ):
        raw = _body(client.get(reverse(f"{prefix}-csv", kwargs=kwargs)))
        assert not raw.startswith(b"\xef\xbb\xbf")  # no byte order mark
        header = next(csv.reader(io.StringIO(raw.decode("utf-8"))))
        response = client.get(reverse(f"{prefix}-datapackage", kwargs=kwargs))
        assert response.status_code == 200 and response["ETag"]
        package = response.json()
        resource = package["resources"][0]
        assert [field["name"] for field in resource["schema"]["fields"]] == header
        assert all(field["description"] for field in resource["schema"]["fields"])
        assert resource["encoding"] == "utf-8" and resource["dialect"]["delimiter"] == ","
        assert resource["path"] == "http://testserver" + reverse(f"{prefix}-csv", kwargs=kwargs)
        assert package["licenses"][0]["path"] == "https://www.govdata.de/dl-de/by-2-0"
        assert package["attribution"].startswith("Datenquelle: ") and package["sources"]
        assert (
            client.get(
                reverse(f"{prefix}-datapackage", kwargs=kwargs), HTTP_IF_NONE_MATCH=response["ETag"]
            ).status_code
            == 304
        )


def test_the_datapackage_names_codes_units_and_wgs84(client, built):
    fields = {
        f["name"]: f
        for f in client.get(reverse("api:opendata-datapackage", kwargs={"dataset": "projects"})).json()[
            "resources"
        ][0]["schema"]["fields"]
    }
    assert {"value": "in_progress", "label": "In Umsetzung"} in fields["status"][
        "categories"
    ]  # German labels
    assert [c["value"] for c in fields["phase"]["categories"]] == ["A", "B"]
    assert fields["partner_towns"]["type"] == "list" and fields["partner_towns"]["delimiter"] == "|"
    assert fields["progress_percent"]["unit"] == "%"
    ideas = {
        f["name"]: f
        for f in client.get(reverse("api:opendata-datapackage", kwargs={"dataset": "ideas"})).json()[
            "resources"
        ][0]["schema"]["fields"]
    }
    assert "WGS84" in ideas["latitude"]["description"] and "EPSG:4326" in ideas["longitude"]["description"]
    indicators = client.get(reverse("api:opendata-datapackage", kwargs={"dataset": "indicators"})).json()
    assert indicators["resources"][0]["schema"]["primaryKey"] == ["id", "measured_on"]
    assert client.get("/api/v1/opendata/budgets.datapackage.json").status_code == 404
