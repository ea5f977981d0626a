"""The survey pages: answering without JavaScript (every kind of question as plain form fields), errors shown at
their question, the sign-in prompt, one response per person, the process page's way in, and the results page."""

import pytest
from django.urls import reverse

from surveys import services
from surveys.models import Response

from .conftest import option, row

pytestmark = pytest.mark.django_db


def _url(process, name="surveys:survey"):
    return reverse(name, kwargs={"town_slug": process.municipality.slug, "slug": process.slug})


def _post_data(q, *, travel="Bus", rank_bus=True):
    data = {
        f"q{q['travel'].pk}": str(option(q["travel"], travel).pk),
        f"q{q['services'].pk}": [str(option(q["services"], "Bürgerportal").pk)],
        f"q{q['satisfaction'].pk}": "3",
        f"q{q['wish'].pk}": "Mehr Bäume auf dem Marktplatz",
        f"q{q['matrix'].pk}_r{row(q['matrix'], 'die Beleuchtung').pk}": str(option(q["matrix"], "mittel").pk),
        f"q{q['bus_line'].pk}": "Linie R12 abends",
    }
    if rank_bus:
        for rank, label in enumerate(["Erreichbarkeit", "Sicherheit", "Sauberkeit"], start=1):
            data[f"q{q['ranking'].pk}_o{option(q['ranking'], label).pk}"] = str(rank)
    return data


def test_a_citizen_answers_every_kind_of_question_with_plain_form_fields(client, process, questions, citizen):
    client.force_login(citizen)
    page = client.get(_url(process))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'type="radio"' in html and 'type="checkbox"' in html and "<select" in html and "<textarea" in html
    assert "1. Wie kommen Sie meist in die Innenstadt?" in html
    assert "Nur wenn Sie „Bus“ in Frage 1 gewählt haben." in html
    answer = client.post(_url(process), _post_data(questions))
    assert answer.status_code == 302
    response = Response.objects.get()
    ranking = {a.option.label: a.number for a in response.answers.filter(question=questions["ranking"])}
    assert ranking == {"Erreichbarkeit": 1, "Sicherheit": 2, "Sauberkeit": 3}
    again = client.get(_url(process))
    assert "Sie haben an dieser Umfrage teilgenommen." in again.content.decode()
    assert '<form method="post" class="sc5-form' not in again.content.decode()


def test_a_wrong_ranking_is_shown_at_its_question_and_nothing_is_stored(client, process, questions, citizen):
    client.force_login(citizen)
    data = _post_data(questions, rank_bus=False)
    data[f"q{questions['ranking'].pk}_o{option(questions['ranking'], 'Sicherheit').pk}"] = "2"
    page = client.post(_url(process), data)
    assert page.status_code == 400
    html = page.content.decode()
    assert "Bitte nummerieren Sie die Antworten mit 1, 2, 3" in html
    assert "Frage 4: Bitte nummerieren" in html  # in the error summary, by number
    assert html.count("Bitte nummerieren Sie die Antworten") == 2  # and at the question
    assert not Response.objects.exists()
    # What was entered stays in the form.
    assert "Mehr Bäume auf dem Marktplatz" in html


def test_a_missing_required_answer_is_named_at_its_question(client, process, questions, citizen):
    client.force_login(citizen)
    data = _post_data(questions)
    del data[f"q{questions['bus_line'].pk}"]
    page = client.post(_url(process), data)
    assert page.status_code == 400
    assert "Bitte beantworten Sie diese Frage." in page.content.decode()


def test_without_an_account_people_are_asked_to_sign_in_and_cannot_post(client, process, questions):
    page = client.get(_url(process))
    assert "Bitte melden Sie sich mit einer bestätigten E-Mail-Adresse an" in page.content.decode()
    assert client.post(_url(process), _post_data(questions)).status_code == 302
    assert not Response.objects.exists()


def test_a_survey_open_to_everyone_takes_one_answer_from_a_browser(client, process, survey, questions):
    services.survey_change(survey=survey, by=None, fields={"audience": "everyone"})
    assert client.post(_url(process), _post_data(questions)).status_code == 302
    assert "Sie haben an dieser Umfrage teilgenommen." in client.get(_url(process)).content.decode()
    assert Response.objects.filter(respondent=None).count() == 1


def test_the_process_page_leads_to_the_survey_and_the_results_when_shown(client, process, survey, questions):
    page = client.get(
        reverse("participation:process", kwargs={"town_slug": "arnsberg", "slug": process.slug})
    )
    html = page.content.decode()
    assert _url(process) in html and _url(process, "surveys:results") not in html
    assert client.get(_url(process, "surveys:results")).status_code == 404
    services.survey_change(survey=survey, by=None, fields={"results_shown": "live"})
    assert client.get(_url(process, "surveys:results")).status_code == 200


def test_the_results_page_shows_tables_with_bars(
    client, process, survey, questions, citizen, django_assert_max_num_queries
):
    services.survey_change(survey=survey, by=None, fields={"results_shown": "live"})
    client.force_login(citizen)
    client.post(_url(process), _post_data(questions))
    client.logout()
    with django_assert_max_num_queries(25):
        page = client.get(_url(process, "surveys:results"))
    html = page.content.decode()
    assert "1 Rückmeldung" in html
    assert "100,0 %" in html and "sc5-survey-bar__value" in html
    assert "Mehr Bäume auf dem Marktplatz" not in html  # free text waits for moderation
    assert html.count("1 Antwort wartet auf Moderation.") == 2


def test_no_survey_no_page(client, process):
    assert client.get(_url(process)).status_code == 404
