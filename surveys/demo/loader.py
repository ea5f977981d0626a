"""Demo survey: Arnsberg asks its citizens how digital the town centre should become, in a process whose survey
is running today — built through :mod:`surveys.services` (questions, responses online and on paper, free text
published by the town), so that the builder's lock, the results and the moderation are real."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from accounts.models import User
from municipalities.models import Municipality
from municipalities.scoping import town_scope
from participation.models import Process
from participation.services import processes as processes_services

from .. import services
from ..models import Answer, Question, QuestionKind
from ..services import QuestionInput

TOWN = "arnsberg"
PROCESS_TITLE = "Umfrage: Wie digital soll die Innenstadt werden?"
SEED = 2026

QUESTIONS = [
    QuestionInput(
        kind=QuestionKind.SINGLE,
        text="Wie kommen Sie meistens in die Arnsberger Innenstadt?",
        options=["Zu Fuß", "Mit dem Fahrrad", "Mit Bus oder Bahn", "Mit dem Auto"],
        is_required=True,
    ),
    QuestionInput(
        kind=QuestionKind.MULTIPLE,
        text="Welche digitalen Angebote der Stadt nutzen Sie schon?",
        options=[
            "Online-Terminvergabe im Bürgerbüro",
            "Freies WLAN in der Altstadt",
            "Parkleitsystem",
            "Mängelmelder",
        ],
    ),
    QuestionInput(
        kind=QuestionKind.SCALE,
        text="Wie zufrieden sind Sie mit dem freien WLAN in der Innenstadt?",
        scale_min=1,
        scale_max=5,
        scale_min_label="gar nicht zufrieden",
        scale_max_label="sehr zufrieden",
    ),
    QuestionInput(
        kind=QuestionKind.RANKING,
        text="Was sollte die Stadt zuerst angehen?",
        options=[
            "Mehr Sitzbänke mit Schatten",
            "Echtzeit-Anzeigen an Bushaltestellen",
            "Freie Parkplätze per App",
        ],
    ),
    QuestionInput(
        kind=QuestionKind.MATRIX,
        text="Wie bewerten Sie in der Innenstadt …",
        options=["gut", "mittel", "schlecht"],
        rows=["die Beleuchtung am Abend", "die Barrierefreiheit der Wege"],
    ),
    QuestionInput(kind=QuestionKind.LONG_TEXT, text="Was wünschen Sie sich für eine smarte Innenstadt?"),
]
#: Asked only of those who come by bus or train (an answer to the first question).
BUS_QUESTION = QuestionInput(kind=QuestionKind.SHORT_TEXT, text="Welche Verbindung fehlt Ihnen am meisten?")
WISHES = [
    "Eine Karte, die freie Sitzplätze im Schatten zeigt.",
    "Mehr Trinkbrunnen am Neumarkt.",
    "Digitale Infotafeln mit den Abfahrtszeiten am Steinweg.",
    "Ein Ladeplatz für E-Bikes an der Stadtbücherei.",
]
BUS_WISHES = ["Abends nach Neheim", "Sonntags nach Hüsten", "Eine direkte Linie zum Bahnhof"]


def _values(questions: dict[int, Question], rng: random.Random) -> dict[int, object]:
    travel, offers, wifi, ranking, matrix, wish, bus = questions.values()
    columns = lambda q: [o for o in q.options.all() if not o.is_row]  # noqa: E731
    way = rng.choices(columns(travel), weights=[3, 2, 3, 4])[0]
    order = rng.sample(columns(ranking), k=3)
    values: dict[int, object] = {
        travel.pk: way.pk,
        offers.pk: [o.pk for o in columns(offers) if rng.random() < 0.45],
        wifi.pk: rng.choices(range(1, 6), weights=[1, 2, 4, 5, 2])[0],
        ranking.pk: {o.pk: rank for rank, o in enumerate(order, start=1)},
        matrix.pk: {row.pk: rng.choice(columns(matrix)).pk for row in matrix.options.all() if row.is_row},
    }
    if rng.random() < 0.3:
        values[wish.pk] = rng.choice(WISHES)
    if way.label == "Mit Bus oder Bahn":
        values[bus.pk] = rng.choice(BUS_WISHES)
    return values


def load_surveys(towns: list[Municipality], *, citizens: list[User]) -> None:
    """Arnsberg's running survey, with responses of the demo citizens (when there are accounts) and paper
    questionnaires; free text partly published. Nothing when Arnsberg is not among ``towns`` or the survey exists."""
    town = next((t for t in towns if t.slug == TOWN), None)
    if town is None:
        return
    with town_scope(town):
        if Process.objects.filter(municipality=town, title=PROCESS_TITLE).exists():
            return
        today = timezone.localdate()
        day = datetime.timedelta(days=1)
        process = processes_services.process_create(
            municipality=town,
            by=None,
            fields={
                "title": PROCESS_TITLE,
                "summary": "Sagen Sie uns in fünf Minuten, welche digitalen Angebote Ihnen in der Innenstadt helfen.",
                "description": "Die Antworten fließen in die Smart-City-Strategie ein. Die Umfrage ist anonym.",
                "is_published": True,
            },
            phases=[
                {"kind": "information", "starts_on": today - 20 * day, "ends_on": today - 15 * day},
                {"kind": "survey", "starts_on": today - 14 * day, "ends_on": today + 14 * day},
                {"kind": "results", "starts_on": today + 15 * day, "ends_on": None},
            ],
        )
        survey = services.survey_create(
            process=process,
            by=None,
            fields={
                "title": "Wie digital soll die Arnsberger Innenstadt werden?",
                "intro": "Die Umfrage dauert etwa fünf Minuten. Ihre Antworten werden **ohne Ihren Namen** gespeichert.",
                "audience": "citizens",
                "is_anonymous": True,
                "results_shown": "live",
            },
        )
        made = [services.question_add(survey=survey, by=None, values=values) for values in QUESTIONS]
        bus_option = made[0].options.get(label="Mit Bus oder Bahn")
        condition = QuestionInput(**{**BUS_QUESTION.__dict__, "shown_if": bus_option, "errors": {}})
        made.append(services.question_add(survey=survey, by=None, values=condition))
        questions = {q.pk: q for q in survey.questions.prefetch_related("options").order_by("position")}
        rng = random.Random(SEED)
        for citizen in citizens:
            services.response_submit(survey=survey, by=citizen, values=_values(questions, rng))
        for received in range(12):
            services.paper_response_enter(
                survey=survey,
                by=None,
                values=_values(questions, rng),
                received_on=today - (received % 7) * day,
            )
        for number, answer in enumerate(
            Answer.objects.filter(question__survey=survey).exclude(text="").order_by("pk")
        ):
            if number % 4 != 3:  # most published; some wait for the moderators
                services.text_answer_moderate(answer=answer, by=None, publish=True, acting_town=town)
