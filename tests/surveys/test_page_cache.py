"""The anonymous page cache (smartcity5/page_cache.py) and the surveys (issue 18, branch ``polish18``): the
process page's survey buttons ("Take part", "Results") are new on the next request after the survey is created,
changed or its results are made public, also when the row is written past the services (the admin, a script):
the survey row moves the pages' version of its process's towns (``surveys.freshness``); a response moves nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from municipalities.models import Municipality
from municipalities.scoping import town_scope
from participation.models import Process
from smartcity5.page_cache import HEADER
from surveys import services
from surveys.models import QuestionKind, Survey
from surveys.services import QuestionInput

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


def _page(client, process):
    url = reverse(
        "participation:process", kwargs={"town_slug": process.municipality.slug, "slug": process.slug}
    )
    response = client.get(url)
    assert response.status_code == 200
    return response[HEADER], response.content.decode()


def test_a_new_survey_is_on_the_cached_process_page_at_once(client, process, town_a):
    assert _page(client, process)[0] == "miss"
    state, page = _page(client, process)
    assert state == "hit" and "An der Umfrage teilnehmen" not in page
    with town_scope(town_a):
        survey = services.survey_create(
            process=process,
            by=None,
            fields={
                "title": "Ihre Meinung",
                "audience": "everyone",
                "is_anonymous": True,
                "results_shown": "staff",
            },
        )
    state, page = _page(client, process)
    assert state == "miss" and "An der Umfrage teilnehmen" in page and "Ergebnisse der Umfrage" not in page
    assert _page(client, process)[0] == "hit"

    with town_scope(town_a):
        services.survey_change(
            survey=survey, by=None, fields={"results_shown": "live"}
        )  # results made public
    state, page = _page(client, process)
    assert state == "miss" and "Ergebnisse der Umfrage" in page


def test_a_survey_written_past_the_services_moves_the_page_too(client, process, town_a):
    """The admin or a script saving the rows: the survey models are watched (``freshness.watch_all``)."""
    with town_scope(town_a):
        survey = services.survey_create(
            process=process,
            by=None,
            fields={
                "title": "Ihre Meinung",
                "audience": "everyone",
                "is_anonymous": True,
                "results_shown": "staff",
            },
        )
    _page(client, process)
    assert _page(client, process)[0] == "hit"
    version = Municipality.objects.get(pk=town_a.pk).content_version
    with town_scope(town_a):
        survey = Survey.objects.get(pk=survey.pk)
        survey.results_shown = "live"
        survey.save()
    assert Municipality.objects.get(pk=town_a.pk).content_version > version
    state, page = _page(client, process)
    assert state == "miss" and "Ergebnisse der Umfrage" in page


def test_a_response_does_not_move_the_process_page(client, process, town_a):
    """Live results are read from their own cache (``results_cached``, keyed on the response count): a response
    changes nothing on the process page, so the page stays in the cache through a busy survey."""
    with town_scope(town_a):
        survey = services.survey_create(
            process=process,
            by=None,
            fields={
                "title": "Ihre Meinung",
                "audience": "everyone",
                "is_anonymous": True,
                "results_shown": "live",
            },
        )
        question = services.question_add(
            survey=survey,
            by=None,
            values=QuestionInput(
                kind=QuestionKind.SINGLE, text="Gefällt Ihnen der Markt?", options=["Ja", "Nein"]
            ),
        )
    visitor = Client()  # another anonymous visitor: the one who answers has a message waiting
    _page(visitor, process)
    assert _page(visitor, process)[0] == "hit"
    with town_scope(town_a):
        version = Process.objects.get(pk=process.pk).content_version
    town_version = Municipality.objects.get(pk=town_a.pk).content_version
    url = reverse("surveys:survey", kwargs={"town_slug": town_a.slug, "slug": process.slug})
    assert client.get(url).status_code == 200
    with town_scope(town_a):
        yes = question.options.get(label="Ja")
    response = client.post(url, {f"q{question.pk}": str(yes.pk)})
    assert response.status_code == 302, response.content.decode()[:3000]
    with town_scope(town_a):
        assert Survey.objects.get(pk=survey.pk).response_count == 1
        assert Process.objects.get(pk=process.pk).content_version == version
    assert Municipality.objects.get(pk=town_a.pk).content_version == town_version
    assert _page(visitor, process)[0] == "hit"
