"""The project map include: the list always, the map only on request and never from a CDN."""

import json
import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
LEAFLET = ROOT / "static" / "vendor" / "leaflet"

EVIL = "<script>alert(1)</script>"


def _render(points, **ctx):
    with translation.override("en"):
        return Template("{% load maps %}{% project_map points %}").render(Context({"points": points, **ctx}))


@pytest.fixture
def points():
    return [
        {
            "title": f"Smart parking {EVIL}",
            "url": "/olpe/projects/parking/",
            "lat": 51.029,
            "lon": 7.851,
            "place": "Olpe, Marktplatz",
            "meta": "In progress",
        },
        {
            "title": "Open data",
            "url": "/arnsberg/projects/open-data/",
            "lat": "51.396",
            "lon": "8.064",
            "place": "",
            "meta": "",
        },
    ]


def _json_points(html):
    match = re.search(
        r'<script id="(sc5-map-[0-9a-f]+-points)" type="application/json">(.*?)</script>', html, re.DOTALL
    )
    assert match, html
    return match.group(1), match.group(2)


def test_without_tile_url_only_the_escaped_list_is_rendered(settings, points):
    settings.MAP_TILE_URL = ""
    html = _render(points)
    text = re.sub(r"<[^>]+>", " ", html)
    assert "Places of the projects" in text and not re.search(r"\bmap\b", text, re.IGNORECASE)
    assert '<a href="/olpe/projects/parking/">Smart parking &lt;script&gt;alert(1)&lt;/script&gt;</a>' in html
    assert "Olpe, Marktplatz" in html and "(In progress)" in html
    assert EVIL not in html
    assert "Show map" not in html and "<button" not in html
    assert "leaflet" not in html and "project-map.js" not in html and "application/json" not in html
    assert "data-sc5-map" not in html


def test_with_tile_url_the_button_asks_for_consent_and_the_data_is_escaped(settings, points):
    settings.MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© OpenStreetMap contributors"
    html = _render(points)
    assert 'class="kern-btn kern-btn--secondary"' in html and "Show map" in html
    hint = re.search(r'aria-describedby="([^"]+)"', html).group(1)
    assert f'id="{hint}"' in html
    assert (
        "The map loads map tiles from tile.openstreetmap.org. Your IP address is transmitted to that server."
    ) in html
    assert 'role="region"' in html and 'role="status"' in html and "data-sc5-map" in html
    assert "The map tiles could not be loaded. All places are listed below." in html
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/vendor/leaflet/leaflet.css" in html
    assert "/static/js/project-map.js" in html
    # Tiles are never requested by the page itself, and nothing comes from a CDN.
    assert not re.search(r'(src|href)="https?://', html)
    # The points travel as JSON, with HTML escaped, and the list is still there.
    points_id, raw = _json_points(html)
    assert f'data-points="{points_id}"' in html
    assert EVIL not in html and "\\u003Cscript\\u003E" in raw
    data = json.loads(raw)
    assert [p["title"] for p in data] == [f"Smart parking {EVIL}", "Open data"]
    assert data[1]["lat"] == pytest.approx(51.396) and data[1]["lon"] == pytest.approx(8.064)
    assert set(data[0]) == {"title", "url", "lat", "lon", "place", "meta"}
    assert "<ul" in html and "Open data</a>" in html


def test_points_without_valid_coordinates_stay_in_the_list_only(settings, points):
    settings.MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    points[1].update(lat=None)
    _, raw = _json_points(_render(points))
    assert [p["url"] for p in json.loads(raw)] == ["/olpe/projects/parking/"]
    html = _render(points[1:])
    assert "Open data</a>" in html and "Show map" not in html and "leaflet" not in html


def test_two_maps_on_one_page_have_distinct_ids_and_load_the_scripts_once(settings, points, rf):
    settings.MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    with translation.override("en"):
        html = Template("{% load maps %}{% project_map points %}{% project_map points 'Parking' %}").render(
            Context({"points": points, "request": rf.get("/")})
        )
    assert html.count("data-sc5-map ") + html.count("data-sc5-map\n") == 2
    assert len(set(re.findall(r'id="(sc5-map-[0-9a-f]+)-heading"', html))) == 2
    assert html.count("leaflet.js") == 1 and html.count("project-map.js") == 1
    assert ">Parking</h2>" in html


def test_without_points_only_a_sentence_is_rendered(settings):
    settings.MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    html = _render([])
    assert "No project has a place on the map yet." in html
    assert "<ul" not in html and "Show map" not in html and "leaflet" not in html


def test_leaflet_is_vendored():
    for name in (
        "leaflet.js",
        "leaflet.css",
        "LICENSE",
        "images/marker-icon.png",
        "images/marker-icon-2x.png",
        "images/marker-shadow.png",
        "images/layers.png",
        "images/layers-2x.png",
    ):
        assert (LEAFLET / name).is_file(), name
    assert "Leaflet 1.9.4" in (LEAFLET / "leaflet.js").read_text(encoding="utf-8")[:300]
    assert "url(images/" in (LEAFLET / "leaflet.css").read_text(encoding="utf-8")
    versions = (ROOT / "static" / "vendor" / "VERSIONS").read_text(encoding="utf-8").splitlines()
    assert "leaflet 1.9.4" in versions
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    assert package["devDependencies"]["leaflet"] == "1.9.4"


# --- The default map (basemap.de), switching it off, and the idea form with and without a map ---------------

BASEMAP = (
    "https://sgx.geodatenzentrum.de/wmts_basemapde/tile/1.0.0/de_basemapde_web_raster_farbe/default/"
    "GLOBAL_WEBMERCATOR/{z}/{y}/{x}.png"
)


def _settings_in_a_fresh_process(**env) -> dict:
    """MAP_TILE_URL and MAP_TILE_ATTRIBUTION as a new process reads them from the given environment."""
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAP_TILE_")}
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.MAP_TILE_URL, settings.MAP_TILE_ATTRIBUTION]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "DJANGO_SETTINGS_MODULE": "smartcity5.settings", **env},
    )
    assert result.returncode == 0, result.stderr
    url, attribution = json.loads(result.stdout.strip().splitlines()[-1])
    return {"url": url, "attribution": attribution}


def test_basemap_de_is_the_default_and_an_empty_value_switches_the_map_off():
    default = _settings_in_a_fresh_process()
    assert default["url"] == BASEMAP
    # The source note of basemap.de's terms (CC BY 4.0): "© GeoBasis-DE / BKG (year)" and the licence, linked.
    assert default["attribution"].startswith(
        '© GeoBasis-DE / <a href="https://www.bkg.bund.de">BKG</a> ({year})'
    )
    assert '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>' in default["attribution"]
    assert _settings_in_a_fresh_process(MAP_TILE_URL="") == {"url": "", "attribution": ""}
    own = _settings_in_a_fresh_process(
        MAP_TILE_URL="https://tiles.arnsberg.example/{z}/{x}/{y}.png", MAP_TILE_ATTRIBUTION="© Stadt Arnsberg"
    )
    assert own == {"url": "https://tiles.arnsberg.example/{z}/{x}/{y}.png", "attribution": "© Stadt Arnsberg"}
    # Another server without an attribution of its own does not get basemap.de's.
    assert (
        _settings_in_a_fresh_process(MAP_TILE_URL="https://tiles.arnsberg.example/{z}/{x}/{y}.png")[
            "attribution"
        ]
        == ""
    )


def test_with_basemap_de_the_attribution_names_this_year_and_the_csp_allows_only_its_host(
    settings, points, client, db
):
    from django.utils import timezone

    from smartcity5 import settings as defaults

    settings.MAP_TILE_URL = defaults.BASEMAP_DE_TILE_URL
    settings.MAP_TILE_ATTRIBUTION = defaults.BASEMAP_DE_ATTRIBUTION
    html = _render(points)
    year = timezone.localdate().year
    assert (
        f'data-tile-attribution="© GeoBasis-DE / &lt;a href=&quot;https://www.bkg.bund.de&quot;&gt;BKG&lt;/a&gt; '
        f'({year}) &lt;a href=&quot;https://creativecommons.org/licenses/by/4.0/&quot;&gt;CC BY 4.0&lt;/a&gt;"'
    ) in html
    assert "{year}" not in html
    assert "The map loads map tiles from sgx.geodatenzentrum.de." in html
    # Tiles only after the click: the page itself requests nothing from the tile server.
    assert not re.search(r'(src|href)="https://sgx', html)
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://sgx.geodatenzentrum.de;" in policy
    settings.MAP_TILE_URL = ""
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "geodatenzentrum" not in policy and "img-src 'self' data:;" in policy


@pytest.fixture
def idea_form_page(town_a, citizen, client):
    from django.urls import reverse

    from tests import factories

    town_a.map_south, town_a.map_west, town_a.map_north, town_a.map_east = 51.30, 7.95, 51.50, 8.20
    town_a.save()
    process = factories.process(municipality=town_a, title="Ideen für Arnsberg")
    client.force_login(citizen)
    url = reverse("participation:idea-create", kwargs={"town_slug": town_a.slug, "slug": process.slug})

    def get(data=None):
        response = client.post(url, data) if data is not None else client.get(url, HTTP_ACCEPT_LANGUAGE="de")
        page = response.content.decode()
        form = next(
            (f for f in re.findall(r"<form\b.*?</form>", page, re.DOTALL) if 'name="title"' in f), None
        )
        assert form, page
        return response, form

    return get


def _place_fieldset(form: str) -> str:
    return re.search(r"<fieldset[^>]*>\s*<legend[^>]*>Ort\b.*?</fieldset>", form, re.DOTALL).group(0)


def test_without_tiles_the_idea_form_asks_for_a_description_and_never_speaks_of_a_map(
    settings, idea_form_page
):
    settings.MAP_TILE_URL = ""
    response, form = idea_form_page()
    assert response.status_code == 200
    assert not re.search(r"karte", form, re.IGNORECASE), re.findall(
        r".{60}karte.{60}", form, re.IGNORECASE | re.DOTALL
    )
    place = _place_fieldset(form)
    assert "Beschreibung des Ortes" in place and "Beschreiben Sie den Ort" in place
    # The coordinates are an optional detail, closed until they hold something.
    details = re.search(r"<details[^>]*data-sc5-coordinates[^>]*>(.*?)</details>", place, re.DOTALL)
    assert details and " open" not in details.group(0).split(">")[0]
    assert "<summary" in details.group(1) and "Koordinaten (optional)" in details.group(1)
    assert 'name="latitude"' in details.group(1) and 'name="longitude"' in details.group(1)
    assert place.index('name="location_label"') < place.index("<details")
    assert "leaflet" not in form and "data-sc5-picker" not in form
    # A refused coordinate opens the details, so that the message is seen.
    response, form = idea_form_page(
        {
            "title": "Trinkbrunnen",
            "body": "Im Sommer fehlt Wasser.",
            "location_label": "Steinweg",
            "latitude": "abc",
            "longitude": "8,06",
            "consent": "on",
            "homepage": "",
        }
    )
    assert response.status_code == 400
    assert re.search(r"<details[^>]*data-sc5-coordinates[^>]*\sopen", form)


def test_with_tiles_the_idea_form_offers_the_map_behind_a_click(settings, idea_form_page):
    settings.MAP_TILE_URL = BASEMAP
    settings.MAP_TILE_ATTRIBUTION = "© GeoBasis-DE / BKG ({year})"
    _response, form = idea_form_page()
    place = _place_fieldset(form)
    assert "Ort auf einer Karte auswählen" in place and "data-sc5-picker-show" in place
    assert "sgx.geodatenzentrum.de" in place and "data-sc5-coordinates" not in place
    assert 'name="latitude"' in place and 'name="longitude"' in place


# --- Without a map, no page speaks of one (issue 15) ------------------------------------------------------


@pytest.fixture
def place_pages(town_a, client):
    """The town page and the lists and pages of an idea and a project that have a place, in German."""
    from decimal import Decimal

    from django.urls import reverse

    from tests import factories

    project = factories.project(
        municipality=town_a,
        title="Sensorik im Quartier",
        status="in_progress",
        location_label="Neumarkt",
        latitude=Decimal("51.396"),
        longitude=Decimal("8.064"),
    )
    process = factories.process(municipality=town_a, title="Ideen für Arnsberg")
    idea = factories.idea(
        process=process,
        title="Trinkbrunnen",
        location_label="Steinweg",
        latitude=Decimal("51.4"),
        longitude=Decimal("8.06"),
    )
    urls = {
        "idea list": reverse("participation:ideas", kwargs={"town_slug": town_a.slug}),
        "project list": reverse("projects:list", kwargs={"town_slug": town_a.slug}),
        "town page": reverse("municipalities:home", kwargs={"town_slug": town_a.slug}),
        "idea page": idea.get_absolute_url(),
        "project page": reverse("projects:detail", kwargs={"town_slug": town_a.slug, "slug": project.slug}),
    }

    def main(name: str) -> str:
        response = client.get(urls[name], HTTP_ACCEPT_LANGUAGE="de")
        assert response.status_code == 200, name
        return re.search(r"<main\b.*?</main>", response.content.decode(), re.DOTALL).group(0)

    return main


PLACE_PAGES = ("idea list", "project list", "town page", "idea page", "project page")


def test_without_tiles_no_page_speaks_of_a_map(settings, place_pages):
    settings.MAP_TILE_URL = ""
    for name in PLACE_PAGES:
        html = place_pages(name)
        assert not re.search(r"karte", html, re.IGNORECASE), (
            name,
            re.findall(r".{60}karte.{60}", html, re.IGNORECASE | re.DOTALL),
        )
    # The places are still listed, under a heading that speaks of places.
    assert ">Orte der Ideen</h2>" in place_pages(
        "idea list"
    ) and "Trinkbrunnen</a> – Steinweg" in place_pages("idea list")
    assert ">Orte der Projekte</h2>" in place_pages("project list")
    assert ">Ort der Idee</h2>" in place_pages("idea page")
    assert ">Ort des Projekts</h2>" in place_pages("project page") and "Neumarkt" in place_pages(
        "project page"
    )


def test_without_tiles_and_without_places_the_lists_say_so_without_a_map(settings, town_a, client):
    from django.urls import reverse

    settings.MAP_TILE_URL = ""
    for name, sentence in (
        ("participation:ideas", "Noch keine Idee hat einen Ort."),
        ("projects:list", "Noch kein Projekt hat einen Ort."),
    ):
        html = client.get(
            reverse(name, kwargs={"town_slug": town_a.slug}), HTTP_ACCEPT_LANGUAGE="de"
        ).content.decode()
        assert sentence in html and "Karte" not in html.split("<main")[1].split("</main>")[0], name


def test_with_tiles_the_pages_still_offer_the_map(settings, place_pages):
    settings.MAP_TILE_URL = BASEMAP
    for name in ("idea list", "project list", "idea page", "project page"):
        html = place_pages(name)
        assert "Karte anzeigen" in html and "data-sc5-map" in html, name
    assert ">Karte der Ideen</h2>" in place_pages("idea list")
    assert ">Karte der Orte</h2>" in place_pages("project list")
    # The town page has no map; it does not speak of one either way.
    assert not re.search(r"karte", place_pages("town page"), re.IGNORECASE)


@pytest.mark.parametrize("with_tiles", [True, False])
def test_a_list_with_more_places_than_the_map_shows_says_so(settings, with_tiles):
    """The views give one place more than ``MAP_POINT_LIMIT`` when the list holds more: the map and the list of
    places show the first ``MAP_POINT_LIMIT`` and say that others are left out (with and without map tiles)."""
    from smartcity5.pagination import MAP_POINT_LIMIT

    settings.MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png" if with_tiles else ""
    many = [
        {"title": f"Idee {n}", "url": f"/olpe/ideen/{n}/", "lat": 51.0, "lon": 7.8, "place": "", "meta": ""}
        for n in range(MAP_POINT_LIMIT + 1)
    ]
    with translation.override("de"):
        html = Template('{% load maps %}{% project_map points kind="ideas" %}').render(
            Context({"points": many})
        )
        exact = Template('{% load maps %}{% project_map points kind="ideas" %}').render(
            Context({"points": many[:MAP_POINT_LIMIT]})
        )
    assert f"Gezeigt werden die Orte der ersten {MAP_POINT_LIMIT} Ideen dieser Liste." in html
    assert html.count("<li>") == MAP_POINT_LIMIT and f"Idee {MAP_POINT_LIMIT}<" not in html
    if with_tiles:
        (script,) = re.findall(r'<script id="[^"]+-points" type="application/json">(.*?)</script>', html)
        assert len(json.loads(script)) == MAP_POINT_LIMIT
    # Exactly the limit: every place is shown, and nothing is said.
    assert "Gezeigt werden" not in exact and exact.count("<li>") == MAP_POINT_LIMIT
