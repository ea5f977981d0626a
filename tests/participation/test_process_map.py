"""The map's points of a process as their own GeoJSON address (/<town>/beteiligung/<process>/karte.geojson): what
it holds, whose it is, that it is new after every change (real cache), and its conditional answers."""

import json

import pytest
from django.urls import reverse

from municipalities.scoping import town_scope
from participation.services import answers as answers_services
from participation.services import moderation as moderation_services
from tests import factories

pytestmark = pytest.mark.django_db


def _url(municipality, process):
    return reverse("participation:process-map", kwargs={"town_slug": municipality.slug, "slug": process.slug})


def _features(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    return {f["properties"]["title"]: f for f in data["features"]}


def test_the_published_ideas_with_a_place(client, process, arnsberg, editor_a):
    factories.idea(
        process=process,
        title="Bank am Neumarkt",
        latitude="51.401000",
        longitude="8.063000",
        location_label="Neumarkt",
    )
    factories.idea(process=process, title="Ohne Ort")
    hidden = factories.idea(process=process, title="Versteckt", latitude="51.40", longitude="8.06")
    with town_scope(arnsberg):
        moderation_services.moderation_hide(
            target=hidden, by=editor_a, acting_town=arnsberg, reason="Werbung"
        )
    features = _features(client.get(_url(arnsberg, process)))
    assert set(features) == {"Bank am Neumarkt"}
    feature = features["Bank am Neumarkt"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [8.063, 51.401]}  # longitude first
    assert feature["properties"]["place"] == "Neumarkt"
    assert feature["properties"]["url"].startswith("/arnsberg/ideen/")
    assert feature["properties"]["meta"] == "Eingereicht"


def test_another_towns_process_is_not_found(client, process, town_b):
    own = factories.process(municipality=town_b, title="Soester Ideen")
    assert client.get(_url(town_b, own)).status_code == 200
    assert (
        client.get(
            reverse("participation:process-map", kwargs={"town_slug": town_b.slug, "slug": process.slug})
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse(
                "participation:process-map",
                kwargs={"town_slug": process.municipality.slug, "slug": "gibt-es-nicht"},
            )
        ).status_code
        == 404
    )


def test_an_unpublished_process_only_for_its_staff(client, arnsberg, editor_a):
    draft = factories.process(municipality=arnsberg, title="Entwurf", is_published=False)
    assert client.get(_url(arnsberg, draft)).status_code == 404
    client.force_login(editor_a)
    response = client.get(_url(arnsberg, draft))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_a_joint_process_links_in_the_partner_town(client, arnsberg, town_b):
    joint = factories.process(municipality=arnsberg, partners=[town_b], title="Gemeinsame Ideen")
    factories.idea(process=joint, title="Radweg", latitude="51.40", longitude="8.06")
    features = _features(client.get(_url(town_b, joint)))
    assert features["Radweg"]["properties"]["url"].startswith("/soest/ideen/")


def test_new_after_every_change_and_304_while_unchanged(client, process, arnsberg, editor_a):
    idea = factories.idea(process=process, title="Trinkbrunnen", latitude="51.40", longitude="8.06")
    url = _url(arnsberg, process)
    first = client.get(url)
    assert set(_features(first)) == {"Trinkbrunnen"}
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # A new idea with a place: a new body, a new ETag.
    factories.idea(process=process, title="Sitzbank", latitude="51.41", longitude="8.07")
    second = client.get(url)
    assert set(_features(second)) == {"Trinkbrunnen", "Sitzbank"} and second["ETag"] != etag
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200
    # A status answer changes what a point says.
    with town_scope(arnsberg):
        answers_services.idea_answer(
            idea=idea, by=editor_a, acting_town=arnsberg, to="under_review", body="Wir prüfen das."
        )
    assert _features(client.get(url))["Trinkbrunnen"]["properties"]["meta"] == "In Prüfung"
    # Hidden: gone from the map.
    with town_scope(arnsberg):
        moderation_services.moderation_hide(target=idea, by=editor_a, acting_town=arnsberg, reason="Doppelt")
    assert set(_features(client.get(url))) == {"Sitzbank"}
    assert modified  # Last-Modified is sent


def test_the_page_names_the_address_instead_of_carrying_the_points(client, process, arnsberg, settings):
    settings.MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    factories.idea(
        process=process, title="Spielplatz", latitude="51.40", longitude="8.06", location_label="Park"
    )
    page = client.get(process.get_absolute_url(arnsberg)).content.decode()
    assert f'data-geojson="{_url(arnsberg, process)}"' in page
    assert 'type="application/json"' not in page.split("data-geojson")[1].split("</section>")[0]
    # The places stay listed as links for everyone without the map.
    assert ">Spielplatz</a> – Park" in page
    filtered = client.get(process.get_absolute_url(arnsberg) + "?q=Spiel").content.decode()
    assert "data-geojson" not in filtered and "data-points" in filtered
