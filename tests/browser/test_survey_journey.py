"""A citizen finds the survey on the process page, answers every kind of question with the keyboard (no script
needed), is told about a wrong ranking at its question, sends the answers and sees the results; every page passes
axe and fits a phone's width without scrolling sideways."""

import os
import re
from pathlib import Path

import pytest
from django.db import transaction
from playwright.sync_api import expect

from municipalities.scoping import town_scope
from surveys import services
from surveys.models import Response
from tests import factories
from tests.helpers import browser_login, survey_phases
from tests.surveys.conftest import build

from .conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Set SC5_SCREENSHOTS to a folder to keep the pages as PNGs (1280 and 390 px wide).
SHOTS = os.environ.get("SC5_SCREENSHOTS")


def _fits(page, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"{name} at {width} px"
        )
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _survey(process):
    survey = services.survey_create(
        process=process,
        by=None,
        fields={
            "title": "Umfrage: Wie digital soll die Innenstadt werden?",
            "intro": "Ihre Antworten helfen uns, die **Smart-City-Strategie** zu schärfen. Die Umfrage dauert etwa 5 Minuten.",
            "results_shown": "live",
        },
    )
    questions = build(survey)
    for person, travel in (("a@example.org", "Fahrrad"), ("b@example.org", "Auto")):
        services.response_submit(
            survey=survey,
            by=factories.UserFactory(email=person),
            values={questions["travel"].pk: questions["travel"].options.get(label=travel).pk},
        )
    return survey, questions


def test_a_citizen_answers_a_survey_with_the_keyboard_and_sees_the_results(site, page, town_a):
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        process = factories.process(
            municipality=town_a, title="Smarte Innenstadt Arnsberg", phases=survey_phases()
        )
        with town_scope(town_a):
            survey, _ = _survey(process)
        citizen = factories.UserFactory(email="lena@example.org", display_name="Lena")

    browser_login(page, site, citizen)
    page.goto(f"{site}/arnsberg/beteiligung/{process.slug}/")
    page.get_by_role("link", name="An der Umfrage teilnehmen").click()
    page.wait_for_url(re.compile(r"/umfrage/$"))
    check_axe(page)
    _fits(page, "survey")

    page.get_by_role("radio", name="Bus").check()
    page.get_by_role("checkbox", name="Freies WLAN").check()
    page.get_by_role("radio", name="4", exact=True).check()
    ranking = page.get_by_role("group", name=re.compile("Was ist Ihnen am wichtigsten"))
    ranking.get_by_label("Sicherheit").select_option("1")
    ranking.get_by_label("Sauberkeit").select_option("1")  # twice rank 1: refused at the question
    page.get_by_label(re.compile("Was wünschen Sie sich")).fill("Mehr Sitzbänke mit Schatten")
    matrix = page.get_by_role("group", name=re.compile("Wie bewerten Sie"))
    matrix.get_by_role("group", name="die Beleuchtung").get_by_role("radio", name="gut").check()
    page.get_by_label(re.compile("Welche Buslinie fehlt Ihnen")).fill("Eine späte Linie nach Neheim")
    page.get_by_role("button", name="Antworten absenden").press("Enter")
    expect(page.locator(".kern-error").filter(has_text="Bitte nummerieren Sie die Antworten")).to_be_visible()
    check_axe(page)
    assert not Response.objects.with_scopes_disabled().filter(survey=survey, is_paper=False).count() > 2

    ranking = page.get_by_role("group", name=re.compile("Was ist Ihnen am wichtigsten"))
    ranking.get_by_label("Sauberkeit").select_option("2")
    page.get_by_role("button", name="Antworten absenden").click()
    expect(page.get_by_text("Vielen Dank! Ihre Antworten wurden gespeichert.")).to_be_visible()
    expect(page.get_by_text("Sie haben an dieser Umfrage teilgenommen.")).to_be_visible()
    assert Response.objects.with_scopes_disabled().filter(survey=survey).count() == 3

    page.get_by_role("link", name="Ergebnisse der Umfrage").first.click()
    page.wait_for_url(re.compile(r"/umfrage/ergebnisse/$"))
    expect(page.get_by_text("3 Rückmeldungen")).to_be_visible()
    check_axe(page)
    _fits(page, "survey-results")


def test_an_editor_builds_a_survey_with_the_keyboard(site, page, town_a):
    process = factories.process(
        municipality=town_a, title="Smarte Innenstadt Arnsberg", phases=survey_phases()
    )
    editor = factories.staff_member(municipality=town_a, role="editor", email="umfrage@arnsberg.example")
    browser_login(page, site, editor)
    page.goto(f"{site}/arnsberg/verwaltung/beteiligung/{process.slug}/")
    page.get_by_role("link", name="Umfrage", exact=True).click()
    page.wait_for_url(re.compile(r"/umfrage/$"))
    check_axe(page)
    page.get_by_label("Titel").fill("Wie digital soll die Innenstadt werden?")
    page.get_by_role("button", name="Umfrage anlegen").click()
    expect(page.get_by_text("Die Umfrage wurde angelegt.")).to_be_visible()

    for kind, text, options in (
        ("Einfachauswahl", "Wie kommen Sie in die Innenstadt?", "Zu Fuß\nFahrrad\nBus"),
        ("Mehrfachauswahl", "Welche Angebote nutzen Sie?", "Freies WLAN\nParkleitsystem"),
    ):
        page.get_by_role("link", name="Frage hinzufügen").click()
        page.get_by_label("Fragenart").select_option(label=kind)
        page.get_by_label("Frage", exact=True).fill(text)
        page.get_by_label(re.compile("Antworten zur Auswahl")).fill(options)
        check_axe(page)
        _fits(page, "survey-question-form")
        page.get_by_role("button", name="Frage speichern").press("Enter")
        expect(page.get_by_text("Die Frage wurde hinzugefügt.")).to_be_visible()
    page.get_by_role("button", name="Nach oben: Welche Angebote nutzen Sie?").click()
    expect(page.locator("ol.sc5-plain-list > li").first).to_contain_text("Welche Angebote nutzen Sie?")
    check_axe(page)
    _fits(page, "survey-staff")
    page.get_by_role("link", name="Vorschau").click()
    expect(page.get_by_role("radio", name="Fahrrad")).to_be_visible()
    check_axe(page)
