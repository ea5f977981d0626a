"""Filtered idea lists count their matches only up to ``smartcity5.pagination.COUNT_CAP`` (200): a common word
once made the ``COUNT(*)`` nearly the whole request at 200,000 ideas (bench/README.md). Beyond the cap the page
says "more than 200", its pages reach the first 200, and the API says ``count_capped``. Unfiltered lists keep
their exact stored count."""

import math
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from municipalities.scoping import town_scope
from participation.models import Idea
from participation.services import common as common_services
from smartcity5 import fragments
from smartcity5.pagination import COUNT_CAP
from tests import factories

pytestmark = pytest.mark.django_db

#: The cap as the German and English pages write it, and how many pages it fills.
CAP_DE = f"{COUNT_CAP:,}".replace(",", ".")
CAP_EN = f"{COUNT_CAP:,}"
CAP_PAGES = math.ceil(COUNT_CAP / 20)


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _ideas(process, town, count: int, title: str) -> None:
    """``count`` published ideas with ``title`` (and "Licht" in every description), written at once and counted
    into the process's stored figures as the services keep them."""
    author = factories.UserFactory.create()
    with town_scope(town):
        Idea.objects.bulk_create(
            [
                Idea(
                    process=process,
                    municipality=town,
                    author=author,
                    title=f"{title} {n}",
                    body="Mehr Licht am Abend.",
                )
                for n in range(count)
            ]
        )
        common_services.touch_processes([process.pk], recount=True)


@pytest.fixture
def many(process, arnsberg):
    """COUNT_CAP ideas about lanterns and five about benches: "Licht" matches COUNT_CAP + 5, "Laterne" exactly
    COUNT_CAP."""
    _ideas(process, arnsberg, COUNT_CAP, "Laterne")
    _ideas(process, arnsberg, 5, "Sitzbank")
    return process


def test_a_search_beyond_the_cap_says_more_than_the_cap_and_pages_up_to_it(client, many, arnsberg):
    url = reverse("participation:ideas", kwargs={"town_slug": arnsberg.slug})
    first = _text(client.get(url + "?q=Licht"))
    assert f"Mehr als {CAP_DE} Ideen gefunden. Die ersten {CAP_DE} werden angezeigt" in first
    assert f"Seite 1 von {CAP_PAGES}" in first and 'rel="next"' in first and "page=2" in first
    last = client.get(url + f"?q=Licht&page={CAP_PAGES}")
    assert last.status_code == 200 and len(last.context["ideas"]) == 20
    assert f"Seite {CAP_PAGES} von {CAP_PAGES}" in _text(last) and 'rel="next"' not in _text(last)
    assert f"page={CAP_PAGES - 1}" in _text(last)
    # A page beyond the cap shows the last one, as for any page number past the end.
    beyond = client.get(url + f"?q=Licht&page={CAP_PAGES + 1}")
    assert beyond.status_code == 200 and beyond.context["page_obj"].number == CAP_PAGES


def test_exactly_the_cap_is_counted_exactly_and_unfiltered_lists_keep_the_stored_count(
    client, many, arnsberg
):
    url = reverse("participation:ideas", kwargs={"town_slug": arnsberg.slug})
    exact = _text(client.get(url + "?q=Laterne"))
    assert f"{COUNT_CAP} Ideen gefunden." in exact and "Mehr als" not in exact
    assert f"Seite 1 von {CAP_PAGES}" in exact
    assert "5 Ideen gefunden." in _text(client.get(url + "?q=Sitzbank"))
    # No filter: the process's stored count, never capped (every page reachable).
    whole = _text(client.get(url))
    assert f"{COUNT_CAP + 5} Ideen gefunden." in whole and f"Seite 1 von {CAP_PAGES + 1}" in whole
    process_page = _text(
        client.get(
            reverse("participation:process", kwargs={"town_slug": arnsberg.slug, "slug": many.slug})
            + "?q=Licht"
        )
    )
    assert f"Mehr als {CAP_DE} Ideen gefunden." in process_page


def test_the_capped_count_in_english(client, many, arnsberg):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = _text(client.get(reverse("participation:ideas", kwargs={"town_slug": arnsberg.slug}) + "?q=Licht"))
    assert f"More than {CAP_EN} ideas found. The first {CAP_EN} are shown; narrow down your search" in page


def test_the_api_says_count_capped_and_pages_up_to_the_cap(client, many, arnsberg):
    base = f"/api/v1/towns/{arnsberg.slug}"
    capped = client.get(f"{base}/ideas/?q=Licht").json()
    assert (capped["count"], capped["count_capped"]) == (COUNT_CAP, True) and len(capped["results"]) == 20
    last = client.get(f"{base}/ideas/?q=Licht&page={CAP_PAGES}").json()
    assert last["next"] is None and last["previous"] and last["count_capped"] is True
    assert client.get(f"{base}/ideas/?q=Licht&page={CAP_PAGES + 1}").status_code == 404
    exact = client.get(f"{base}/ideas/?q=Laterne").json()
    assert (exact["count"], exact["count_capped"]) == (COUNT_CAP, False)
    whole = client.get(f"{base}/ideas/").json()
    assert (whole["count"], whole["count_capped"]) == (COUNT_CAP + 5, False)
    in_process = client.get(f"{base}/processes/{many.slug}/ideas/?q=Licht").json()
    assert (in_process["count"], in_process["count_capped"]) == (COUNT_CAP, True)
    # Every list answer carries the flag, also lists that never cap.
    assert client.get("/api/v1/towns/").json()["count_capped"] is False


def test_filtered_lists_make_the_same_queries_with_5_and_with_more_matches_than_the_cap(
    client, process, arnsberg, django_assert_max_num_queries
):
    ideas = reverse("participation:ideas", kwargs={"town_slug": arnsberg.slug})
    pages = [
        ideas + "?q=Licht",
        ideas + "?q=Licht&status=submitted&sort=supported",
        ideas + f"?q=Licht&page={CAP_PAGES}",
        reverse("participation:process", kwargs={"town_slug": arnsberg.slug, "slug": process.slug})
        + "?q=Licht",
        f"/api/v1/towns/{arnsberg.slug}/ideas/?q=Licht",
        f"/api/v1/towns/{arnsberg.slug}/processes/{process.slug}/ideas/?q=Licht&sort=supported",
    ]

    def counts() -> list[int]:
        fragments.clear()  # each round as a fresh worker: what it keeps (the footer's towns) is read again
        found = []
        for url in pages:
            with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code in (200, 404), url
            found.append(len(queries))
        return found

    _ideas(process, arnsberg, 5, "Laterne")
    few = counts()
    _ideas(process, arnsberg, COUNT_CAP, "Laterne")
    assert counts() == few


def test_the_region_process_list_is_paginated(client, arnsberg, town_b):
    for number in range(21):
        factories.process(municipality=town_b if number % 2 else arnsberg, title=f"Verfahren {number:02d}")
    first = _text(client.get(reverse("region-processes")))
    assert "Seite 1 von 2" in first and first.count('class="sc5-card') >= 20
    second = client.get(reverse("region-processes") + "?page=2")
    assert second.status_code == 200 and len(second.context["processes"]) == 1
