"""Open data files rebuilt by a real worker from real Redis: a change commits, its build is handed over, the worker
writes new files; a burst of changes makes far fewer builds than changes, and the files end up current."""

import json
import threading

import pytest
from celery.signals import task_postrun
from django.core.management import call_command
from django.urls import reverse

from api.models import OpenDataChange, OpenDataFile
from municipalities.scoping import town_scope
from participation.services import moderation as moderation_services
from participation.services import supports as supports_services
from tests import factories

from .conftest import run_worker, wait_for, worker_queue

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _url(file_format, municipality=None):
    if municipality is None:
        return reverse(f"api:opendata-{file_format}", kwargs={"dataset": "ideas"})
    return reverse(
        f"api:town-opendata-{file_format}", kwargs={"dataset": "ideas", "town_slug": municipality.slug}
    )


def _text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def _built_after(moments: dict) -> bool:
    files = {f.pk: f.built_at for f in OpenDataFile.objects.filter(dataset="ideas")}
    return not OpenDataChange.objects.filter(dataset="ideas").exists() and all(
        files[pk] > moment for pk, moment in moments.items()
    )


class Builds:
    """What the worker's ``opendata_build`` runs returned (how many builds each made)."""

    def __init__(self):
        self.results, self.lock = [], threading.Lock()

    def __call__(self, sender=None, retval=None, **kwargs):
        if sender is not None and sender.name == "api.tasks.opendata_build":
            with self.lock:
                self.results.append(retval)


@pytest.fixture
def builds():
    receiver = Builds()
    task_postrun.connect(receiver, weak=False)
    yield receiver
    task_postrun.disconnect(receiver)


def test_a_hidden_idea_leaves_the_files_once_the_worker_rebuilt_them(
    client, settings, town_a, editor_a, builds
):
    settings.SITE_HOST = "testserver"
    process = factories.process(municipality=town_a)
    hidden = factories.idea(process=process, title="Bald versteckt")
    factories.idea(process=process, title="Bleibt sichtbar")
    call_command("opendata_build")
    builds.results.clear()
    first = client.get(_url("csv", town_a))
    assert "Bald versteckt" in _text(first)
    moments = dict(OpenDataFile.objects.filter(dataset="ideas").values_list("pk", "built_at"))
    assert len(moments) == 2 * 2  # the region and Arnsberg, CSV and JSON
    with worker_queue() as queue, run_worker(queue):
        with town_scope(town_a):
            moderation_services.moderation_hide(
                target=hidden, by=editor_a, acting_town=town_a, reason="Beleidigung"
            )
        wait_for(lambda: _built_after(moments), timeout=60)
    assert sum(builds.results) >= 1
    for town in (town_a, None):
        response = client.get(_url("csv", town), HTTP_IF_NONE_MATCH=first["ETag"])
        assert response.status_code == 200
        text = _text(response)
        assert "Bald versteckt" not in text and "Bleibt sichtbar" in text
        body = json.loads(_text(client.get(_url("json", town))))
        assert [item["title"] for item in body["items"]] == ["Bleibt sichtbar"]
    assert client.get(_url("csv", town_a), HTTP_IF_NONE_MATCH=first["ETag"])["ETag"] != first["ETag"]


def test_a_burst_of_supports_makes_few_builds_and_current_files(client, settings, town_a, builds):
    settings.SITE_HOST = "testserver"
    idea = factories.idea(process=factories.process(municipality=town_a), title="Beliebte Idee")
    people = [factories.UserFactory() for _ in range(12)]
    call_command("opendata_build")
    builds.results.clear()
    moments = dict(OpenDataFile.objects.filter(dataset="ideas").values_list("pk", "built_at"))
    with worker_queue() as queue, run_worker(queue):
        with town_scope(town_a):
            for person in people:  # each in its own transaction, each handing a build over
                supports_services.support_add(idea=idea, user=person)
        wait_for(lambda: len(builds.results) >= len(people) and _built_after(moments), timeout=90)
    print(f"{len(people)} supports, {len(builds.results)} build tasks, {sum(builds.results)} builds")
    assert sum(builds.results) < len(people)  # tasks that found the changes built already returned at once
    body = json.loads(_text(client.get(_url("json", town_a))))
    assert body["items"][0]["support_count"] == len(people)
