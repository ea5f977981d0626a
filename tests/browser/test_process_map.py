"""The process page's map fetches its points (karte.geojson) when it opens, and shows them; the places stay listed
as links without the map."""

import os
from pathlib import Path

import pytest
from django.db import transaction
from playwright.sync_api import expect

from tests import factories

from .conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_map_fetches_and_shows_the_process_points(site, page, town_a, settings, live_server):
    settings.MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png?{{z}}/{{x}}/{{y}}"
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        process = factories.process(municipality=town_a, title="Ideen für Neheim")
        for title, lat, lon, place in (
            ("Trinkbrunnen am Markt", "51.448000", "7.960000", "Neheimer Markt"),
            ("Bank an der Ruhr", "51.452000", "7.970000", "Ruhrufer"),
            ("Fahrradbügel am Bahnhof", "51.455000", "7.985000", "Bahnhof Neheim-Hüsten"),
        ):
            factories.idea(process=process, title=title, latitude=lat, longitude=lon, location_label=place)
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if r.url.endswith("/karte.geojson") else None)
    page.goto(f"{site}{process.get_absolute_url(town_a)}")
    places = page.locator(".sc5-map-list")
    expect(places.get_by_role("link", name="Bank an der Ruhr")).to_be_visible()  # without the map too
    assert fetched == []
    page.get_by_role("button", name="Karte anzeigen").click()
    expect(page.locator(".leaflet-marker-icon")).to_have_count(3)
    assert len(fetched) == 1
    page.locator(".leaflet-marker-icon").first.click()
    expect(page.locator(".sc5-map-popup__title a")).to_have_count(1)
    check_axe(page)
    shots = os.environ.get("SC5_SCREENSHOTS")
    if shots:
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.reload()  # the consent is kept for the session: the map opens again, fitted to this width
            expect(page.locator(".leaflet-marker-icon")).to_have_count(3)
            page.wait_for_timeout(500)
            page.locator(".sc5-map-section").screenshot(path=str(Path(shots) / f"process-map-{width}.png"))
            page.screenshot(path=str(Path(shots) / f"process-page-{width}.png"), full_page=True)
