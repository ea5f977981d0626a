"""Survey results: counted by the database in a fixed number of queries, shares of those who answered each
question, rankings by average rank, a matrix per row, scales with their distribution and average, paper
questionnaires counted and named; and who sees them when."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from surveys import selectors, services
from tests import factories, helpers

from .conftest import option, row

pytestmark = pytest.mark.django_db


def _respond(survey, q, *, travel, services_used, satisfaction, ranking, matrix, paper_by=None):
    values = {
        q["travel"].pk: option(q["travel"], travel).pk,
        q["services"].pk: [option(q["services"], label).pk for label in services_used],
        q["satisfaction"].pk: satisfaction,
        q["ranking"].pk: {
            option(q["ranking"], label).pk: rank for rank, label in enumerate(ranking, start=1)
        },
        q["matrix"].pk: {row(q["matrix"], r).pk: option(q["matrix"], c).pk for r, c in matrix.items()},
    }
    if travel == "Bus":
        values[q["bus_line"].pk] = "Linie R12 am Abend"
    if paper_by is not None:
        return services.paper_response_enter(
            survey=survey, by=paper_by, values=values, received_on=helpers.today()
        )
    return services.response_submit(survey=survey, by=factories.UserFactory(), values=values)


@pytest.fixture
def answered(survey, questions, town_a, staff_factory):
    q = questions
    editor = staff_factory(town_a, "editor")
    _respond(
        survey,
        q,
        travel="Bus",
        services_used=["Parkplatz-App"],
        satisfaction=5,
        ranking=["Sicherheit", "Sauberkeit", "Erreichbarkeit"],
        matrix={"die Beleuchtung": "gut"},
    )
    _respond(
        survey,
        q,
        travel="Fahrrad",
        services_used=["Parkplatz-App", "Freies WLAN"],
        satisfaction=4,
        ranking=["Sauberkeit", "Sicherheit", "Erreichbarkeit"],
        matrix={"die Beleuchtung": "gut", "die Sitzplätze": "schlecht"},
    )
    _respond(
        survey,
        q,
        travel="Fahrrad",
        services_used=[],
        satisfaction=4,
        ranking=["Sicherheit", "Erreichbarkeit", "Sauberkeit"],
        matrix={"die Beleuchtung": "mittel"},
        paper_by=editor,
    )
    return q


def _by_label(result):
    return {r.option.label: (r.count, r.share) for r in result.options}


def test_results_count_and_share_each_answer(survey, answered, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        result = selectors.results(survey)
    assert (result.responses, result.paper_responses) == (3, 1)
    travel, services_used, satisfaction, ranking, wish, matrix, bus_line = result.questions
    assert travel.answered == 3
    assert _by_label(travel) == {
        "Zu Fuß": (0, Decimal("0")),
        "Fahrrad": (2, Decimal("66.7")),
        "Bus": (1, Decimal("33.3")),
        "Auto": (0, Decimal("0")),
    }
    # Shares of those who answered the question: two of three ticked something.
    assert services_used.answered == 2
    assert _by_label(services_used)["Parkplatz-App"] == (2, Decimal("100.0"))
    assert _by_label(services_used)["Freies WLAN"] == (1, Decimal("50.0"))
    assert satisfaction.scale == [
        (1, 0, Decimal("0")),
        (2, 0, Decimal("0")),
        (3, 0, Decimal("0")),
        (4, 2, Decimal("66.7")),
        (5, 1, Decimal("33.3")),
    ]
    assert satisfaction.average == Decimal("4.33")
    assert [(r.option.label, r.average_rank) for r in ranking.options] == [
        ("Sicherheit", Decimal("1.33")),
        ("Sauberkeit", Decimal("2.00")),
        ("Erreichbarkeit", Decimal("2.67")),
    ]
    lighting, seats = matrix.matrix
    assert [(c.option.label, c.count) for c in lighting.cells] == [("gut", 2), ("mittel", 1), ("schlecht", 0)]
    assert [(c.option.label, c.count, c.share) for c in seats.cells][2] == ("schlecht", 1, Decimal("100.0"))
    # Free text waits for moderation: counted, not shown.
    assert (bus_line.answered, bus_line.texts, bus_line.texts_waiting) == (1, [], 1)
    assert (wish.answered, wish.texts) == (0, [])


def test_the_number_of_queries_does_not_grow_with_the_responses(
    survey, answered, django_assert_max_num_queries
):
    for _ in range(5):
        _respond(
            survey,
            answered,
            travel="Auto",
            services_used=["Bürgerportal"],
            satisfaction=2,
            ranking=["Erreichbarkeit"],
            matrix={},
        )
    with django_assert_max_num_queries(9):
        result = selectors.results(survey)
    assert result.responses == 8
    assert _by_label(result.questions[0])["Auto"] == (5, Decimal("62.5"))


def test_who_sees_the_results_when(survey, answered, citizen, town_a, town_b, staff_factory):
    process = survey.process
    viewer, stranger = staff_factory(town_a, "viewer"), staff_factory(town_b, "editor")
    assert not selectors.results_visible(survey, citizen)  # after closing, by default
    assert selectors.results_visible(survey, citizen, helpers.after_the_survey())
    assert selectors.results_visible(survey, viewer)  # the town's staff always
    survey = services.survey_change(survey=survey, by=None, fields={"results_shown": "live"})
    assert selectors.results_visible(survey, AnonymousUser())
    survey = services.survey_change(survey=survey, by=None, fields={"results_shown": "staff"})
    assert not selectors.results_visible(survey, stranger, helpers.after_the_survey())
    assert selectors.results_visible(survey, viewer, helpers.after_the_survey())
    assert process.is_published
