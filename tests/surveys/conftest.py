"""A process of Arnsberg that is running its survey today (information before, results after), and its survey
with one question of every kind, built through the services."""

import datetime

import pytest

from municipalities.scoping import town_scope
from participation.models import Process
from surveys import services
from surveys.models import QuestionKind
from surveys.services import QuestionInput
from tests import factories, helpers

DAY = datetime.timedelta(days=1)


@pytest.fixture
def process(town_a):
    item = factories.process(municipality=town_a, title="Smarte Innenstadt", phases=helpers.survey_phases())
    with town_scope(town_a):
        yield Process.objects.get(pk=item.pk)


def build(survey, by=None):
    """The survey's questions: one of every kind, the last shown only to those who chose "Bus" in the first."""
    add = lambda **values: services.question_add(survey=survey, by=by, values=QuestionInput(**values))  # noqa: E731
    travel = add(
        kind=QuestionKind.SINGLE,
        text="Wie kommen Sie meist in die Innenstadt?",
        options=["Zu Fuß", "Fahrrad", "Bus", "Auto"],
        is_required=True,
    )
    services_wanted = add(
        kind=QuestionKind.MULTIPLE,
        text="Welche digitalen Angebote nutzen Sie?",
        options=["Parkplatz-App", "Bürgerportal", "Freies WLAN"],
    )
    satisfaction = add(
        kind=QuestionKind.SCALE,
        text="Wie zufrieden sind Sie mit dem WLAN in der Innenstadt?",
        scale_min=1,
        scale_max=5,
        scale_min_label="gar nicht",
        scale_max_label="sehr",
    )
    ranking = add(
        kind=QuestionKind.RANKING,
        text="Was ist Ihnen am wichtigsten?",
        options=["Sicherheit", "Sauberkeit", "Erreichbarkeit"],
    )
    wish = add(kind=QuestionKind.SHORT_TEXT, text="Was wünschen Sie sich?")
    matrix = add(
        kind=QuestionKind.MATRIX,
        text="Wie bewerten Sie …",
        options=["gut", "mittel", "schlecht"],
        rows=["die Beleuchtung", "die Sitzplätze"],
    )
    bus = travel.options.get(label="Bus")
    bus_line = add(
        kind=QuestionKind.LONG_TEXT,
        text="Welche Buslinie fehlt Ihnen?",
        shown_if=bus,
        is_required=True,
    )
    return {
        "travel": travel,
        "services": services_wanted,
        "satisfaction": satisfaction,
        "ranking": ranking,
        "wish": wish,
        "matrix": matrix,
        "bus_line": bus_line,
    }


@pytest.fixture
def survey(process):
    return services.survey_create(
        process=process, by=None, fields={"title": "Umfrage zur Innenstadt", "audience": "citizens"}
    )


@pytest.fixture
def questions(survey):
    return build(survey)


def option(question, label):
    return question.options.get(label=label, is_row=False)


def row(question, label):
    return question.options.get(label=label, is_row=True)
