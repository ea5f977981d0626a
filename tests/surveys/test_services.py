"""Surveys: the builder (every kind of question, order, conditions, the lock and new versions), responses (the
audience, once per person, anonymity, the phase, checks of every kind of answer, conditional questions), paper
questionnaires, the moderation of free text and who may do what."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from participation.models import Moderation, ParticipationEvent
from surveys import selectors, services
from surveys.models import Answer, Participant, Question, QuestionKind, Response, Survey
from surveys.services import QuestionInput
from tests import factories, helpers

from .conftest import DAY, build, option, row

pytestmark = pytest.mark.django_db


def full_answer(q, *, travel="Bus"):
    return {
        q["travel"].pk: option(q["travel"], travel).pk,
        q["services"].pk: [
            option(q["services"], "Parkplatz-App").pk,
            option(q["services"], "Freies WLAN").pk,
        ],
        q["satisfaction"].pk: "4",
        q["ranking"].pk: {
            option(q["ranking"], "Sauberkeit").pk: "1",
            option(q["ranking"], "Sicherheit").pk: "2",
            option(q["ranking"], "Erreichbarkeit").pk: "3",
        },
        q["wish"].pk: "Mehr Bänke am Neumarkt",
        q["matrix"].pk: {
            row(q["matrix"], "die Beleuchtung").pk: option(q["matrix"], "gut").pk,
            row(q["matrix"], "die Sitzplätze").pk: option(q["matrix"], "schlecht").pk,
        },
        q["bus_line"].pk: "Eine Linie zum Bahnhof am Abend",
    }


def selectors_questions(survey):
    """The survey's questions by the keys ``full_answer`` uses, in the order of ``conftest.build``."""
    keys = ["travel", "services", "satisfaction", "ranking", "wish", "matrix", "bus_line"]
    return dict(zip(keys, selectors.questions(survey), strict=True))


def errors_of(excinfo):
    return excinfo.value.message_dict


# --- The builder -------------------------------------------------------------------------------------------


def test_a_process_has_one_survey_and_its_questions_are_numbered_in_order(process, survey, questions):
    assert [q.position for q in selectors.questions(survey)] == [1, 2, 3, 4, 5, 6, 7]
    assert list(questions["matrix"].options.filter(is_row=True).values_list("label", flat=True)) == [
        "die Beleuchtung",
        "die Sitzplätze",
    ]
    with pytest.raises(ValidationError) as error:
        services.survey_create(process=process, by=None, fields={"title": "Noch eine"})
    assert error.value.code == "exists"
    assert ParticipationEvent.objects.filter(process=process, kind="survey_changed").count() == 8


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "single", "text": "Nur eine Antwort?", "options": ["Ja"]}, "options"),
        ({"kind": "multiple", "text": "Doppelt?", "options": ["Ja", "ja "]}, "options"),
        ({"kind": "matrix", "text": "Ohne Zeilen?", "options": ["gut", "schlecht"]}, "rows"),
        ({"kind": "scale", "text": "Verkehrt?", "scale_min": 5, "scale_max": 1}, "scale_max"),
        ({"kind": "scale", "text": "Zu lang?", "scale_min": 0, "scale_max": 20}, "scale_max"),
        ({"kind": "short_text", "text": "   "}, "text"),
        ({"kind": "poll", "text": "Unbekannt"}, "kind"),
    ],
)
def test_a_question_the_builder_cannot_ask_is_refused_with_the_field_named(survey, values, field):
    with pytest.raises(ValidationError) as error:
        services.question_add(survey=survey, by=None, values=QuestionInput(**values))
    assert field in errors_of(error)
    assert not Question.objects.filter(survey=survey).exists()


def test_a_condition_must_name_a_choice_of_an_earlier_question(survey, questions):
    for condition in (option(questions["ranking"], "Sicherheit"), row(questions["matrix"], "die Sitzplätze")):
        with pytest.raises(ValidationError) as error:
            services.question_add(
                survey=survey,
                by=None,
                values=QuestionInput(kind="short_text", text="Warum?", shown_if=condition),
            )
        assert "shown_if" in errors_of(error)
    # The dependant moves up until it is right after its question, and no further.
    for _ in range(5):
        services.question_move(question=questions["bus_line"], by=None, offset=-1)
    assert [q.pk for q in selectors.questions(survey)][:2] == [
        questions["travel"].pk,
        questions["bus_line"].pk,
    ]
    with pytest.raises(ValidationError) as error:
        services.question_move(question=questions["bus_line"], by=None, offset=-1)
    assert error.value.code == "condition_order"
    # A move beyond either end changes nothing.
    services.question_move(question=questions["travel"], by=None, offset=-1)
    assert [q.position for q in selectors.questions(survey)] == [1, 2, 3, 4, 5, 6, 7]


def test_moving_the_question_a_condition_depends_on_behind_it_is_refused(survey, questions):
    for _ in range(5):
        services.question_move(question=questions["travel"], by=None, offset=1)
    assert [q.pk for q in selectors.questions(survey)][-2:] == [
        questions["travel"].pk,
        questions["bus_line"].pk,
    ]
    with pytest.raises(ValidationError) as error:
        services.question_move(question=questions["travel"], by=None, offset=1)
    assert error.value.code == "condition_order"
    assert [q.pk for q in selectors.questions(survey)][-1] == questions["bus_line"].pk


def test_changing_a_question_keeps_its_options_in_order_and_deleting_renumbers(survey, questions):
    services.question_change(
        question=questions["services"],
        by=None,
        values=QuestionInput(
            kind="multiple", text="Welche Angebote nutzen Sie?", options=["Bürgerportal", "Stadt-App"]
        ),
    )
    assert list(questions["services"].options.values_list("label", "position")) == [
        ("Bürgerportal", 0),
        ("Stadt-App", 1),
    ]
    services.question_delete(question=questions["satisfaction"], by=None)
    assert [q.position for q in selectors.questions(survey)] == [1, 2, 3, 4, 5, 6]


def test_the_first_response_locks_the_questions_and_a_new_version_copies_them(
    process, survey, questions, citizen
):
    services.response_submit(survey=survey, by=citizen, values=full_answer(questions))
    survey.refresh_from_db()
    assert survey.is_locked and survey.response_count == 1
    for attempt in (
        lambda: services.question_add(
            survey=survey, by=None, values=QuestionInput(kind="short_text", text="Neu?")
        ),
        lambda: services.question_delete(question=questions["wish"], by=None),
        lambda: services.question_move(question=questions["wish"], by=None, offset=1),
        lambda: services.survey_change(survey=survey, by=None, fields={"is_anonymous": False}),
    ):
        with pytest.raises(ValidationError) as error:
            attempt()
        assert error.value.code == "locked"
    # What was promised to those who answered stays; the title and when results are shown may still change.
    services.survey_change(
        survey=survey, by=None, fields={"title": "Umfrage Innenstadt 2026", "results_shown": "live"}
    )

    new = services.survey_new_version(survey=survey, by=None)
    assert (new.version, new.title, new.is_locked, new.results_shown) == (
        2,
        "Umfrage Innenstadt 2026",
        False,
        "live",
    )
    assert selectors.current_survey(process) == new
    copied = selectors.questions(new)
    assert [q.text for q in copied] == [q.text for q in selectors.questions(survey)]
    bus_line = copied[-1]
    assert bus_line.shown_if.question == copied[0] and bus_line.shown_if.label == "Bus"
    services.question_add(survey=new, by=None, values=QuestionInput(kind="short_text", text="Und sonst?"))
    # The old version keeps its response and no longer takes new ones.
    assert Response.objects.filter(survey=survey).count() == 1
    with pytest.raises(ValidationError) as error:
        services.response_submit(survey=survey, by=factories.UserFactory(), values=full_answer(questions))
    assert error.value.code == "superseded"
    assert ParticipationEvent.objects.filter(process=process, kind="survey_version").count() == 1


def test_only_editors_of_the_lead_town_build_the_survey(process, town_a, town_b, staff_factory, citizen):
    viewer, other_editor = staff_factory(town_a, "viewer"), staff_factory(town_b, "editor")
    editor = staff_factory(town_a, "editor")
    for user in (viewer, other_editor, citizen):
        with pytest.raises(PermissionDenied):
            services.survey_create(process=process, by=user, fields={"title": "Umfrage"})
    survey = services.survey_create(process=process, by=editor, fields={"title": "Umfrage"})
    with pytest.raises(PermissionDenied):
        services.question_add(
            survey=survey, by=viewer, values=QuestionInput(kind="short_text", text="Frage?")
        )
    build(survey, by=editor)
    event = ParticipationEvent.objects.filter(process=process, kind="survey_changed").first()
    assert event.actor == editor and "Welche Buslinie fehlt Ihnen?" in event.changes["questions"][1]


# --- Responses ---------------------------------------------------------------------------------------------


def test_a_full_response_is_stored_answer_by_answer_without_the_person(survey, questions, citizen):
    response = services.response_submit(survey=survey, by=citizen, values=full_answer(questions))
    assert response.respondent is None and not response.is_paper and response.submitted_on == helpers.today()
    assert Participant.objects.filter(survey=survey, user=citizen).exists()
    stored = {(a.question_id, a.row_id, a.option_id, a.number, a.text) for a in response.answers.all()}
    q = questions
    assert (q["ranking"].pk, None, option(q["ranking"], "Sauberkeit").pk, 1, "") in stored
    assert (q["satisfaction"].pk, None, None, 4, "") in stored
    assert (
        q["matrix"].pk,
        row(q["matrix"], "die Sitzplätze").pk,
        option(q["matrix"], "schlecht").pk,
        None,
        "",
    ) in stored
    assert len(stored) == 1 + 2 + 1 + 3 + 1 + 2 + 1
    assert set(
        Answer.objects.filter(question__kind__in=("short_text", "long_text")).values_list(
            "moderation", flat=True
        )
    ) == {Moderation.PENDING}


def test_a_survey_that_is_not_anonymous_keeps_the_respondent(survey, questions, citizen):
    services.survey_change(survey=survey, by=None, fields={"is_anonymous": False})
    response = services.response_submit(survey=survey, by=citizen, values=full_answer(questions))
    assert response.respondent == citizen


def test_one_response_per_person(survey, questions, citizen):
    services.response_submit(survey=survey, by=citizen, values=full_answer(questions))
    with pytest.raises(ValidationError) as error:
        services.response_submit(survey=survey, by=citizen, values=full_answer(questions, travel="Auto"))
    assert error.value.code == "answered"
    assert Response.objects.filter(survey=survey).count() == 1
    survey.refresh_from_db()
    assert survey.response_count == 1
    assert selectors.has_answered(survey, citizen)


def test_the_audience_decides_who_may_answer(survey, questions):
    unconfirmed = factories.UserFactory(email="neu@example.org", verified=False)
    for person in (AnonymousUser(), unconfirmed):
        with pytest.raises(ValidationError) as error:
            services.response_submit(survey=survey, by=person, values=full_answer(questions))
        assert error.value.code == "audience"
    services.survey_change(survey=survey, by=None, fields={"audience": "everyone"})
    services.response_submit(survey=survey, by=AnonymousUser(), values=full_answer(questions))
    services.response_submit(survey=survey, by=AnonymousUser(), values=full_answer(questions, travel="Auto"))
    assert Response.objects.filter(survey=survey, respondent=None).count() == 2
    with pytest.raises(ValidationError) as error:
        services.survey_change(survey=survey, by=None, fields={"is_anonymous": False})
    assert error.value.code == "locked"


def test_open_to_everyone_means_anonymous(process):
    with pytest.raises(ValidationError) as error:
        services.survey_create(
            process=process, by=None, fields={"title": "Offen", "audience": "everyone", "is_anonymous": False}
        )
    assert "is_anonymous" in errors_of(error)


def test_responses_only_while_the_survey_runs(survey, questions, citizen):
    for day in (helpers.today() - 11 * DAY, helpers.after_the_survey()):
        with pytest.raises(ValidationError) as error:
            services.response_submit(survey=survey, by=citizen, values=full_answer(questions), on=day)
        assert error.value.code == "closed"
    survey.refresh_from_db()
    assert survey.response_count == 0 and not survey.is_locked


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("travel", "999999"),
        ("travel", "Bus"),
        ("services", ["1", "nicht"]),
        ("satisfaction", "6"),
        ("satisfaction", "sehr"),
        ("ranking", "rank-gaps"),
        ("matrix", "foreign-row"),
        ("wish", "x" * 201),
    ],
)
def test_a_wrong_answer_is_refused_with_its_question_named_and_nothing_is_stored(
    survey, questions, citizen, question, value
):
    values = full_answer(questions)
    q = questions
    if value == "rank-gaps":
        value = {option(q["ranking"], "Sauberkeit").pk: "1", option(q["ranking"], "Sicherheit").pk: "3"}
    elif value == "foreign-row":
        value = {row(q["matrix"], "die Sitzplätze").pk: option(q["ranking"], "Sauberkeit").pk}
    values[q[question].pk] = value
    with pytest.raises(ValidationError) as error:
        services.response_submit(survey=survey, by=citizen, values=values)
    assert list(errors_of(error)) == [f"q{q[question].pk}"]
    assert not Response.objects.exists() and not Participant.objects.exists()
    survey.refresh_from_db()
    assert survey.response_count == 0 and not survey.is_locked


def test_a_conditional_question_is_asked_only_after_its_answer(survey, questions, citizen):
    q = questions
    values = full_answer(q, travel="Fahrrad")
    # Not asked: its answer is dropped, and being required does not count.
    response = services.response_submit(survey=survey, by=citizen, values=values)
    assert not response.answers.filter(question=q["bus_line"]).exists()
    # Asked: required.
    values = full_answer(q)
    del values[q["bus_line"].pk]
    with pytest.raises(ValidationError) as error:
        services.response_submit(survey=survey, by=factories.UserFactory(), values=values)
    assert list(errors_of(error)) == [f"q{q['bus_line'].pk}"]


def test_required_questions_and_an_empty_response(survey, questions, citizen):
    with pytest.raises(ValidationError) as error:
        services.response_submit(survey=survey, by=citizen, values={questions["wish"].pk: "Mehr Grün"})
    assert list(errors_of(error)) == [f"q{questions['travel'].pk}"]
    services.question_change(
        question=questions["travel"],
        by=None,
        values=QuestionInput(
            kind="single", text="Wie kommen Sie?", options=["Zu Fuß", "Fahrrad", "Bus", "Auto"]
        ),
    )
    with pytest.raises(ValidationError) as error:
        services.response_submit(survey=survey, by=citizen, values={questions["wish"].pk: "  "})
    assert error.value.code == "empty"


def test_paper_questionnaires_are_entered_by_the_towns_editors_and_marked(
    survey, questions, town_a, staff_factory
):
    editor, viewer = staff_factory(town_a, "editor"), staff_factory(town_a, "viewer")
    with pytest.raises(PermissionDenied):
        services.paper_response_enter(
            survey=survey, by=viewer, values=full_answer(questions), received_on=helpers.today()
        )
    response = services.paper_response_enter(
        survey=survey, by=editor, values=full_answer(questions), received_on=helpers.after_the_survey()
    )
    assert response.is_paper and response.entered_by == editor and response.respondent is None
    assert not Participant.objects.exists()
    assert ParticipationEvent.objects.filter(kind="paper_response", actor=editor).count() == 1


def test_free_text_is_published_by_a_moderator(survey, questions, citizen, town_a, staff_factory, moderator):
    services.response_submit(survey=survey, by=citizen, values=full_answer(questions))
    waiting = selectors.texts_to_moderate(survey)
    assert [a.text for a in waiting] == ["Mehr Bänke am Neumarkt", "Eine Linie zum Bahnhof am Abend"]
    with pytest.raises(PermissionDenied):
        services.text_answer_moderate(answer=waiting[0], by=citizen, publish=True, acting_town=town_a)
    services.text_answer_moderate(answer=waiting[0], by=moderator, publish=True, acting_town=town_a)
    services.text_answer_moderate(
        answer=waiting[1], by=staff_factory(town_a, "editor"), publish=False, acting_town=town_a
    )
    assert selectors.texts_to_moderate(survey) == []
    result = selectors.results(survey)
    texts = {r.question.pk: r.texts for r in result.questions if r.question.is_text}
    assert texts == {questions["wish"].pk: ["Mehr Bänke am Neumarkt"], questions["bus_line"].pk: []}
    event = ParticipationEvent.objects.filter(kind="survey_text_moderated").order_by("at").first()
    assert event.changes == {"moderation": ["Wartet auf Moderation", "Veröffentlicht"]}
    with pytest.raises(ValidationError):
        services.text_answer_moderate(
            answer=Answer.objects.filter(question=questions["travel"]).first(),
            by=moderator,
            publish=True,
            acting_town=town_a,
        )


def test_survey_rows_stay_in_their_towns_scope(survey, questions, town_b):
    from municipalities.scoping import town_scope

    with town_scope(town_b):
        assert not Survey.objects.exists()
        assert not Question.objects.exists()
    assert QuestionKind.MATRIX in {q.kind for q in Question.objects.all()}


def test_the_data_export_names_the_surveys_and_the_answers_only_where_not_anonymous(
    process, survey, questions, citizen
):
    from accounts.exports import user_data

    services.response_submit(survey=survey, by=citizen, values=full_answer(questions))
    (taken,) = user_data(user=citizen)["surveys"]
    assert (taken["survey"], taken["anonymous"], taken["answers"]) == ("Umfrage zur Innenstadt", True, [])
    new = services.survey_new_version(survey=survey, by=None)
    services.survey_change(survey=new, by=None, fields={"is_anonymous": False})
    services.response_submit(survey=new, by=citizen, values=full_answer(selectors_questions(new)))
    named = user_data(user=citizen)["surveys"][1]
    assert {"question": "Wie kommen Sie meist in die Innenstadt?", "answer": "Bus"} in named["answers"]
    assert {"question": "Wie bewerten Sie …", "answer": "die Sitzplätze: schlecht"} in named["answers"]
    assert {"question": "Was ist Ihnen am wichtigsten?", "answer": "1. Sauberkeit"} in named["answers"]


def test_account_deletion_leaves_anonymous_responses_without_any_trace_of_the_person(
    survey, questions, citizen
):
    from accounts.services import account_delete

    services.response_submit(survey=survey, by=citizen, values=full_answer(questions))
    account_delete(user=citizen)
    assert not Participant.objects.exists()
    assert Response.objects.filter(survey=survey, respondent=None).count() == 1
