"""An editor downloads a survey's results and responses from the staff page (the links are plain links; the files
arrive as downloads), and the open data page names the survey results; both pages pass axe and fit a phone."""

import csv
import io
from pathlib import Path

import pytest
from django.db import transaction

from municipalities.scoping import town_scope
from tests import factories
from tests.helpers import browser_login, survey_phases

from .conftest import check_axe
from .test_survey_journey import _fits, _survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_editor_downloads_results_and_responses(site, page, town_a):
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        process = factories.process(
            municipality=town_a, title="Smarte Innenstadt Arnsberg", phases=survey_phases()
        )
        with town_scope(town_a):
            _survey(process)
        editor = factories.staff_member(municipality=town_a, role="editor", email="export@arnsberg.example")
    browser_login(page, site, editor)
    page.goto(f"{site}/arnsberg/verwaltung/beteiligung/{process.slug}/umfrage/")
    check_axe(page)
    _fits(page, "survey-staff-downloads")
    for name, first_header in (("Ergebnisse (CSV)", "Nr."), ("Rückmeldungen (CSV)", "Nr.")):
        with page.expect_download() as waiting:
            page.get_by_role("link", name=name).click()
        download = waiting.value
        assert download.suggested_filename.startswith("umfrage-") and download.suggested_filename.endswith(
            ".csv"
        )
        text = Path(download.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        assert rows[0][0] == first_header and len(rows) > 2
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Rückmeldungen (XLSX)").click()
    assert waiting.value.suggested_filename.endswith(".xlsx")


def test_the_open_data_page_names_the_survey_results(site, page, town_a):
    page.goto(f"{site}/offene-daten/")
    check_axe(page)
    assert page.get_by_text("Umfrageergebnisse werden veröffentlicht").is_visible()
    _fits(page, "opendata")
