"""The project pages at scale: the unfiltered lists keep their count and map points in the cache, the catalogue its
size and the project page its similar projects, each under the towns' stored versions, so a change shows on the
next request; the query count of each page does not grow with the number of projects."""

import datetime
import re

import pytest
from django.test import override_settings

from municipalities.scoping import town_scope
from projects import services
from projects.models import Bundle
from projects.selectors import lists as lists_selectors
from projects.selectors import progress as progress_selectors
from tests import factories

pytestmark = pytest.mark.django_db


def _located(municipality, title, **fields):
    return factories.project(
        municipality=municipality,
        title=title,
        latitude="51.400000",
        longitude="8.060000",
        location_label="Markt",
        **fields,
    )


def _count(text: str) -> int:
    """The number of list pages' rows as the pagination shows it: the cards of a one-page list."""
    return len(re.findall(r'class="sc5-card sc5-project-card', text))


@override_settings(PAGE_CACHE_SECONDS=0)
def test_region_and_town_lists_show_a_change_on_the_next_request(client, town_a, town_b):
    _located(town_a, "Sensoren am Markt")
    _located(town_b, "Soester Ladesäulen", partners=[town_a])
    region = client.get("/projekte/").content.decode()
    town = client.get("/arnsberg/projekte/").content.decode()
    assert _count(region) == 2 and _count(town) == 2
    assert "Soester Ladesäulen" in town.split("sc5-map-list")[1]  # the cached map points
    # A new project of a partner town, a renamed one and a hidden one: count and map follow.
    _located(town_b, "Radwege Soest", partners=[town_a])
    renamed = _located(town_a, "Alter Titel")
    with town_scope(town_a):
        services.project_change(project=renamed, by=None, acting_town=town_a, fields={"title": "Neuer Titel"})
        hidden = _located(town_a, "Bald intern")
        services.project_change(
            project=hidden, by=None, acting_town=town_a, fields={"visibility": "internal"}
        )
    for url in ("/projekte/", "/arnsberg/projekte/"):
        text = client.get(url).content.decode()
        places = text.split("sc5-map-list")[1]
        assert _count(text) == 4, url
        assert "Radwege Soest" in places and "Neuer Titel" in places and "Alter Titel" not in places
        assert "Bald intern" not in text


@override_settings(PAGE_CACHE_SECONDS=0)
def test_list_order_follows_the_stored_latest_update(client, town_a):
    first = factories.project(municipality=town_a, title="Zuerst", status="in_progress")
    factories.project(municipality=town_a, title="Später", status="in_progress")
    text = client.get("/arnsberg/projekte/").content.decode()
    assert text.index("Später") < text.index("Zuerst")  # neither has an update: by title
    factories.progress_update(project=first, progress_percent=10, published_on=datetime.date(2026, 6, 1))
    text = client.get("/arnsberg/projekte/").content.decode()
    assert text.index("Zuerst") < text.index("Später")


@override_settings(PAGE_CACHE_SECONDS=0)
def test_catalogue_size_follows_a_change(catalogue, client, town_a, town_b):
    factories.project(municipality=town_a, title="Parken digital", transferability="yes")
    text = client.get("/projekte/katalog/").content.decode()
    assert "Parken digital" in text and "Ampeln" not in text
    factories.project(municipality=town_b, title="Ampeln im Netz", transferability="partly")
    text = client.get("/projekte/katalog/").content.decode()
    assert text.index("Parken digital") < text.index("Ampeln im Netz")  # fully re-usable first


@override_settings(PAGE_CACHE_SECONDS=0)
def test_similar_projects_follow_a_change_in_another_town(catalogue, client, town_a, town_b):
    own = factories.project(
        municipality=town_a,
        title="Parksensoren in der Innenstadt",
        summary="Sensoren melden freie Parkplätze.",
    )
    other = factories.project(municipality=town_b, title="Bücherei online", summary="Bücher leihen im Netz.")
    url = f"/arnsberg/projekte/{own.slug}/"
    assert "Bücherei online" not in client.get(url).content.decode()
    with town_scope(town_b):
        services.project_change(
            project=other,
            by=None,
            acting_town=town_b,
            fields={
                "title": "Parksensoren für die Innenstadt",
                "summary": "Sensoren melden freie Parkplätze.",
            },
        )
    assert "Parksensoren für die Innenstadt" in client.get(url).content.decode()


@pytest.mark.parametrize("projects", [3, 30])
@override_settings(PAGE_CACHE_SECONDS=0)
def test_project_pages_run_a_fixed_number_of_queries(
    catalogue, client, town_a, town_b, projects, django_assert_max_num_queries
):
    for n in range(projects):
        project = _located(
            town_a if n % 2 else town_b,
            f"Projekt {n}",
            partners=[town_b] if n % 3 == 0 and n % 2 else [],
            status="in_progress",
            transferability="yes",
        )
        factories.progress_update(project=project, progress_percent=n)
        if n % 2:
            own = project
    pages = {
        "/projekte/": 11,
        "/arnsberg/projekte/": 11,
        # A search: + the ids of the projects tagged with the word, as a list that PostgreSQL joins to the trigram
        # indexes' bitmaps (an EXISTS in the OR made it read every project of the town; smartcity5.search).
        "/arnsberg/projekte/?q=Projekt": 12,
        "/projekte/katalog/": 10,
        "/strategie/": 9,
        "/arnsberg/strategie/": 11,
        f"/arnsberg/projekte/{own.slug}/": 20,
        "/api/v1/towns/arnsberg/projects/": 12,
    }
    for url, most in pages.items():
        for _ in range(2):  # the second request reads the cached count, points and similar projects
            with django_assert_max_num_queries(most):
                assert client.get(url).status_code == 200, url


def test_bundle_progress_follows_an_update(town_a, town_b):
    bundle = Bundle.objects.create(consortium=town_a.consortium, number=4, title="Energie")
    project = factories.project(municipality=town_b, bundle=bundle, status="in_progress")
    assert [b.progress for b in progress_selectors.bundles_with_progress(consortium=town_a.consortium)] == [0]
    factories.progress_update(project=project, progress_percent=40)
    assert [b.progress for b in progress_selectors.bundles_with_progress(consortium=town_a.consortium)] == [
        40
    ]
    with town_scope(town_b):
        services.project_transition(project=project, to="completed", by=None, acting_town=town_b)
    assert [b.progress for b in progress_selectors.bundles_with_progress(consortium=town_a.consortium)] == [
        100
    ]


def test_search_finds_a_project_with_several_tags_once(catalogue, town_a):
    """The tags were joined: a project with two tags came twice (and the count said so)."""
    factories.project(
        municipality=town_a,
        title="Digitale Parkplätze",
        tags=services.tags_from_text("Parken, Sensoren, Digital"),
    )
    factories.project(municipality=town_a, title="Ladesäulen", tags=services.tags_from_text("digital"))
    with town_scope(town_a):
        found = [
            p.title for p in lists_selectors.project_list(filters=lists_selectors.ProjectFilters(q="digital"))
        ]
        assert sorted(found) == ["Digitale Parkplätze", "Ladesäulen"]
        assert (
            lists_selectors.project_list(filters=lists_selectors.ProjectFilters(q="digital sensoren")).count()
            == 1
        )


@override_settings(PAGE_CACHE_SECONDS=0)
def test_a_filtered_list_keeps_its_own_map_and_follows_a_change(client, town_a):
    _located(town_a, "Geplante Sensoren", status="planned")
    idea = _located(town_a, "Noch eine Idee")
    places = client.get("/arnsberg/projekte/").content.decode().split("sc5-map-list")[1]
    assert "Geplante Sensoren" in places and "Noch eine Idee" in places
    places = client.get("/arnsberg/projekte/?status=planned").content.decode().split("sc5-map-list")[1]
    assert "Geplante Sensoren" in places and "Noch eine Idee" not in places
    with town_scope(town_a):
        services.project_transition(project=idea, to="planned", by=None, acting_town=town_a)
    text = client.get("/arnsberg/projekte/?status=planned").content.decode()
    assert "Noch eine Idee" in text.split("sc5-map-list")[1] and _count(text) == 2
