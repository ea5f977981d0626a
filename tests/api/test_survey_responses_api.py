"""Answering a survey through the API (issue 18): the checks of the survey page (``surveys.services.response_submit``:
required and conditional questions, choices, ranks, matrix rows), the audience (everyone, signed-in citizens, holders
of a voting code), one response per person or code, anonymity kept, paper questionnaires typed in by staff, and
nothing of another town reachable."""

import datetime
import json

import pytest
from django.urls import reverse

from accounts.models import Role
from municipalities.scoping import town_scope
from participation.models import CodePurpose, ParticipationEvent, Process
from surveys import services
from surveys.models import Answer, Participant, QuestionKind, Response, Survey
from surveys.services import QuestionInput
from tests import factories, helpers
from tests.participation.test_voting_codes import order

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _url(name, municipality, slug):
    return reverse(f"api:{name}", kwargs={"town_slug": municipality.slug, "slug": slug})


def _post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def _survey(municipality, *, audience="everyone", anonymous=True, phases=None):
    """A survey open today: a required single choice (Rad / Auto), a ranking and a matrix, a question asked only of
    those who chose "Rad", and an optional free text."""
    process = factories.process(
        municipality=municipality,
        phases=phases
        or [{"kind": "survey", "starts_on": helpers.today() - 2 * DAY, "ends_on": helpers.today() + 5 * DAY}],
    )
    with town_scope(municipality):
        survey = services.survey_create(
            process=process,
            by=None,
            fields={
                "title": "Mobilität",
                "audience": audience,
                "is_anonymous": anonymous,
                "results_shown": "live",
            },
        )

        def add(**values):
            return services.question_add(survey=survey, by=None, values=QuestionInput(**values))

        how = add(kind=QuestionKind.SINGLE, text="Wie?", options=["Rad", "Auto"], is_required=True)
        bike = how.options.get(label="Rad")
        rank = add(kind=QuestionKind.RANKING, text="Wichtig?", options=["Preis", "Zeit"])
        matrix = add(
            kind=QuestionKind.MATRIX, text="Wie gut?", options=["gut", "schlecht"], rows=["Bus", "Bahn"]
        )
        lanes = add(
            kind=QuestionKind.SINGLE, text="Radwege?", options=["Ja", "Nein"], is_required=True, shown_if=bike
        )
        text = add(kind=QuestionKind.SHORT_TEXT, text="Sonst?")
        return {
            "process": process,
            "survey": Survey.objects.get(pk=survey.pk),
            "how": how,
            "bike": bike,
            "car": how.options.get(label="Auto"),
            "rank": rank,
            "matrix": matrix,
            "lanes": lanes,
            "text": text,
        }


def _option(question, label):
    return question.options.get(label=label).pk


def _full(s) -> dict:
    with town_scope(s["process"].municipality):
        return {
            str(s["how"].pk): s["bike"].pk,
            str(s["rank"].pk): {str(_option(s["rank"], "Preis")): 2, str(_option(s["rank"], "Zeit")): 1},
            str(s["matrix"].pk): {
                str(_option(s["matrix"], "Bus")): _option(s["matrix"], "gut"),
                str(_option(s["matrix"], "Bahn")): _option(s["matrix"], "schlecht"),
            },
            str(s["lanes"].pk): _option(s["lanes"], "Ja"),
            str(s["text"].pk): "Mehr Bänke",
        }


def test_everyone_answers_and_the_answers_are_counted(client, town_a, catalogue):
    s = _survey(town_a)
    url = _url("process-survey-responses", town_a, s["process"].slug)
    response = _post(client, url, {"answers": _full(s)})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["version"] == 1 and body["is_paper"] is False and "id" not in body
    with town_scope(town_a):
        stored = Response.objects.get(survey=s["survey"])
        assert stored.respondent is None and not stored.is_paper
        assert (
            stored.answers.count() == 7
        )  # one choice, two ranks, two matrix rows, the condition's, the text
        assert Answer.objects.get(question=s["text"]).moderation == "pending"
    results = client.get(_url("process-survey-results", town_a, s["process"].slug)).json()
    assert results["responses"] == 1


def test_a_condition_not_met_drops_its_answer_and_its_requirement(client, town_a, catalogue):
    s = _survey(town_a)
    url = _url("process-survey-responses", town_a, s["process"].slug)
    with town_scope(town_a):
        answers = {str(s["how"].pk): s["car"].pk, str(s["lanes"].pk): _option(s["lanes"], "Ja")}
    assert _post(client, url, {"answers": answers}).status_code == 201
    with town_scope(town_a):
        assert not Answer.objects.filter(question=s["lanes"]).exists()


def test_what_the_survey_page_refuses_the_api_refuses_by_question(client, town_a, catalogue):
    s = _survey(town_a)
    url = _url("process-survey-responses", town_a, s["process"].slug)
    full = _full(s)
    how, rank, matrix, lanes = (str(s[k].pk) for k in ("how", "rank", "matrix", "lanes"))
    cases = [
        ({**full, how: None}, f"answers.{how}", "Bitte beantworten Sie diese Frage"),
        (
            {**full, lanes: None},
            f"answers.{lanes}",
            "Bitte beantworten Sie diese Frage",
        ),  # its condition is met
        ({**full, how: 999999}, f"answers.{how}", "Bitte wählen Sie eine der Antworten"),
        ({**full, rank: dict.fromkeys(full[rank], 1)}, f"answers.{rank}", "jede Zahl nur einmal"),
        ({**full, matrix: {next(iter(full[matrix])): 999999}}, f"answers.{matrix}", "in jeder Zeile"),
        ({**full, str(s["text"].pk): "x" * 1001}, f"answers.{s['text'].pk}", "höchstens"),
        ({**full, "999999": 1}, "answers", "Keine Frage dieser Umfrage"),
        ({**full, "frage": 1}, "answers", "Keine Frage dieser Umfrage"),
        ({**full, "²": 1, "9" * 5000: 1}, "answers", "Keine Frage dieser Umfrage"),
    ]
    for answers, field, words in cases:
        response = _post(client, url, {"answers": answers})
        assert response.status_code == 400, (answers, response.json())
        assert words in " ".join(response.json().get(field, [])), (field, response.json())
    assert _post(client, url, {}).status_code == 400
    assert _post(client, url, {"answers": full, "code": "ABCD-EFGH-JKLM"}).json()["code"]
    with town_scope(town_a):
        assert not Response.objects.exists() and Survey.objects.get(pk=s["survey"].pk).response_count == 0


def test_a_survey_for_citizens_takes_one_response_per_person(client, town_a, catalogue, citizen):
    s = _survey(town_a, audience="citizens", anonymous=False)
    url = _url("process-survey-responses", town_a, s["process"].slug)
    assert _post(client, url, {"answers": _full(s)}).status_code == 401
    client.force_login(factories.UserFactory(verified=False))
    assert _post(client, url, {"answers": _full(s)}).status_code == 403
    client.force_login(citizen)
    assert _post(client, url, {"answers": _full(s)}).status_code == 201
    response = _post(client, url, {"answers": _full(s)})
    assert response.status_code == 400 and "bereits teilgenommen" in response.json()["non_field_errors"][0]
    with town_scope(town_a):
        assert Response.objects.get().respondent == citizen  # not anonymous: as promised


def test_an_anonymous_survey_stores_no_link_to_the_person(client, town_a, catalogue, citizen):
    s = _survey(town_a, audience="citizens", anonymous=True)
    client.force_login(citizen)
    assert (
        _post(
            client, _url("process-survey-responses", town_a, s["process"].slug), {"answers": _full(s)}
        ).status_code
        == 201
    )
    with town_scope(town_a):
        assert Response.objects.get().respondent is None
        assert Participant.objects.get().user == citizen  # *that* they answered, kept apart


def test_a_survey_by_codes_takes_one_response_per_code_and_names_nobody(client, town_a, catalogue, citizen):
    s = _survey(town_a, audience="codes", anonymous=True)
    _batch, codes = order(s["process"], town_a, purpose=CodePurpose.SURVEY, count=2)
    # A code for the same process's vote (one by codes: only then are vote codes ordered) is refused here.
    with town_scope(town_a):
        Process.objects.filter(pk=s["process"].pk).update(vote_by_codes=True)
        by_codes = Process.objects.get(pk=s["process"].pk)
    _batch, vote_codes = order(by_codes, town_a, purpose=CodePurpose.VOTE, count=1)
    url = _url("process-survey-responses", town_a, s["process"].slug)
    response = _post(client, url, {"answers": _full(s)})
    assert response.status_code == 400 and "Bitte geben Sie den Code" in response.json()["code"][0]
    response = _post(client, url, {"answers": _full(s), "code": vote_codes[0]})
    assert response.status_code == 400 and "nicht für diese Seite" in response.json()["code"][0]
    client.force_login(citizen)  # signed in or not: the code answers
    assert _post(client, url, {"answers": _full(s), "code": codes[0]}).status_code == 201
    response = _post(client, url, {"answers": _full(s), "code": codes[0]})
    assert response.status_code == 400 and "bereits verwendet" in response.json()["code"][0]
    client.logout()
    assert _post(client, url, {"answers": _full(s), "code": codes[1]}).status_code == 201
    with town_scope(town_a):
        assert Response.objects.filter(respondent__isnull=True).count() == 2
        assert not Participant.objects.exists()


def test_a_closed_survey_takes_no_response(client, town_a, catalogue):
    s = _survey(
        town_a,
        phases=[{"kind": "survey", "starts_on": helpers.today() - 9 * DAY, "ends_on": helpers.today() - DAY}],
    )
    response = _post(
        client, _url("process-survey-responses", town_a, s["process"].slug), {"answers": _full(s)}
    )
    assert response.status_code == 400 and "keine Antworten an" in response.json()["non_field_errors"][0]


def test_responses_count_against_the_survey_rate_limit(client, town_a, catalogue, settings):
    s = _survey(town_a)
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "survey": [(1, 600, "ip")]}
    url = _url("process-survey-responses", town_a, s["process"].slug)
    assert _post(client, url, {"answers": _full(s)}).status_code == 201
    response = _post(client, url, {"answers": _full(s)})
    assert response.status_code == 429 and response["Retry-After"]


def test_editors_type_in_paper_questionnaires(client, town_a, catalogue, citizen, staff_factory):
    s = _survey(
        town_a,
        phases=[{"kind": "survey", "starts_on": helpers.today() - 9 * DAY, "ends_on": helpers.today() - DAY}],
    )
    url = _url("process-survey-paper-responses", town_a, s["process"].slug)
    paper = {"answers": _full(s), "received_on": str(helpers.today())}
    assert _post(client, url, paper).status_code == 401
    client.force_login(citizen)
    assert _post(client, url, paper).status_code == 404
    client.force_login(staff_factory(town_a, Role.VIEWER))
    assert _post(client, url, paper).status_code == 403
    editor = staff_factory(town_a, Role.EDITOR)
    client.force_login(editor)
    response = _post(client, url, {"answers": _full(s)})
    assert response.status_code == 400 and "received_on" in response.json()
    response = _post(client, url, {**paper, "answers": {**_full(s), str(s["how"].pk): None}})
    assert response.status_code == 400 and f"answers.{s['how'].pk}" in response.json()
    response = _post(client, url, paper)  # also after the survey has closed: letters arrive late
    assert response.status_code == 201, response.json()
    assert response.json()["is_paper"] is True
    with town_scope(town_a):
        stored = Response.objects.get()
        assert stored.is_paper and stored.entered_by == editor and stored.respondent is None
        assert ParticipationEvent.objects.filter(process=s["process"], kind="paper_response").exists()


def test_another_towns_survey_is_not_found(client, town_a, town_b, catalogue, staff_factory):
    s = _survey(town_a)
    assert (
        _post(
            client, _url("process-survey-responses", town_b, s["process"].slug), {"answers": _full(s)}
        ).status_code
        == 404
    )
    client.force_login(staff_factory(town_b, Role.EDITOR))
    url = _url("process-survey-paper-responses", town_b, s["process"].slug)
    assert _post(client, url, {"answers": _full(s), "received_on": str(helpers.today())}).status_code == 404
    with town_scope(town_a):
        assert not Response.objects.exists()


def test_a_response_in_a_fixed_number_of_queries(
    client, town_a, catalogue, editor_a, django_assert_max_num_queries
):
    s = _survey(town_a)
    answers = _full(s)
    with django_assert_max_num_queries(QUERIES["response"]):
        assert (
            _post(
                client, _url("process-survey-responses", town_a, s["process"].slug), {"answers": answers}
            ).status_code
            == 201
        )
    client.force_login(editor_a)
    url = _url("process-survey-paper-responses", town_a, s["process"].slug)
    with django_assert_max_num_queries(QUERIES["paper"]):
        assert (
            _post(client, url, {"answers": answers, "received_on": str(helpers.today())}).status_code == 201
        )


#: Measured on PostgreSQL, savepoints included: the questions and their options are read in two queries and the
#: answers and stored counts written in one statement each, however many questions the survey has.
QUERIES = {"response": 19, "paper": 30}
