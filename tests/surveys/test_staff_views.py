"""The staff's survey pages: an editor of the lead town creates the survey, adds, changes, moves and removes
questions, starts a new version once it is locked, types in paper questionnaires and moderates free text; a viewer
sees the pages but changes nothing."""

import pytest
from django.urls import reverse

from participation.models import Moderation
from surveys import selectors, services
from surveys.models import Answer, Response, Survey
from tests import helpers

from .conftest import option

pytestmark = pytest.mark.django_db


def _url(process, name, **kwargs):
    return reverse(
        f"surveys:{name}", kwargs={"town_slug": process.municipality.slug, "slug": process.slug, **kwargs}
    )


@pytest.fixture
def editor(town_a, staff_factory):
    return staff_factory(town_a, "editor")


def test_an_editor_builds_a_survey_page_by_page(client, process, editor):
    client.force_login(editor)
    page = client.get(_url(process, "staff-survey"))
    assert page.status_code == 200 and "Umfrage anlegen" in page.content.decode()
    created = client.post(
        _url(process, "staff-survey"),
        {
            "action": "settings",
            "title": "Umfrage zum Bahnhofsumfeld",
            "audience": "citizens",
            "is_anonymous": "on",
            "results_shown": "after",
        },
    )
    assert created.status_code == 302
    survey = Survey.objects.get(process=process)
    assert (survey.title, survey.is_anonymous) == ("Umfrage zum Bahnhofsumfeld", True)

    refused = client.post(
        _url(process, "staff-question-add"), {"kind": "single", "text": "Wie oft?", "options": "Täglich"}
    )
    assert refused.status_code == 400
    assert "Bitte geben Sie mindestens zwei Antworten zur Auswahl an." in refused.content.decode()
    for data in (
        {
            "kind": "single",
            "text": "Wie oft sind Sie am Bahnhof?",
            "options": "Täglich\nWöchentlich\nSelten",
            "is_required": "on",
        },
        {
            "kind": "matrix",
            "text": "Wie sicher fühlen Sie sich …",
            "options": "sicher\nunsicher",
            "rows": "tagsüber\nabends",
        },
    ):
        assert client.post(_url(process, "staff-question-add"), data).status_code == 302
    first, matrix = selectors.questions(survey)
    conditional = client.post(
        _url(process, "staff-question-add"),
        {"kind": "long_text", "text": "Was stört Sie?", "shown_if": str(option(first, "Täglich").pk)},
    )
    assert conditional.status_code == 302
    assert selectors.questions(survey)[2].shown_if == option(first, "Täglich")

    client.post(_url(process, "staff-survey"), {"action": "up", "question": matrix.pk})
    assert [q.text for q in selectors.questions(survey)][:2] == [
        "Wie sicher fühlen Sie sich …",
        "Wie oft sind Sie am Bahnhof?",
    ]
    changed = client.post(
        _url(process, "staff-question", pk=matrix.pk),
        {
            "kind": "matrix",
            "text": "Wie sicher fühlen Sie sich am Bahnhof …",
            "options": "sicher\neher sicher\nunsicher",
            "rows": "tagsüber\nabends",
        },
    )
    assert changed.status_code == 302
    assert matrix.options.filter(is_row=False).count() == 3
    client.post(_url(process, "staff-survey"), {"action": "delete", "question": matrix.pk})
    assert len(selectors.questions(survey)) == 2
    overview = client.get(_url(process, "staff-survey")).content.decode()
    assert "Nach unten" in overview and "Frage hinzufügen" in overview
    preview = client.get(_url(process, "staff-preview"))
    assert preview.status_code == 200 and "Wie oft sind Sie am Bahnhof?" in preview.content.decode()


def test_a_locked_survey_offers_a_new_version_instead_of_changes(
    client, process, survey, questions, editor, citizen
):
    services.response_submit(
        survey=survey, by=citizen, values={questions["travel"].pk: option(questions["travel"], "Auto").pk}
    )
    client.force_login(editor)
    overview = client.get(_url(process, "staff-survey")).content.decode()
    assert "Gesperrt: Es liegen Rückmeldungen vor" in overview and "Nach unten" not in overview
    refused = client.post(
        _url(process, "staff-survey"), {"action": "delete", "question": questions["wish"].pk}
    )
    assert refused.status_code == 302
    assert "kann nicht mehr geändert werden" in client.get(_url(process, "staff-survey")).content.decode()
    assert client.post(_url(process, "staff-survey"), {"action": "new_version"}).status_code == 302
    assert selectors.current_survey(process).version == 2


def test_a_viewer_sees_the_survey_but_changes_nothing(
    client, process, survey, questions, town_a, staff_factory
):
    client.force_login(staff_factory(town_a, "viewer"))
    page = client.get(_url(process, "staff-survey")).content.decode()
    assert "Wie kommen Sie meist in die Innenstadt?" in page and "Nach unten" not in page
    assert (
        client.post(
            _url(process, "staff-survey"), {"action": "delete", "question": questions["wish"].pk}
        ).status_code
        == 403
    )
    assert client.get(_url(process, "staff-question-add")).status_code == 403
    assert len(selectors.questions(survey)) == 7


def test_paper_questionnaires_and_free_text(client, process, survey, questions, editor):
    client.force_login(editor)
    q = questions
    entered = client.post(
        _url(process, "staff-paper"),
        {
            "received_on": helpers.today().isoformat(),
            f"q{q['travel'].pk}": str(option(q["travel"], "Zu Fuß").pk),
            f"q{q['wish'].pk}": "Ein Wasserspender am Markt",
        },
    )
    assert entered.status_code == 302
    response = Response.objects.get()
    assert response.is_paper and response.entered_by == editor
    texts = client.get(_url(process, "staff-texts")).content.decode()
    assert "Ein Wasserspender am Markt" in texts
    answer = Answer.objects.get(text="Ein Wasserspender am Markt")
    assert (
        client.post(_url(process, "staff-texts"), {"answer": answer.pk, "decision": "publish"}).status_code
        == 302
    )
    answer.refresh_from_db()
    assert answer.moderation == Moderation.PUBLISHED
    assert (
        client.post(_url(process, "staff-texts"), {"answer": answer.pk, "decision": "hide"}).status_code
        == 404
    )
