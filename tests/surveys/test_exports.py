"""The staff's exports of a survey: the results per question and the responses one per line, as CSV and XLSX;
formula-like text kept as text, paper questionnaires marked, nothing about who answered, free text as typed for
editors only, and a fixed number of queries whatever the number of responses."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from surveys import selectors, services
from tests import factories, helpers

from .conftest import option, row

pytestmark = pytest.mark.django_db


def _url(process, name):
    return reverse(f"surveys:{name}", kwargs={"town_slug": process.municipality.slug, "slug": process.slug})


def _answer(survey, q, *, by=None, paper_by=None, travel="Bus", wish='=HYPERLINK("x")', satisfaction=4):
    values = {
        q["travel"].pk: option(q["travel"], travel).pk,
        q["services"].pk: [
            option(q["services"], "Parkplatz-App").pk,
            option(q["services"], "Freies WLAN").pk,
        ],
        q["satisfaction"].pk: satisfaction,
        q["ranking"].pk: {
            option(q["ranking"], "Sauberkeit").pk: 1,
            option(q["ranking"], "Sicherheit").pk: 2,
            option(q["ranking"], "Erreichbarkeit").pk: 3,
        },
        q["wish"].pk: wish,
        q["matrix"].pk: {row(q["matrix"], "die Beleuchtung").pk: option(q["matrix"], "gut").pk},
    }
    if travel == "Bus":
        values[q["bus_line"].pk] = "Linie R12 am Abend"
    if paper_by is not None:
        return services.paper_response_enter(
            survey=survey, by=paper_by, values=values, received_on=helpers.today()
        )
    return services.response_submit(survey=survey, by=by or factories.UserFactory(), values=values)


@pytest.fixture
def editor(town_a, staff_factory):
    return staff_factory(town_a, "editor")


@pytest.fixture
def answered(survey, questions, editor):
    citizen = factories.UserFactory(display_name="Erika Mustermann", email="erika@example.org")
    _answer(survey, questions, by=citizen)
    _answer(survey, questions, travel="Fahrrad", wish="Mehr Bänke", satisfaction=2)
    _answer(survey, questions, paper_by=editor, travel="Auto", wish="@Rathaus")
    return survey


def _csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_the_responses_as_csv_one_line_each_with_paper_marked_and_no_one_named(
    client, process, answered, editor
):
    client.force_login(editor)
    response = client.get(_url(process, "staff-responses-csv"))
    assert response.status_code == 200
    assert 'filename="umfrage-' in response["Content-Disposition"]
    lines = _csv(response)
    header, *rows = lines
    assert header[:3] == ["Nr.", "Eingereicht", "Papierfragebogen"]
    assert (
        "Wie bewerten Sie … – die Beleuchtung" in header and "Wie bewerten Sie … – die Sitzplätze" in header
    )
    assert len(rows) == 3
    assert [r[0] for r in rows] == ["1", "2", "3"]
    assert [r[2] for r in rows] == ["nein", "nein", "ja"]
    first = dict(zip(header, rows[0], strict=True))
    assert first["Wie kommen Sie meist in die Innenstadt?"] == "Bus"
    assert first["Welche digitalen Angebote nutzen Sie?"] == "Parkplatz-App; Freies WLAN"
    assert first["Was ist Ihnen am wichtigsten?"] == "1. Sauberkeit; 2. Sicherheit; 3. Erreichbarkeit"
    assert first["Wie zufrieden sind Sie mit dem WLAN in der Innenstadt?"] == "4"
    assert (
        first["Was wünschen Sie sich?"] == '\'=HYPERLINK("x")'
    )  # free text before moderation, never a formula
    assert first["Welche Buslinie fehlt Ihnen?"] == "Linie R12 am Abend"
    assert first["Wie bewerten Sie … – die Beleuchtung"] == "gut"
    assert first["Wie bewerten Sie … – die Sitzplätze"] == ""
    assert rows[2][header.index("Was wünschen Sie sich?")] == "'@Rathaus"
    body = response.content.decode()
    for personal in ("Erika", "Mustermann", "erika@example.org", editor.email, str(editor.display_name)):
        assert personal not in body


def test_the_responses_as_xlsx(client, process, answered, editor):
    client.force_login(editor)
    response = client.get(_url(process, "staff-responses-xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Rückmeldungen"
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    wish = header.index("Was wünschen Sie sich?")
    satisfaction = header.index("Wie zufrieden sind Sie mit dem WLAN in der Innenstadt?")
    assert rows[1][wish] == '=HYPERLINK("x")'
    assert sheet.cell(row=2, column=wish + 1).data_type == "s"  # text, not a formula
    assert rows[2][satisfaction] == 2
    assert rows[1][1].date() == helpers.today()


def test_the_results_as_csv_and_xlsx(client, process, answered, editor):
    client.force_login(editor)
    header, *rows = _csv(client.get(_url(process, "staff-results-csv")))
    assert header == [
        "Nr.",
        "Frage",
        "Fragenart",
        "Zeile",
        "Antwort",
        "Anzahl",
        "Anteil",
        "Durchschnitt",
        "Beantwortet von",
    ]
    travel = {r[4]: r for r in rows if r[1] == "Wie kommen Sie meist in die Innenstadt?"}
    assert travel["Bus"][5:7] == ["1", "33,3"]
    assert travel["Auto"][5:7] == ["1", "33,3"]
    scale = [r for r in rows if r[1].startswith("Wie zufrieden")]
    assert scale[3][4:8] == ["4", "2", "66,7", "3,33"]
    wish = next(r for r in rows if r[1] == "Was wünschen Sie sich?")
    assert wish[4] == "0 veröffentlicht, 3 warten auf Moderation"
    assert rows[-2][1:6] == ["Rückmeldungen", "", "", "", "3"] and rows[-1][5] == "1"
    assert "@Rathaus" not in "".join(",".join(r) for r in rows)  # the figures carry no free text

    workbook = load_workbook(io.BytesIO(client.get(_url(process, "staff-results-xlsx")).content))
    sheet = workbook.active
    values = list(sheet.iter_rows(values_only=True))
    bus = next(r for r in values if r[4] == "Bus")
    assert bus[5] == 1 and abs(bus[6] - 0.333) < 0.001
    assert sheet.cell(row=values.index(bus) + 1, column=7).number_format == "0.0 %"


def test_viewers_get_the_results_but_not_the_responses_and_citizens_nothing(
    client, process, answered, town_a, staff_factory
):
    client.force_login(staff_factory(town_a, "viewer"))
    assert client.get(_url(process, "staff-results-csv")).status_code == 200
    assert client.get(_url(process, "staff-responses-csv")).status_code == 403
    page = client.get(_url(process, "staff-survey")).content.decode()
    assert _url(process, "staff-results-xlsx") in page and _url(process, "staff-responses-csv") not in page
    client.force_login(factories.UserFactory())
    assert client.get(_url(process, "staff-results-csv")).status_code in (403, 404)


def test_the_response_table_reads_in_a_fixed_number_of_queries(process, survey, questions, editor):
    def count():
        with CaptureQueriesContext(connection) as queries:
            selectors.response_table(survey)
        return len(queries)

    _answer(survey, questions)
    few = count()
    for _ in range(5):
        _answer(survey, questions, travel="Fahrrad")
    _answer(survey, questions, paper_by=editor)
    assert count() == few == 4
