"""The idea search (smartcity5.search): every word inside the title, description or place, whatever the case; its
first COUNT_CAP + 1 (201) matches read once in the list's order and cached under the scope's stored version, so that the next
pages and the same search again read no idea, and any change of the town's ideas is found at once."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from municipalities.scoping import town_scope
from participation.selectors import ideas as ideas_selectors
from participation.selectors import processes as processes_selectors
from smartcity5.pagination import COUNT_CAP
from tests import factories

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _searches(sql: str) -> bool:
    """Whether a query searches the ideas for the matches (a ``LIKE`` on the stored search text; the first
    ``COUNT_CAP + 1``). The page's 20 rows and the map's points are read by id from the matches."""
    text = '"search_text"' in sql and "LIKE" in sql  # the stored text (Idea.search_text)
    return text and f"LIMIT {COUNT_CAP + 1}" in sql


@pytest.fixture
def ideas(process, arnsberg):
    other = factories.process(municipality=arnsberg, title="Zweiter Aufruf")
    return [
        factories.idea(process=process, title="Spielplatz am Bürgerhaus", body="Schaukeln für alle Kinder."),
        factories.idea(
            process=other, title="Mehr Straßenlaternen", body="Die Hauptstraße ist abends dunkel."
        ),
        factories.idea(process=process, title="Digitale Bürgersprechstunde", body="Online mit dem Rathaus."),
        factories.idea(
            process=other, title="Bank am Kirchplatz", body="Zum Ausruhen.", location_label="Kirchplatz"
        ),
    ]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("platz", ["Bank am Kirchplatz", "Spielplatz am Bürgerhaus"]),
        ("bürger", ["Digitale Bürgersprechstunde", "Spielplatz am Bürgerhaus"]),
        ("STRASSE", []),
        ("straße abends", ["Mehr Straßenlaternen"]),
        ("kirchplatz", ["Bank am Kirchplatz"]),
    ],
)
def test_the_search_finds_what_it_found_before(ideas, arnsberg, q, expected):
    with town_scope(arnsberg):
        processes = processes_selectors.published_process_ids()
        qs = ideas_selectors.idea_list(filters=ideas_selectors.IdeaFilters(q=q), processes=processes)
        plain = [idea.title for idea in qs]
        pages = ideas_selectors.IdeaPages(
            qs, processes=processes, version=processes_selectors.scope_freshness().version
        )
        ids = [pk for pk, _ in pages.matches(COUNT_CAP)]
    assert plain == expected  # newest first
    assert [idea.title for idea in pages[0:20]] == expected and len(ids) == len(expected)


def test_a_search_is_cached_until_an_idea_changes(
    client, ideas, process, arnsberg, django_assert_max_num_queries
):
    url = reverse("participation:ideas", kwargs={"town_slug": arnsberg.slug})
    with django_assert_max_num_queries(12):
        first = _text(client.get(url, {"q": "platz"}))
    assert "2 Ideen gefunden" in first
    with CaptureQueriesContext(connection) as again:
        assert "2 Ideen gefunden" in _text(client.get(url, {"q": "platz", "page": "1"}))
    assert not [q["sql"] for q in again.captured_queries if _searches(q["sql"])]
    # A new idea moves the process's stored version (participation.services.common.touch_processes): searched again.
    factories.idea(process=process, title="Neuer Marktplatz", body="Mit Brunnen.")
    with CaptureQueriesContext(connection) as changed:
        text = _text(client.get(url, {"q": "platz"}))
    assert "3 Ideen gefunden" in text and "Neuer Marktplatz" in text
    assert [q["sql"] for q in changed.captured_queries if _searches(q["sql"])]
    # The API's search: the same matches, the same cache.
    api = reverse("api:ideas", kwargs={"town_slug": arnsberg.slug})
    body = client.get(api, {"q": "platz"}).json()
    assert [idea["title"] for idea in body["results"]] == [
        "Neuer Marktplatz",
        "Bank am Kirchplatz",
        "Spielplatz am Bürgerhaus",
    ]
    assert body["count"] == 3


def _found(q: str) -> list[str]:
    return [idea.title for idea in ideas_selectors.idea_list(filters=ideas_selectors.IdeaFilters(q=q))]


def test_the_stored_text_follows_every_write_and_no_word_spans_two_columns(ideas, arnsberg):
    """``Idea.search_text`` is the database's (a generated column): a change made without the services, by
    ``update()``, is found at once; a word never runs from the title into the description ("bürgerhausschaukeln")."""
    from participation.models import Idea

    with town_scope(arnsberg):
        assert _found("bürgerhausschaukeln") == [] and _found("HAUSSCHAU") == []
        Idea._base_manager.filter(pk=ideas[0].pk).update(
            body="Ein Klettergerüst.", location_label="Ruhrwiesen"
        )
        assert _found("schaukeln") == []
        assert _found("klettergerüst ruhrwiesen") == _found("SPIELPLATZ") == ["Spielplatz am Bürgerhaus"]
