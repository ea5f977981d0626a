"""Who is told about a survey: those who took part in its process when it opens, and they and those who answered
with their account when its results are published after it closed; each once, as their settings say; nobody for
results kept for staff, nobody for a response given without an account."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from municipalities.scoping import town_scope
from notifications.models import Notification
from notifications.services import preferences_save
from surveys import services
from surveys.tasks import survey_notifications_send
from tests import factories, helpers

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _phases():
    """The survey ran before the ideas are collected (today): opened 20 days ago, closed after 10 days ago."""
    today = helpers.today()
    return [
        {"kind": "survey", "starts_on": today - 20 * DAY, "ends_on": today - 10 * DAY},
        {"kind": "ideas", "starts_on": today - 9 * DAY, "ends_on": today + 10 * DAY},
    ]


def _while_open():
    """A day while the survey of :func:`_phases` is open."""
    return helpers.today() - 18 * DAY


def _after_closing():
    """The second day after the survey of :func:`_phases` closed."""
    return helpers.today() - 8 * DAY


@pytest.fixture
def setting(town_a, town_b):
    process = factories.process(
        municipality=town_a, title="Innenstadt 2030", phases=_phases(), partners=[town_b]
    )
    with town_scope(town_a):
        survey = services.survey_create(
            process=process, by=None, fields={"title": "Umfrage Innenstadt", "audience": "everyone"}
        )
        question = services.question_add(
            survey=survey, by=None, values=services.QuestionInput(kind="short_text", text="Was fehlt?")
        )
    author, commenter = factories.UserFactory(), factories.UserFactory()
    idea = factories.idea(process=process, author=author)
    factories.comment(idea=idea, author=commenter)
    respondent = factories.UserFactory()
    with town_scope(town_a):
        services.response_submit(
            survey=survey, by=respondent, values={question.pk: "Bänke"}, on=_while_open()
        )
        services.response_submit(
            survey=survey, by=AnonymousUser(), values={question.pk: "Ohne Konto"}, on=_while_open()
        )
    factories.UserFactory()  # somebody else, who took no part
    return {
        "process": process,
        "survey": survey,
        "followers": {author.pk, commenter.pk},
        "respondent": respondent,
    }


def _run(municipality, day):
    return survey_notifications_send(municipality_id=municipality.pk, today=day.isoformat())


def _told(municipality, kind):
    return set(
        Notification.objects.with_scope(municipality=municipality.pk)
        .filter(kind=kind)
        .values_list("recipient_id", flat=True)
    )


def test_those_who_took_part_hear_that_the_survey_opened_once(town_a, setting):
    assert _run(town_a, _while_open()) == 2
    assert _run(town_a, _while_open() + DAY) == 0  # the next day: nobody twice
    assert _told(town_a, "survey.opened") == setting["followers"]
    note = Notification.objects.with_scope(municipality=town_a.pk).filter(kind="survey.opened").first()
    assert note.title == "Eine Umfrage hat begonnen: „Umfrage Innenstadt“"
    assert note.url == f"/{town_a.slug}/beteiligung/{setting['process'].slug}/umfrage/"
    assert note.email_plan == "daily"  # the kind's default: in the daily summary


def test_a_survey_opened_long_ago_is_no_news(town_a, setting):
    assert _run(town_a, helpers.today() - 12 * DAY) == 0  # opened 8 days before


def test_results_after_closing_reach_followers_and_respondents_with_an_account(town_a, setting):
    assert _run(town_a, helpers.today() - 10 * DAY) == 0  # the last day of the survey: not closed yet
    assert _run(town_a, _after_closing()) == 3
    assert _run(town_a, _after_closing() + DAY) == 0
    assert _told(town_a, "survey.results") == {*setting["followers"], setting["respondent"].pk}
    note = Notification.objects.with_scope(municipality=town_a.pk).filter(kind="survey.results").first()
    assert note.url.endswith("/umfrage/ergebnisse/")


def test_results_kept_for_staff_are_no_news(town_a, setting):
    with town_scope(town_a):
        services.survey_change(survey=setting["survey"], by=None, fields={"results_shown": "staff"})
    assert _run(town_a, _after_closing()) == 0


def test_each_persons_setting_decides_the_mail(town_a, setting):
    respondent = setting["respondent"]
    preferences_save(user=respondent, choices={"survey.results": "none"})
    _run(town_a, _after_closing())
    mine = Notification.objects.with_scope(municipality=town_a.pk).get(recipient=respondent)
    assert mine.email_plan == "none"  # in the app only


def test_a_partner_town_does_not_tell_again(town_a, town_b, setting):
    assert _run(town_b, _while_open()) == 0 and _run(town_b, _after_closing()) == 0  # the lead town tells
    assert _run(town_a, _while_open()) == 2
