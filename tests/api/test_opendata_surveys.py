"""Survey results as open data: figures only (no free text, nobody named), only surveys whose results everyone
may see, one CSV row per answer, rebuilt by the worker's sweep after responses and at once after the builder."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from api.models import OpenDataChange
from municipalities.scoping import town_scope
from surveys import services
from surveys.models import Answer
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site_host(settings):
    settings.SITE_HOST = "testserver"


def _body(response) -> str:
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


def _respond(municipality, sample, choice, text):
    with town_scope(municipality):
        survey = sample["survey"]
        question = sample["question"]
        free = survey.questions.get(kind="short_text")
        services.response_submit(
            survey=survey,
            by=factories.UserFactory(display_name="Erika Musterfrau"),
            values={question.pk: question.options.get(label=choice).pk, free.pk: text},
        )


@pytest.fixture
def surveys(town_a, town_b, staff_factory):
    live = factories.process_with_survey(town_a)
    _respond(town_a, live, "Täglich", "Geheimer Freitext")
    _respond(town_a, live, "Täglich", "Noch ein Text")
    _respond(town_a, live, "Selten", "Dritter Text")
    with town_scope(town_a):
        published = Answer.objects.get(text="Noch ein Text")
        services.text_answer_moderate(
            answer=published, by=staff_factory(town_a, "editor"), publish=True, acting_town=town_a
        )
    kept = factories.process_with_survey(town_a, results_shown="staff")
    _respond(town_a, kept, "Selten", "Intern")
    later = factories.process_with_survey(town_b, results_shown="after")  # still running today
    call_command("opendata_build")
    return {"live": live, "kept": kept, "later": later}


def _url(name, **kwargs):
    return reverse(name, kwargs={"dataset": "surveys", **kwargs})


def test_the_figures_of_public_results_only(client, town_a, surveys):
    body = json.loads(_body(client.get(_url("api:town-opendata-json", town_slug=town_a.slug))))
    assert body["dataset"] == "surveys" and body["licence"]["id"] == "dl-de/by-2-0"
    assert [item["process"] for item in body["items"]] == [surveys["live"]["slug"]]
    item = body["items"][0]
    assert (item["responses"], item["paper_responses"], item["version"]) == (3, 0, 1)
    assert item["url"].endswith(f"/{town_a.slug}/beteiligung/{surveys['live']['slug']}/umfrage/ergebnisse/")
    choice = [a for a in item["answers"] if a["question_position"] == 1]
    assert [(a["answer"], a["count"], a["share_percent"]) for a in choice] == [
        ("Täglich", 2, 66.7),
        ("Selten", 1, 33.3),
    ]
    text = [a for a in item["answers"] if a["question_position"] == 2]
    assert text == [
        {
            "question_position": 2,
            "question": "Was fehlt?",
            "question_kind": "short_text",
            "answered": 3,
            "row": None,
            "answer": None,
            "count": None,
            "share_percent": None,
            "average_rank": None,
            "average": None,
        }
    ]
    raw = _body(client.get(_url("api:opendata-json")))
    for private in ("Geheimer Freitext", "Noch ein Text", "Intern", "Erika", "Musterfrau"):
        assert private not in raw


def test_csv_one_row_per_answer(client, surveys):
    rows = list(csv.DictReader(io.StringIO(_body(client.get(_url("api:opendata-csv"))), newline="")))
    assert [(r["question_position"], r["answer"], r["count"]) for r in rows] == [
        ("1", "Täglich", "2"),
        ("1", "Selten", "1"),
        ("2", "", ""),
    ]
    assert {r["responses"] for r in rows} == {"3"} and rows[0]["share_percent"] == "66.7"


def test_a_survey_whose_results_come_after_it_closes_enters_once_closed(client, town_b, surveys):
    with town_scope(town_b):
        process = surveys["later"]["survey"].process
        phase = process.phases.get(kind="survey")
        phase.starts_on = phase.starts_on.replace(year=phase.starts_on.year - 1)
        phase.ends_on = phase.starts_on
        phase.save()
    call_command("opendata_build")
    body = json.loads(_body(client.get(_url("api:town-opendata-json", town_slug=town_b.slug))))
    assert [item["process"] for item in body["items"]] == [process.slug]


def test_responses_mark_the_dataset_for_the_sweep_and_the_builder_hands_a_build_over(
    town_a, surveys, django_capture_on_commit_callbacks
):
    OpenDataChange.objects.all().delete()
    with django_capture_on_commit_callbacks() as handed:
        _respond(town_a, surveys["live"], "Selten", "Vierter")
        _respond(town_a, surveys["live"], "Selten", "Fünfter")
    assert list(OpenDataChange.objects.values_list("dataset", flat=True)) == ["surveys"]
    assert handed == []  # no build per response: the sweep builds it within minutes
    with django_capture_on_commit_callbacks() as handed, town_scope(town_a):
        services.survey_change(survey=surveys["live"]["survey"], by=None, fields={"title": "Neuer Titel"})
    assert handed  # the builder's change: a build after the commit


def test_the_catalogue_and_the_page_name_the_survey_results(client, surveys):
    catalogue = json.loads(_body(client.get(reverse("api:opendata-catalog"))))
    assert any(d["@id"].endswith("#region-surveys") for d in catalogue["dcat:dataset"])
    page = client.get(reverse("opendata:index")).content.decode()
    assert "Umfrageergebnisse" in page
