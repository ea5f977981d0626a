"""The demo survey: Arnsberg's running survey with answers of the demo citizens and on paper, results shown live,
free text partly published; loading it twice changes nothing."""

import pytest

from municipalities.scoping import town_scope
from participation.models import Process
from surveys import selectors
from surveys.demo.loader import PROCESS_TITLE, load_surveys
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_demo_survey_is_running_with_answers(town_a, town_b):
    citizens = [factories.UserFactory(email=f"buerger-{n}@example.org") for n in range(8)]
    load_surveys([town_a, town_b], citizens=citizens)
    load_surveys([town_a, town_b], citizens=citizens)
    with town_scope(town_a):
        process = Process.objects.prefetch_related("phases").get(title=PROCESS_TITLE)
        assert process.accepts_survey_responses()
        survey = selectors.current_survey(process)
        results = selectors.results(survey)
        assert (results.responses, results.paper_responses) == (20, 12)
        assert len(results.questions) == 7 and survey.is_locked
        assert selectors.results_visible(survey, citizens[0])
        assert all(selectors.has_answered(survey, c) for c in citizens)
        assert results.questions[5].texts  # published
        assert sum(q.texts_waiting for q in results.questions) > 0  # and some wait for the moderators
    with town_scope(town_b):
        assert not Process.objects.filter(title=PROCESS_TITLE).exists()
