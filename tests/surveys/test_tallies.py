"""The stored counts of survey answers (``Tally``, ``Survey.response_count``/``paper_response_count``): equal to a
full recount after every kind of write, kept without a lost count by responses at the same moment, checked and
repaired by ``manage.py survey_tallies_refresh``, filled by the migration; the results read them in a fixed number
of queries."""

import importlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from municipalities.scoping import town_scope
from participation.models import Moderation
from surveys import selectors, services
from surveys.models import Answer, Survey, Tally
from tests import factories
from tests.conftest import need

from .conftest import option
from .test_results import _respond

pytestmark = pytest.mark.django_db

SATISFIED = {
    "travel": "Bus",
    "services_used": ["Parkplatz-App", "Freies WLAN"],
    "satisfaction": 4,
    "ranking": ["Sicherheit", "Sauberkeit", "Erreichbarkeit"],
    "matrix": {"die Beleuchtung": "gut", "die Sitzplätze": "schlecht"},
}


def _stale(survey):
    return selectors.surveys_with_stale_tallies([Survey.objects.get(pk=survey.pk)])


def _answered(question):
    return Tally.objects.get(question=question, option=None, row=None, value=None)


def test_stored_counts_equal_a_recount_after_every_kind_of_write(survey, questions, town_a, staff_factory):
    q = questions
    editor = staff_factory(town_a, "editor")
    assert _stale(survey) == []
    _respond(survey, q, **SATISFIED)
    assert _stale(survey) == []
    assert Tally.objects.get(question=q["travel"], option=option(q["travel"], "Bus")).count == 1
    assert (_answered(q["bus_line"]).count, _answered(q["bus_line"]).waiting) == (1, 1)
    _respond(survey, q, **{**SATISFIED, "travel": "Fahrrad", "satisfaction": 2}, paper_by=editor)
    assert _stale(survey) == []
    survey.refresh_from_db()
    assert (survey.response_count, survey.paper_response_count) == (2, 1)
    _respond(survey, q, **SATISFIED)
    first, second = Answer.objects.filter(question=q["bus_line"]).order_by("pk")
    services.text_answer_moderate(answer=first, by=editor, publish=True, acting_town=town_a)
    assert _stale(survey) == []
    assert _answered(q["bus_line"]).waiting == 1
    services.text_answer_moderate(answer=second, by=editor, publish=False, acting_town=town_a)
    services.text_answer_moderate(
        answer=first, by=editor, publish=False, acting_town=town_a
    )  # again: no change
    assert _stale(survey) == []
    assert _answered(q["bus_line"]).waiting == 0
    ranking = Tally.objects.get(question=q["ranking"], option=option(q["ranking"], "Sauberkeit"))
    assert (ranking.count, ranking.rank_sum) == (3, 6)


def test_a_refused_response_counts_nothing(survey, questions):
    with pytest.raises(ValidationError):  # the counts must not move
        services.response_submit(survey=survey, by=factories.UserFactory(), values={})
    assert not Tally.objects.filter(question__survey=survey).exists()
    survey.refresh_from_db()
    assert survey.response_count == 0


def test_the_command_finds_wrong_counts_and_counts_anew(survey, questions):
    _respond(survey, questions, **SATISFIED)
    call_command("survey_tallies_refresh", "--check")
    Tally.objects.filter(question=questions["satisfaction"], value=4).update(count=7)
    Survey.objects.filter(pk=survey.pk).update(paper_response_count=3)
    with pytest.raises(CommandError, match="1 surveys have wrong stored counts"):
        call_command("survey_tallies_refresh", "--check")
    call_command("survey_tallies_refresh")
    call_command("survey_tallies_refresh", "--check")
    assert Tally.objects.get(question=questions["satisfaction"], value=4).count == 1
    survey.refresh_from_db()
    assert (survey.response_count, survey.paper_response_count) == (1, 0)


def test_the_migration_fills_the_counts_of_existing_answers(survey, questions, town_a, staff_factory):
    _respond(survey, questions, **SATISFIED)
    _respond(survey, questions, **SATISFIED, paper_by=staff_factory(town_a, "editor"))
    Tally.objects.all().delete()
    Survey.objects.filter(pk=survey.pk).update(response_count=0, paper_response_count=0)
    assert _stale(survey) == [survey.pk]
    migration = importlib.import_module("surveys.migrations.0003_tallies_surveycounts")
    with connection.cursor() as cursor:
        for statement in migration.FILL:
            cursor.execute(statement)
    assert _stale(survey) == []


def test_the_results_read_a_fixed_number_of_queries(survey, questions):
    _respond(survey, questions, **SATISFIED)
    with CaptureQueriesContext(connection) as one:
        selectors.results(survey)
    for _ in range(4):
        _respond(survey, questions, **SATISFIED)
    with CaptureQueriesContext(connection) as five:
        result = selectors.results(survey)
    assert result.responses == 5
    assert len(one) == len(five) <= 5
    assert not any(
        "surveys_answer" in query["sql"] and "COUNT" in query["sql"] for query in five.captured_queries
    )


# --- Responses at the same moment ------------------------------------------------------------------------


@pytest.fixture
def _postgresql():
    need(connection.vendor == "postgresql", "row locks need PostgreSQL (SQLite locks the whole file)")


def _in_threads(*targets):
    errors: list[BaseException] = []

    def run(target):
        try:
            target()
        except BaseException as error:  # noqa: BLE001 - examined by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs (deadlock?)"
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_responses_at_the_same_moment_lose_no_count(_postgresql, survey, questions, town_a):
    barrier = threading.Barrier(2)

    def answer_five():
        barrier.wait(timeout=20)
        with town_scope(town_a):
            for _ in range(5):
                _respond(survey, questions, **SATISFIED)

    _in_threads(answer_five, answer_five)
    with town_scope(town_a):
        assert _stale(survey) == []
        assert Survey.objects.get(pk=survey.pk).response_count == 10
        assert _answered(questions["travel"]).count == 10


@pytest.mark.django_db(transaction=True)
def test_the_stored_count_adds_under_the_rows_lock(_postgresql, survey, questions, town_a):
    """The counting statement alone (without the survey's lock that the services take first): the second
    transaction waits for the first one's row, then adds to what it committed instead of overwriting it."""
    with town_scope(town_a):
        q = questions["travel"]
        bus = option(q, "Bus")
    counted, second_started = threading.Event(), threading.Event()

    def count_one(wait_for_the_other: bool):
        with town_scope(town_a), transaction.atomic():
            services._count_answers(survey, [Answer(question=q, option=bus)])
            if wait_for_the_other:
                counted.set()
                second_started.wait(timeout=20)
                threading.Event().wait(0.5)  # the other transaction now waits for the row

    def first():
        count_one(True)

    def second():
        counted.wait(timeout=20)
        second_started.set()
        count_one(False)

    _in_threads(first, second)
    with town_scope(town_a):
        assert Tally.objects.get(question=q, option=bus).count == 2
        assert _answered(q).count == 2
        assert not Answer.objects.filter(moderation=Moderation.PENDING).exists()
