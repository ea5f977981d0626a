"""An editor creates a joint project with a KPI and an update; both towns' public pages show it."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tests import factories
from tests.helpers import browser_login

from .conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_creates_joint_project_with_kpi_and_update(catalogue, site, page, town_a, town_b):
    editor = factories.staff_member(municipality=town_a, role=Role.EDITOR, email="redaktion@arnsberg.example")
    browser_login(page, site, editor)

    page.goto(f"{site}/arnsberg/verwaltung/projekte/neu/")
    check_axe(page)
    page.get_by_label("Titel", exact=True).fill("Regionale offene Datenplattform")
    page.get_by_label(re.compile("^Kurzbeschreibung")).fill("Offene Daten der Städte an einem Ort.")
    page.get_by_label("Soest").check()
    page.get_by_label("Daten & digitale Infrastruktur").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/arnsberg/verwaltung/projekte/regionale-offene-datenplattform/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Regionale offene Datenplattform")

    page.get_by_role("link", name="Kennzahl hinzufügen").click()
    page.get_by_label("Name", exact=True).fill("Offene Datensätze")
    page.get_by_label(re.compile("^Einheit")).fill("Datensätze")
    page.get_by_label(re.compile("^Ausgangswert")).first.fill("0")
    page.get_by_label(re.compile("^Zielwert")).first.fill("120")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/kennzahlen/\d+/$"))
    page.get_by_label("Datum", exact=True).fill("2026-10-31")
    page.get_by_label("Wert", exact=True).fill("45,5")
    page.get_by_role("button", name="Messwert erfassen").click()
    expect(page.locator("main table").first).to_contain_text("45,5")
    check_axe(page)

    page.get_by_role("link", name="Übersicht", exact=True).last.click()
    page.get_by_role("link", name="Neue Fortschrittsmeldung").click()
    page.get_by_label("Titel", exact=True).fill("Erste Datensätze veröffentlicht")
    page.get_by_label(re.compile("^Fortschritt")).fill("30")
    page.get_by_role("button", name="Fortschrittsmeldung veröffentlichen").click()
    page.wait_for_url(re.compile(r"/verwaltung/projekte/regionale-offene-datenplattform/$"))
    check_axe(page)

    for town in ("arnsberg", "soest"):
        page.goto(f"{site}/{town}/projekte/")
        expect(page.get_by_role("link", name="Regionale offene Datenplattform")).to_be_visible()
        check_axe(page)
        page.get_by_role("link", name="Regionale offene Datenplattform").click()
        expect(page.get_by_role("heading", name="Erste Datensätze veröffentlicht")).to_be_visible()
        expect(page.get_by_role("heading", name="Offene Datensätze")).to_be_visible()
        expect(page.locator("main svg[role=img]")).to_have_count(1)
        expect(page.locator("main progress").first).to_have_attribute("value", "30")
        check_axe(page)


def test_project_map_loads_only_after_consent(site, page, town_a, settings, live_server):
    # Tiles from the test server itself: a plain PNG stands in for a tile server.
    settings.MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png?{{z}}/{{x}}/{{y}}"
    factories.project(
        municipality=town_a,
        title="Smarte Mobilstation Hüsten",
        latitude="51.450000",
        longitude="7.980000",
        location_label="Bahnhof Neheim-Hüsten",
    )
    tile_requests = []
    page.on("request", lambda r: tile_requests.append(r.url) if "layers.png" in r.url else None)
    page.goto(f"{site}/arnsberg/projekte/")
    expect(page.locator("main").get_by_role("link", name="Smarte Mobilstation Hüsten").last).to_be_visible()
    assert tile_requests == []
    page.get_by_role("button", name="Karte anzeigen").click()
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
    page.wait_for_timeout(300)
    assert tile_requests, "tiles are requested once the visitor asked for the map"
    check_axe(page)
