"""Surveys through the API: the questionnaire of a process with its questions and options, and its results only
when the results page would show them (published free text only), in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from municipalities.scoping import town_scope
from surveys import services
from surveys.models import Answer
from tests import factories

pytestmark = pytest.mark.django_db


def _url(name, municipality, slug):
    return reverse(f"api:{name}", kwargs={"town_slug": municipality.slug, "slug": slug})


def _answer(municipality, sample, choice="Täglich", text="Ein Café am Markt"):
    question = sample["question"]
    with town_scope(municipality):
        survey = sample["survey"]
        free = survey.questions.get(kind="short_text")
        services.response_submit(
            survey=survey,
            by=factories.UserFactory(),
            values={question.pk: question.options.get(label=choice).pk, free.pk: text},
        )


def test_the_questionnaire_of_a_process(client, town_a):
    sample = factories.process_with_survey(town_a)
    response = client.get(_url("process-survey", town_a, sample["slug"]))
    assert response.status_code == 200 and response["ETag"]
    body = response.json()
    assert (body["title"], body["audience"], body["is_anonymous"]) == ("Umfrage", "everyone", True)
    assert body["accepts_responses"] is True and body["results_visible"] is True
    first, second = body["questions"]
    assert (first["kind"], first["text"], first["rows"]) == ("single", "Wie oft?", [])
    assert [o["label"] for o in first["options"]] == ["Täglich", "Selten"]
    assert second["kind"] == "short_text" and second["options"] == []


def test_a_process_without_a_survey_is_404(client, town_a):
    process = factories.process(municipality=town_a)
    assert client.get(_url("process-survey", town_a, process.slug)).status_code == 404
    assert client.get(_url("process-survey-results", town_a, process.slug)).status_code == 404


def test_results_with_published_free_text_only(client, town_a, staff_factory):
    sample = factories.process_with_survey(town_a)
    _answer(town_a, sample)
    _answer(town_a, sample, choice="Selten", text="Meine Telefonnummer ist 0123")
    with town_scope(town_a):
        first = Answer.objects.filter(text="Ein Café am Markt").get()
        services.text_answer_moderate(
            answer=first, by=staff_factory(town_a, "editor"), publish=True, acting_town=town_a
        )
    body = client.get(_url("process-survey-results", town_a, sample["slug"])).json()
    assert (body["responses"], body["paper_responses"]) == (2, 0)
    choice, free = body["questions"]
    assert [(o["label"], o["count"], o["share"]) for o in choice["options"]] == [
        ("Täglich", 1, "50.0"),
        ("Selten", 1, "50.0"),
    ]
    assert free["texts"] == ["Ein Café am Markt"] and free["texts_waiting"] == 1
    assert "0123" not in str(body)


def test_results_are_404_while_staff_keep_them(client, town_a, staff_factory):
    sample = factories.process_with_survey(town_a, results_shown="after")
    url = _url("process-survey-results", town_a, sample["slug"])
    assert client.get(url).status_code == 404
    assert client.get(_url("process-survey", town_a, sample["slug"])).json()["results_visible"] is False
    client.force_login(staff_factory(town_a, "viewer"))
    assert client.get(url).status_code == 200


def test_another_towns_process_is_not_found(client, town_a, town_b):
    sample = factories.process_with_survey(town_b)
    assert client.get(_url("process-survey", town_a, sample["slug"])).status_code == 404
    assert client.get(_url("process-survey-results", town_a, sample["slug"])).status_code == 404


def test_results_read_in_a_fixed_number_of_queries(client, town_a):
    sample = factories.process_with_survey(town_a)
    url = _url("process-survey-results", town_a, sample["slug"])
    _answer(town_a, sample)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(10):
        _answer(town_a, sample, choice="Selten")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).json()["responses"] == 11
    assert len(many) == len(few)


def test_the_schema_describes_the_survey_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in (
        "/api/v1/towns/{town_slug}/processes/{slug}/survey/",
        "/api/v1/towns/{town_slug}/processes/{slug}/survey/results/",
    ):
        assert {"200", "401", "403", "404", "429"} <= set(schema["paths"][path]["get"]["responses"]), path
    components = schema["components"]["schemas"]
    assert components["Question"]["properties"]["options"]["type"] == "array"
    assert components["QuestionResult"]["properties"]["texts_waiting"]["type"] == "integer"
    assert components["OptionResult"]["properties"]["average_rank"]["nullable"] is True
