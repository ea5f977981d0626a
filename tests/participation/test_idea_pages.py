"""Town-wide idea lists are read per process and merged (``participation.selectors.ideas.IdeaPages``); their "next page"
links carry the position of the page's last idea (``?nach=``). Every page, by number or by position, holds the
same ideas in the same order as the list sorted as a whole; a broken position falls back to the page number."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from municipalities.scoping import town_scope
from participation.models import Idea
from participation.selectors import ideas as ideas_selectors
from participation.selectors import processes as processes_selectors
from participation.selectors.ideas import SORTS
from participation.services import common as common_services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists(arnsberg, town_b, process):
    """45 ideas in three processes of Arnsberg's scope (two own, one joint process led by Soest), written at
    interleaved times; some share their time and their counts, so that the sort's last key decides."""
    second = factories.process(municipality=arnsberg, title="Zweites Verfahren")
    joint = factories.process(municipality=town_b, partners=[arnsberg], title="Gemeinsames Verfahren")
    elsewhere = factories.process(municipality=town_b, title="Nur in Soest")
    author = factories.UserFactory()
    start = timezone.now() - datetime.timedelta(days=30)
    processes = [process, second, joint]
    for n in range(45):
        owner = processes[n % 3]
        with town_scope(owner.municipality):
            Idea.objects.create(
                process=owner,
                municipality=owner.municipality,
                author=author,
                title=f"Idee {n:02d}",
                body="Mehr Licht am Abend.",
                created_at=start + datetime.timedelta(hours=n // 2),  # two ideas at each moment
                support_count=n % 4,
                comment_count=n % 3,
            )
    with town_scope(town_b):
        Idea.objects.create(
            process=elsewhere, municipality=town_b, author=author, title="Nicht in Arnsberg", body="x"
        )
    common_services.touch_processes([p.pk for p in (*processes, elsewhere)], recount=True)
    return reverse("participation:ideas", kwargs={"town_slug": arnsberg.slug})


def _whole(sort: str) -> list[str]:
    """The titles of Arnsberg's list sorted as a whole (one query, no pages)."""
    ideas = Idea._base_manager.exclude(title="Nicht in Arnsberg").filter(title__startswith="Idee ")
    return list(ideas.order_by(*SORTS[sort]).values_list("title", flat=True))


def _titles(response) -> list[str]:
    return [idea.title for idea in response.context["ideas"]]


def _next(response) -> str | None:
    found = re.search(r'<a href="(\?[^"]*)" rel="next"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


@pytest.mark.parametrize("sort", ["new", "supported", "discussed"])
def test_following_next_links_walks_the_whole_list_in_order(client, lists, sort):
    expected = _whole(sort)
    seen, url, number = [], f"{lists}?sort={sort}", 1
    while url:
        response = client.get(url if url.startswith("/") else lists + url)
        assert response.status_code == 200
        assert response.context["page_obj"].number == number
        seen += _titles(response)
        link = _next(response)
        if link:
            assert "nach=" in link and f"page={number + 1}" in link and f"sort={sort}" in link
        url, number = link, number + 1
    assert seen == expected  # every idea once, none of another town, in the order of the whole list
    # The page numbers alone (old links, bookmarks) give the same pages.
    by_number = []
    for page in (1, 2, 3):
        by_number += _titles(client.get(f"{lists}?sort={sort}&page={page}"))
    assert by_number == expected


def test_a_filtered_list_pages_by_number_from_its_first_matches(client, lists, django_assert_max_num_queries):
    # A filtered list reads its first COUNT_CAP + 1 (201) matches once (count, pages, map) and links its pages by number.
    first = client.get(f"{lists}?sort=supported&q=Licht")
    assert _titles(first) == _whole("supported")[:20]
    link = _next(first)
    assert "page=2" in link and "nach=" not in link
    assert _titles(client.get(lists + link)) == _whole("supported")[20:40]
    # A position on a filtered list (typed, or kept from an unfiltered one) is ignored: the number decides.
    ignored = client.get(f"{lists}?sort=supported&q=Licht&page=3&nach=1_1_1")
    assert _titles(ignored) == _whole("supported")[40:]
    some = client.get(f"{lists}?sort=supported&q=Idee+03")
    assert _titles(some) == ["Idee 03"] and some.context["page_obj"].paginator.count == 1


@pytest.mark.parametrize(
    "position",
    ["abc", "1_2", "1_2_3_4", "-5_7", "99999999999999999999_1", "١٢_٣", "", "1.5_2"],
)
def test_a_broken_position_falls_back_to_the_page_number(client, lists, position):
    response = client.get(f"{lists}?page=2&nach={position}")
    assert response.status_code == 200
    assert response.context["page_obj"].number == 2
    assert _titles(response) == _whole("new")[20:40]
    # A broken page number with a position: the first page, as before positions existed.
    broken = client.get(f"{lists}?page=x&nach=1_2")
    assert broken.status_code == 200 and _titles(broken) == _whole("new")[:20]


def test_every_page_makes_the_same_queries(client, lists, settings):
    settings.PAGE_CACHE_SECONDS = 0  # every request builds its page
    first = client.get(lists)
    counts = []
    for url in (lists, lists + _next(first), f"{lists}?page=3", f"{lists}?q=Licht&page=2"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert max(counts) <= 12
    assert counts[0] == counts[1] == counts[2]  # by position or by number: no query more than the first page


def test_the_api_pages_match_the_whole_list_and_keep_their_links(client, lists, arnsberg):
    base = f"/api/v1/towns/{arnsberg.slug}/ideas/"
    titles = []
    url = f"{base}?sort=discussed"
    while url:
        answer = client.get(url).json()
        assert answer["count"] == 45 and answer["count_capped"] is False
        titles += [row["title"] for row in answer["results"]]
        url = answer["next"]
        assert url is None or "page=" in url
    assert titles == _whole("discussed")
    filtered = client.get(f"{base}?q=Licht&page=3").json()
    assert [row["title"] for row in filtered["results"]] == _whole("new")[40:]
    assert client.get(f"{base}?page=4").status_code == 404


@pytest.mark.parametrize("sort", ["new", "supported", "discussed"])
def test_pages_by_offset_and_by_position_match_the_plain_query(lists, arnsberg, process, sort):
    """One process (the process page, ``?process=``) or all of the scope's: any slice, from an offset or from
    the position after a row, is that slice of the list sorted as a whole."""
    with town_scope(arnsberg):
        processes = processes_selectors.published_process_ids()
        for parts, filters in (
            ([process.pk], ideas_selectors.IdeaFilters(process=process, sort=sort)),
            (processes, ideas_selectors.IdeaFilters(sort=sort)),
        ):
            qs = ideas_selectors.idea_list(filters=filters, processes=processes)
            plain = [idea.pk for idea in qs]
            pages = ideas_selectors.IdeaPages(qs, processes=parts, sort=sort)
            assert [idea.pk for idea in pages[5:10]] == plain[5:10]
            assert [idea.pk for idea in pages[0:4]] == plain[0:4]
            sixth = qs[5]
            after = ideas_selectors.IdeaPages.parse_cursor(
                ideas_selectors.IdeaPages.cursor(sixth, sort), sort
            )
            following = ideas_selectors.IdeaPages(qs, processes=parts, sort=sort, after=after)
            assert [idea.pk for idea in following[0:5]] == plain[6:11]
