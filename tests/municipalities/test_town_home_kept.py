"""The town page built without the page cache (the first visitor after a change, anyone signed in): its running
processes, the footer's towns and the consortium are kept per worker under the town's versions, and every write
of what they show is on the very next page (bench/README.md, "The demo's town page")."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from municipalities.scoping import town_scope
from participation.services import ideas as ideas_services
from participation.services import processes as processes_services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    settings.PAGE_CACHE_SECONDS = 0


def _home(client, municipality) -> str:
    response = client.get(reverse("municipalities:home", kwargs={"town_slug": municipality.slug}))
    assert response.status_code == 200
    return response.content.decode()


def test_every_change_of_the_running_processes_is_on_the_next_page(client, town_a, town_b):
    process = factories.process(municipality=town_a, title="Ideen für den Marktplatz")
    assert "Ideen für den Marktplatz" in _home(client, town_a)
    assert "<dt>Ideen</dt><dd>0</dd>" in _home(client, town_a)  # kept: the same page again

    author = factories.UserFactory()
    with town_scope(town_a):
        ideas_services.idea_submit(
            process=process, author=author, fields={"title": "Bänke", "body": "Mehr Bänke."}, consent=True
        )
    assert "<dt>Ideen</dt><dd>1</dd>" in _home(client, town_a)

    with town_scope(town_a):
        processes_services.process_change(
            process=process, by=None, acting_town=town_a, fields={"title": "Ideen für die Altstadt"}
        )
    page = _home(client, town_a)
    assert "Ideen für die Altstadt" in page and "Ideen für den Marktplatz" not in page

    with town_scope(town_a):
        processes_services.process_change(
            process=process, by=None, acting_town=town_a, fields={}, partner_towns=[town_b]
        )
    assert "(mit Soest)" in _home(client, town_a)
    town_b.name = "Soest (Westfalen)"
    town_b.save()
    assert "(mit Soest (Westfalen))" in _home(client, town_a)

    today = timezone.localdate()
    ended = [
        {
            "kind": "ideas",
            "starts_on": today - datetime.timedelta(days=9),
            "ends_on": today - datetime.timedelta(days=1),
        }
    ]
    with town_scope(town_a):
        processes_services.process_change(
            process=process, by=None, acting_town=town_a, fields={}, phases=ended
        )
    assert "Ideen für die Altstadt" not in _home(client, town_a)

    factories.process(municipality=town_a, title="Ideen für den Bahnhof")
    assert "Ideen für den Bahnhof" in _home(client, town_a)


def test_the_towns_and_the_consortium_are_new_on_the_next_page(client, town_a, town_b):
    assert ">Soest</a></li>" in _home(client, town_a)
    town_b.name = "Soest an der Börde"
    town_b.save()
    page = _home(client, town_a)
    assert ">Soest an der Börde</a></li>" in page and ">Soest</a></li>" not in page

    town_b.is_active = False
    town_b.save()
    assert "Soest an der Börde" not in _home(client, town_a)

    consortium = town_a.consortium
    consortium.name = "Fünf für Südwestfalen"
    consortium.save()
    assert "„Fünf für Südwestfalen“" in _home(client, town_a)


def test_a_built_town_page_reads_the_town_and_the_versions_only(
    client, town_a, django_assert_max_num_queries
):
    factories.process(municipality=town_a, title="Ideen für den Marktplatz")
    _home(client, town_a)
    # The town (middleware) and its processes' versions; neither the processes with their phases and partners,
    # nor the footer's towns, nor the consortium again (the other two are the request's savepoint and release).
    with django_assert_max_num_queries(4):
        assert "Ideen für den Marktplatz" in _home(client, town_a)
