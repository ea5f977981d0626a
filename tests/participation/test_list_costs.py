"""The idea list, the process page and the API's idea list built without the page cache (issue 16, the demo on
SQLite, branch ``demo2``): their first page is read by SQL compiled once per worker (``selectors.IdeaPages``,
``compiled_key``) as the few columns the cards show (``selectors.idea_cards``), the filter's options are kept per
worker under the pages' version (``IdeaFilterForm(choices_version=…)``), and the scope's processes are read once
per request. Every change of what they show is on the very next page, and each page reads a fixed, smaller
number of queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from municipalities.scoping import town_scope
from participation.services import processes as processes_services
from projects.models import FieldOfAction
from smartcity5 import fragments
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    settings.PAGE_CACHE_SECONDS = 0


def _ideas(client, municipality, query: str = "") -> str:
    response = client.get(reverse("participation:ideas", kwargs={"town_slug": municipality.slug}) + query)
    assert response.status_code == 200
    return response.content.decode()


def _process_page(client, municipality, process) -> str:
    url = reverse("participation:process", kwargs={"town_slug": municipality.slug, "slug": process.slug})
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_every_change_of_a_card_is_on_the_next_page(client, process, arnsberg):
    author = factories.UserFactory(display_name="Paula")
    idea = factories.idea(process=process, author=author, title="Bänke am Markt")
    page = _ideas(client, arnsberg)
    assert "Bänke am Markt" in page and "Paula" in page
    assert "Bänke am Markt" in _ideas(client, arnsberg)  # the same page again, from the compiled SQL

    author.display_name = "Paula K."
    author.save()  # no version moves: the rows are read on every page, only their SQL is kept
    assert "Paula K." in _ideas(client, arnsberg)

    factories.idea(process=process, title="Brunnen am Dom")
    page = _ideas(client, arnsberg)
    assert "Brunnen am Dom" in page and "2 Ideen gefunden" in page

    author.delete()
    page = _ideas(client, arnsberg)
    assert "Gelöschtes Konto" in page and "Paula" not in page

    with town_scope(arnsberg):
        processes_services.process_change(
            process=process, by=None, acting_town=arnsberg, fields={"title": "Ideen für die Altstadt"}
        )
    assert "<dd>Ideen für die Altstadt</dd>" in _ideas(client, arnsberg)
    assert idea.title in _process_page(client, arnsberg, process)


def test_the_filter_options_follow_processes_and_fields_of_action(client, process, arnsberg):
    page = _ideas(client, arnsberg)
    assert f'value="{process.slug}">{process.title}</option>' in page

    with town_scope(arnsberg):
        processes_services.process_change(
            process=process, by=None, acting_town=arnsberg, fields={"title": "Neuer Titel"}
        )
    assert f'value="{process.slug}">Neuer Titel</option>' in _ideas(client, arnsberg)

    other = factories.process(municipality=arnsberg, title="Zweiter Prozess")
    assert f'value="{other.slug}">Zweiter Prozess</option>' in _ideas(client, arnsberg)

    FieldOfAction.objects.create(name="Digitale Verwaltung", slug="digitale-verwaltung", position=99)
    assert 'value="digitale-verwaltung">Digitale Verwaltung</option>' in _ideas(client, arnsberg)
    assert 'value="digitale-verwaltung">Digitale Verwaltung</option>' in _process_page(
        client, arnsberg, process
    )

    # A chosen option is still checked against the database.
    page = _ideas(client, arnsberg, f"?process={other.slug}")
    assert f'value="{other.slug}" selected>' in page
    assert "Keine Idee passt zu diesen Filtern." in _ideas(
        client, arnsberg, "?field_of_action=digitale-verwaltung"
    )


def test_a_process_without_ideas_and_a_joint_process(client, arnsberg, town_b, town_c):
    empty = factories.process(municipality=arnsberg, title="Noch leer")
    assert "Keine Idee passt zu diesen Filtern." in _process_page(client, arnsberg, empty)

    joint = factories.process(municipality=arnsberg, partners=[town_b], title="Gemeinsam")
    factories.idea(process=joint, title="Radweg zwischen den Städten")
    for town in (arnsberg, town_b):
        page = _ideas(client, town)
        assert "Radweg zwischen den Städten" in page
        assert f'href="/{arnsberg.slug}/ideen/' in page  # the idea's own town in its card's link
        assert "Radweg zwischen den Städten" in _process_page(client, town, joint)
    # Another town's scope does not reuse this one's compiled SQL.
    assert "Radweg zwischen den Städten" not in _ideas(client, town_c)


def test_the_lists_read_a_fixed_number_of_queries(client, process, arnsberg, django_assert_max_num_queries):
    for number in range(25):
        factories.idea(process=process, title=f"Idee {number}", latitude="51.4", longitude="8.0")
    api = reverse("api:ideas", kwargs={"town_slug": arnsberg.slug})
    # The first visit of a worker reads and keeps the footer's towns, the filter's options and the SQL.
    _ideas(client, arnsberg)
    _process_page(client, arnsberg, process)
    client.get(api)
    # The request's savepoint and its release besides: town, the scope's processes, the ideas (were five: the
    # fields of action and the filter's processes too).
    with django_assert_max_num_queries(5):
        _ideas(client, arnsberg)
    # Town, process, its phases and partners, the shortlist, the ideas, the survey (were eight: the fields of action
    # too).
    with django_assert_max_num_queries(9):
        _process_page(client, arnsberg, process)
    # Town, the scope's processes (once for Last-Modified, the total and the processes), the ideas (were five: the
    # processes three times).
    with django_assert_max_num_queries(5):
        assert client.get(api).status_code == 200


def test_the_kept_options_are_per_scope_and_language(client, arnsberg, town_b):
    process_a = factories.process(municipality=arnsberg, title="Nur in Arnsberg")
    assert "Nur in Arnsberg</option>" in _ideas(client, arnsberg)
    assert "Nur in Arnsberg</option>" not in _ideas(client, town_b)
    fragments.clear()
    client.cookies["django_language"] = "en"
    page = _ideas(client, arnsberg)
    assert f'value="{process_a.slug}">Nur in Arnsberg</option>' in page and ">All</option>" in page


def test_a_phase_plan_change_keeps_the_cards(client, process, arnsberg):
    factories.idea(process=process, title="Bäume am Neumarkt")
    today = timezone.localdate()
    ended = [
        {
            "kind": "ideas",
            "starts_on": today - datetime.timedelta(days=9),
            "ends_on": today - datetime.timedelta(days=1),
        }
    ]
    with town_scope(arnsberg):
        processes_services.process_change(
            process=process, by=None, acting_town=arnsberg, fields={}, phases=ended
        )
    assert "Bäume am Neumarkt" in _ideas(client, arnsberg)
