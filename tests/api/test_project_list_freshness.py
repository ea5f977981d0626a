"""The API project list's Last-Modified comes from the town's stored page version (``Municipality.
content_changed_at``, moved by municipalities.freshness in every writer's transaction), not from an aggregate over
every event of the town's projects per request (bench/README.md, "Search and the project list's Last-Modified")."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import http_date

from municipalities.models import Municipality
from municipalities.scoping import town_scope
from projects import services
from tests import factories

pytestmark = pytest.mark.django_db


def _url(municipality):
    return reverse("api:projects", kwargs={"town_slug": municipality.slug})


def _changed_at(municipality) -> str:
    moment = Municipality.objects.get(pk=municipality.pk).content_changed_at
    return http_date(int(moment.timestamp()))


def test_last_modified_is_the_towns_stored_change_and_moves_with_a_project(
    client, town_a, town_b, django_assert_max_num_queries
):
    project = factories.project(municipality=town_a, title="Sensoren")
    url = _url(town_a)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(url)
    assert first.status_code == 200 and first["Last-Modified"] == _changed_at(town_a)
    assert not [q["sql"] for q in queries.captured_queries if "projects_projectevent" in q["sql"]]
    # Nothing changed: 304.
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    # Another town's change does not move it.
    factories.project(municipality=town_b, title="Nur in Soest")
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    time.sleep(1.1)  # Last-Modified has a resolution of one second
    with town_scope(town_a):
        services.project_change(
            project=project, by=None, acting_town=town_a, fields={"summary": "Neu beschrieben."}
        )
    second = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert second.status_code == 200 and second["Last-Modified"] != first["Last-Modified"]
    assert second["Last-Modified"] == _changed_at(town_a)
    with django_assert_max_num_queries(10):  # (the answer is built, then compared)
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=second["Last-Modified"]).status_code == 304


def test_a_joint_projects_change_moves_the_partners_last_modified(client, town_a, town_b):
    joint = factories.project(municipality=town_b, partners=[town_a], title="Gemeinsam")
    url = _url(town_a)
    first = client.get(url)
    assert "Gemeinsam" in first.content.decode()
    time.sleep(1.1)
    factories.progress_update(project=joint, acting_town=town_b, title="Halbzeit", progress_percent=50)
    second = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert second.status_code == 200 and second["Last-Modified"] != first["Last-Modified"]


def test_the_date_only_moves_forward(town_a):
    from django.utils import timezone

    from municipalities import freshness

    later = timezone.now() + timezone.timedelta(hours=1)
    Municipality.objects.filter(pk=town_a.pk).update(content_changed_at=later)
    freshness.move([town_a.pk], channels=freshness.Channel.PAGES)
    municipality = Municipality.objects.get(pk=town_a.pk)
    assert municipality.content_changed_at == later and municipality.content_version > town_a.content_version


def test_the_unfiltered_lists_count_is_kept_per_version(client, town_a, town_b):
    factories.project(municipality=town_a, title="Erstes")
    url = _url(town_a)
    assert client.get(url).json()["count"] == 1
    with CaptureQueriesContext(connection) as again:
        assert client.get(url).json()["count"] == 1
    assert not [q["sql"] for q in again.captured_queries if "COUNT(" in q["sql"].upper()]
    factories.project(municipality=town_b, partners=[town_a], title="Gemeinsames")
    factories.project(municipality=town_a, title="Internes", visibility="internal")
    body = client.get(url).json()
    assert body["count"] == 2 and {p["title"] for p in body["results"]} == {"Erstes", "Gemeinsames"}
    assert client.get(url, {"q": "Erstes"}).json()["count"] == 1
