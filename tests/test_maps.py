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
        {"title": f"Smart parking {EVIL}", "url": "/olpe/projects/parking/", "lat": 51.029, "lon": 7.851,
         "place": "Olpe, Marktplatz", "meta": "In progress"},
        {"title": "Open data", "url": "/arnsberg/projects/open-data/", "lat": "51.396", "lon": "8.064",
         "place": "", "meta": ""},
    ]


def _json_points(html):
    match = re.search(r'<script id="(sc5-map-[0-9a-f]+-points)" type="application/json">(.*?)</script>', html,
                      re.S)
    assert match, html
    return match.group(1), match.group(2)


def test_without_tile_url_only_the_escaped_list_is_rendered(settings, points):
    settings.MAP_TILE_URL = ""
    html = _render(points)
    assert "Map of places" in html
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
    assert ("The map loads map tiles from tile.openstreetmap.org. "
            "Your IP address is transmitted to that server.") in html
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
            Context({"points": points, "request": rf.get("/")}))
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
    for name in ("leaflet.js", "leaflet.css", "LICENSE", "images/marker-icon.png",
                 "images/marker-icon-2x.png", "images/marker-shadow.png", "images/layers.png",
                 "images/layers-2x.png"):
        assert (LEAFLET / name).is_file(), name
    assert "Leaflet 1.9.4" in (LEAFLET / "leaflet.js").read_text(encoding="utf-8")[:300]
    assert "url(images/" in (LEAFLET / "leaflet.css").read_text(encoding="utf-8")
    versions = (ROOT / "static" / "vendor" / "VERSIONS").read_text(encoding="utf-8").splitlines()
    assert "leaflet 1.9.4" in versions
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    assert package["devDependencies"]["leaflet"] == "1.9.4"
