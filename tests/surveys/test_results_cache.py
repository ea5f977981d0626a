"""Computed results are kept in the cache under what they depend on: a second visit counts nothing again, and a
response, a published free text or a change of the questionnaire gives fresh figures at once."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from surveys import selectors, services
from surveys.models import Answer, Survey
from tests import factories

from .conftest import option

pytestmark = pytest.mark.django_db


def _fresh(survey):
    return Survey.objects.select_related("process").get(pk=survey.pk)  # as a request reads it


def _answer(survey, q, wish):
    services.response_submit(
        survey=survey,
        by=factories.UserFactory(),
        values={q["travel"].pk: option(q["travel"], "Auto").pk, q["wish"].pk: wish},
    )


def test_results_are_counted_once_per_change(survey, questions, town_a, staff_factory):
    cache.clear()
    _answer(survey, questions, "Mehr Licht")
    first = selectors.results_cached(_fresh(survey))
    assert first.responses == 1
    with CaptureQueriesContext(connection) as again:
        assert selectors.results_cached(_fresh(survey)).responses == 1
    assert not any("surveys_answer" in q["sql"] for q in again.captured_queries)

    _answer(survey, questions, "Bänke")
    assert selectors.results_cached(_fresh(survey)).responses == 2  # a response: counted again

    wish = next(
        r for r in selectors.results_cached(_fresh(survey)).questions if r.question == questions["wish"]
    )
    assert wish.texts == [] and wish.texts_waiting == 2
    services.text_answer_moderate(
        answer=Answer.objects.get(text="Bänke"),
        by=staff_factory(town_a, "editor"),
        publish=True,
        acting_town=town_a,
    )
    wish = next(
        r for r in selectors.results_cached(_fresh(survey)).questions if r.question == questions["wish"]
    )
    assert wish.texts == ["Bänke"] and wish.texts_waiting == 1  # moderated: the process's version moved
