"""Anonymous JSON answers of the API's town lists and ideas from the anonymous page cache (real Redis): the same
body and ETag as a built answer, new after every write, never for signed-in callers or the browsable HTML."""

import json

import pytest
from django.urls import reverse

from municipalities.scoping import town_scope
from participation.services import moderation as moderation_services
from projects import services as project_services
from smartcity5.page_cache import HEADER
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


@pytest.fixture
def process(town_a):
    return factories.process(municipality=town_a, title="Ideen für Arnsberg")


def _ideas(town):
    return reverse("api:ideas", kwargs={"town_slug": town.slug})


def test_a_second_anonymous_call_is_answered_from_the_cache(client, town_a, process):
    idea = factories.idea(process=process, title="Bänke am Markt")
    for url in (
        _ideas(town_a),
        reverse("api:idea", kwargs={"town_slug": town_a.slug, "pk": idea.pk}),
        reverse("api:processes", kwargs={"town_slug": town_a.slug}),
        reverse("api:projects", kwargs={"town_slug": town_a.slug}),
    ):
        built = client.get(url)
        cached = client.get(url)
        assert built.status_code == cached.status_code == 200, url
        assert HEADER not in built and cached[HEADER] == "hit", url
        assert cached.content == built.content
        assert cached["Content-Type"] == built["Content-Type"]
        if "ETag" in built:
            assert cached["ETag"] == built["ETag"]
            assert client.get(url, HTTP_IF_NONE_MATCH=built["ETag"]).status_code == 304


def test_the_hit_builds_nothing(client, town_a, process, django_assert_max_num_queries):
    factories.idea(process=process, title="Bänke am Markt")
    client.get(_ideas(town_a))
    # the town, the version, Last-Modified (the same process rows), the savepoint and its release
    with django_assert_max_num_queries(5):
        assert client.get(_ideas(town_a))[HEADER] == "hit"


def test_new_after_every_write(client, town_a, process, editor_a):
    url = _ideas(town_a)
    idea = factories.idea(process=process, title="Bänke am Markt")
    client.get(url)
    factories.idea(process=process, title="Neuer Brunnen")
    fresh = client.get(url)
    assert HEADER not in fresh and "Neuer Brunnen" in fresh.content.decode()
    assert client.get(url)[HEADER] == "hit"
    factories.comment(idea=idea, body="Gern")
    counted = {row["title"]: row for row in json.loads(client.get(url).content)["results"]}
    assert counted["Bänke am Markt"]["comment_count"] == 1
    with town_scope(town_a):
        moderation_services.moderation_hide(target=idea, by=editor_a, acting_town=town_a, reason="Werbung")
    assert "Bänke am Markt" not in client.get(url).content.decode()
    projects = reverse("api:projects", kwargs={"town_slug": town_a.slug})
    project = factories.project(municipality=town_a, title="Digitaler Zwilling")
    client.get(projects)
    with town_scope(town_a):
        project_services.project_change(
            project=project, by=editor_a, acting_town=town_a, fields={"title": "Zwilling der Stadt"}
        )
    assert "Zwilling der Stadt" in client.get(projects).content.decode()


def test_never_for_signed_in_callers_nor_the_browsable_api(client, town_a, process, citizen):
    factories.idea(process=process, title="Bänke am Markt")
    url = _ideas(town_a)
    client.get(url)
    client.force_login(citizen)
    for _ in range(2):
        assert HEADER not in client.get(url)
    client.logout()
    for _ in range(2):
        assert HEADER not in client.get(url, HTTP_ACCEPT="text/html")
