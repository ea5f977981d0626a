"""Survey news run by a real worker from real Redis: the daily job reaches every active town, tells those who
took part once however often it runs, and mails at once the person who asked for that."""

import datetime

import pytest
from django.core import mail
from django.db import transaction

from municipalities.scoping import town_scope
from notifications.models import Notification
from notifications.services import preferences_save
from surveys import services
from surveys.tasks import survey_notifications_dispatch, survey_notifications_send
from tests import factories, helpers

from .conftest import run_worker, wait_for, worker_queue

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DAY = datetime.timedelta(days=1)


@pytest.fixture
def opened(town_a):
    """A survey that opened yesterday in a process whose idea author asked to be mailed at once."""
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        process = factories.process(
            municipality=town_a,
            phases=[
                {"kind": "survey", "starts_on": helpers.today() - DAY, "ends_on": helpers.today() + 5 * DAY},
                {
                    "kind": "ideas",
                    "starts_on": helpers.today() + 6 * DAY,
                    "ends_on": helpers.today() + 20 * DAY,
                },
            ],
        )
        earlier = factories.process(municipality=town_a)  # collecting ideas today
        with town_scope(town_a):
            survey = services.survey_create(
                process=process, by=None, fields={"title": "Umfrage Markt", "audience": "everyone"}
            )
            services.question_add(
                survey=survey, by=None, values=services.QuestionInput(kind="short_text", text="Was?")
            )
        author = factories.UserFactory(email="folgt@example.org")
        # Whoever took part in another process hears nothing of this one.
        factories.idea(process=earlier, author=factories.UserFactory(email="anderswo@example.org"))
    return {"process": process, "author": author, "survey": survey}


def test_the_daily_job_tells_each_person_once_and_mails_who_asked(town_a, town_b, opened, finished):
    from participation.models import Support

    # The author took part by supporting an idea of the process: the ideas phase has not begun, so the support
    # is on an idea entered as the process's own (written through the model, as an import would).
    idea = factories.idea(process=factories.process(municipality=town_a))
    with town_scope(town_a):
        idea.process = opened["process"]
        idea.save(update_fields=["process"])
        Support.objects.create(idea=idea, user=opened["author"], municipality=town_a)
    preferences_save(user=opened["author"], choices={"survey.opened": "immediate"})
    with worker_queue() as queue, run_worker(queue):
        finished.wait(survey_notifications_dispatch.delay())
        wait_for(lambda: any(m.to == ["folgt@example.org"] for m in mail.outbox))
        again = survey_notifications_send.delay(municipality_id=town_a.pk)
        finished.wait(again)
    told = Notification.objects.with_scope(municipality=town_a.pk).filter(kind="survey.opened")
    assert set(told.values_list("recipient__email", flat=True)) == {"folgt@example.org", idea.author.email}
    assert told.count() == 2  # the job ran twice (dispatched, then again): each once
    assert [m.to for m in mail.outbox] == [
        ["folgt@example.org"]
    ]  # the other chose nothing: the daily summary
    assert "Umfrage Markt" in mail.outbox[0].subject
