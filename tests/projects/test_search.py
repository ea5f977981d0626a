"""The project search (smartcity5.search, the same mechanism as the idea search): every word somewhere in the title,
summary, description or place, inside words too, or a tag's exact name; a town's searched list read as its first
COUNT_CAP + 1 (201) matches in the list's order (own and joint projects as two parts on PostgreSQL), from which the capped count,
the page and the map come. Runs on SQLite and PostgreSQL alike (the conftest's database)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from municipalities.scoping import town_scope
from projects.models import Project, Tag
from projects.selectors import lists as lists_selectors
from smartcity5.pagination import COUNT_CAP, CountedPaginator
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(town_a, town_b):
    """Arnsberg's own projects and one led by Soest that Arnsberg joins; some with a place, one without a date of
    its last update (such come last in the list)."""
    made = {
        "spielplatz": factories.project(
            municipality=town_a,
            title="Neuer Spielplatz am Bürgerhaus",
            summary="Schaukeln und Sandkasten.",
            latitude=Decimal("51.4"),
            longitude=Decimal("8.0"),
            location_label="Neheimer Markt",
        ),
        "strasse": factories.project(
            municipality=town_a,
            title="Intelligente Straßenbeleuchtung",
            summary="Laternen, die sich nach dem Verkehr richten.",
            description="Ein digitaler Zwilling der Hauptstraße plant die Schaltung.",
        ),
        "portal": factories.project(
            municipality=town_a,
            title="Bürgerportal",
            summary="Anträge online stellen.",
            description="Digitale Verwaltung für alle.",
            tags=[Tag.objects.create(name="Open", slug="open")],
        ),
        "gemeinsam": factories.project(
            municipality=town_b,
            partners=[town_a],
            title="Gemeinsame Datenplattform",
            summary="Sensordaten der Region, digital und offen.",
            latitude=Decimal("51.5"),
            longitude=Decimal("8.1"),
        ),
        "fremd": factories.project(
            municipality=town_b, title="Soester Spielplatz", summary="Digital geplant, nur in Soest."
        ),
    }
    dates = {"spielplatz": 3, "strasse": 1, "portal": 2, "gemeinsam": 4, "fremd": 5}
    for key, days in dates.items():
        Project._base_manager.filter(pk=made[key].pk).update(
            last_update_on=datetime.date(2026, 11, 1) + datetime.timedelta(days=days)
        )
    Project._base_manager.filter(pk=made["strasse"].pk).update(last_update_on=None)
    return made


def _titles(municipality, q: str) -> list[str]:
    with town_scope(municipality):
        return [p.title for p in lists_selectors.project_list(filters=lists_selectors.ProjectFilters(q=q))]


def _read(municipality, q: str, *, cap: int = COUNT_CAP) -> list[str]:
    with town_scope(municipality):
        qs = lists_selectors.project_list(filters=lists_selectors.ProjectFilters(q=q))
        pages = lists_selectors.project_pages(qs)
        ids = [pk for pk, _ in pages.matches(cap)]
        titles = dict(Project._base_manager.filter(pk__in=ids).values_list("pk", "title"))
        return [titles[pk] for pk in ids]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # inside words, whatever the case
        ("platz", ["Neuer Spielplatz am Bürgerhaus"]),
        ("BÜRGER", ["Neuer Spielplatz am Bürgerhaus", "Bürgerportal"]),
        ("straße", ["Intelligente Straßenbeleuchtung"]),
        # in summary and description, own and joint projects, in the list's order (latest update first, none last)
        ("digital", ["Gemeinsame Datenplattform", "Bürgerportal", "Intelligente Straßenbeleuchtung"]),
        # every word must occur (in any of the columns)
        ("digitale verwaltung", ["Bürgerportal"]),
        # the place, and a tag's exact name
        ("neheimer", ["Neuer Spielplatz am Bürgerhaus"]),
        ("Open", ["Bürgerportal"]),
        ("Kirchplatz", []),
    ],
)
def test_the_search_finds_what_it_found_before_in_the_lists_order(projects, town_a, q, expected):
    if connection.vendor == "sqlite" and q == "BÜRGER":
        # SQLite's LIKE folds the case of ASCII letters only (the demo's database; PostgreSQL folds Ü too).
        expected = []
    assert _titles(town_a, q) == expected
    # The capped read of the town's list gives the same rows in the same order.
    assert _read(town_a, q) == expected


def test_the_capped_read_stops_at_the_cap_and_keeps_the_order(projects, town_a):
    everything = _titles(town_a, "e")
    assert len(everything) == 4
    assert _read(town_a, "e", cap=2) == everything[:3]  # cap + 1: the paginator knows that more exist
    with town_scope(town_a):
        pages = lists_selectors.project_pages(
            lists_selectors.project_list(filters=lists_selectors.ProjectFilters(q="e"))
        )
        paginator = CountedPaginator(pages, 2, cap=2)
        assert paginator.count == 2 and paginator.capped
        assert [p.title for p in paginator.page(1).object_list] == everything[:2]


def _searches(sql: str) -> bool:
    """Whether a query searches the projects' texts (``Project.search_text``, the stored text in capitals)."""
    return '"projects_project"."search_text"' in sql and "LIKE" in sql


def test_the_town_list_search_counts_pages_and_maps_from_the_matches(
    client, projects, town_a, django_assert_max_num_queries
):
    url = reverse("projects:list", kwargs={"town_slug": town_a.slug})
    with django_assert_max_num_queries(14):
        response = client.get(url, {"q": "digital"})
    text = response.content.decode()
    assert "3 Projekte gefunden" in text
    assert (
        text.index("Gemeinsame Datenplattform")
        < text.index("Bürgerportal")
        < text.index("Straßenbeleuchtung")
    )
    assert "Soester Spielplatz" not in text
    # The map shows the located matches only: the joint project has a place, the playground does not match.
    assert response.context["map_html"].count("51.5") >= 1 and "51.4" not in response.context["map_html"]
    # The same search again (a visitor paging on): its matches come from the cache, no project text is searched.
    with CaptureQueriesContext(connection) as again:
        assert "3 Projekte gefunden" in client.get(url, {"q": "digital", "page": "1"}).content.decode()
    assert not [q["sql"] for q in again.captured_queries if _searches(q["sql"])]
    # A change of one of the town's projects moves the town's version: the next search reads the projects again.
    factories.project(municipality=town_a, title="Digitaler Bauhof")
    with CaptureQueriesContext(connection) as changed:
        assert "4 Projekte gefunden" in client.get(url, {"q": "digital"}).content.decode()
    assert [q["sql"] for q in changed.captured_queries if _searches(q["sql"])]
    with django_assert_max_num_queries(14):
        assert "0 Projekte gefunden" in client.get(url, {"q": "Kirchplatz"}).content.decode()


def test_the_api_search_reads_the_capped_matches(client, projects, town_a, django_assert_max_num_queries):
    url = reverse("api:projects", kwargs={"town_slug": town_a.slug})
    with django_assert_max_num_queries(12):
        body = client.get(url, {"q": "digital"}).json()
    assert [p["title"] for p in body["results"]] == [
        "Gemeinsame Datenplattform",
        "Bürgerportal",
        "Intelligente Straßenbeleuchtung",
    ]
    assert body["count"] == 3 and not body.get("count_capped")
    ordered = client.get(url, {"q": "digital", "ordering": "title"}).json()
    assert [p["title"] for p in ordered["results"]] == [
        "Bürgerportal",
        "Gemeinsame Datenplattform",
        "Intelligente Straßenbeleuchtung",
    ]
