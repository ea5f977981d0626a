"""Voting codes in the browser: an editor orders codes and sees the batches with their counts; a resident without
an account votes with the code from a letter, is told clearly about a typing error and about a used code. Every
page passes axe and fits a phone's width."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from participation.models import Ballot
from tests import factories
from tests.helpers import browser_login
from tests.participation.test_voting_codes import order, vote  # noqa: F401 - the fixture

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


def test_an_editor_orders_codes_and_a_resident_votes_with_one(site, page, town_a, vote):  # noqa: F811
    process, ideas = vote
    _batch, plain = order(process, town_a, count=1200)
    editor = factories.staff_member(municipality=town_a, role="editor", email="codes@arnsberg.example")
    browser_login(page, site, editor)
    page.goto(f"{site}/arnsberg/verwaltung/beteiligung/{process.slug}/")
    page.get_by_role("link", name="Abstimmungscodes").click()
    page.wait_for_url(re.compile(r"/codes/$"))
    page.get_by_label("Anzahl der Codes").fill("5.001")
    page.get_by_role("button", name="Codes und Briefe erstellen").click()
    expect(page).to_have_title(re.compile("^Fehler: "))
    page.get_by_label("Anzahl der Codes").fill("12")
    page.get_by_role("button", name="Codes und Briefe erstellen").click()
    expect(page.get_by_text("Die Codes werden erstellt.")).to_be_visible()
    table = page.get_by_role("table", name="Erstellte Codes")
    expect(table.get_by_role("cell", name="12", exact=True)).to_be_visible()
    expect(table.get_by_role("cell", name="1.200", exact=True)).to_be_visible()
    check_axe(page)
    _fits(page, "voting-codes-staff")

    page.context.clear_cookies()
    page.goto(f"{site}/arnsberg/beteiligung/{process.slug}/")
    page.get_by_role("link", name="Jetzt abstimmen").click()
    page.wait_for_url(re.compile(r"/abstimmung/code/$"))
    typo = plain[0][:-1] + ("A" if plain[0][-1] != "A" else "B")
    page.get_by_label("Ihr Code aus dem Brief").fill(typo)
    page.get_by_label(ideas[0].title).check()
    page.get_by_role("button", name="Meine Stimmen senden").click()
    expect(page.locator(".kern-error").filter(has_text="Tippfehler").first).to_be_visible()
    check_axe(page)
    _fits(page, "voting-code-entry")
    page.get_by_label("Ihr Code aus dem Brief").fill(plain[0].lower())
    page.get_by_role("button", name="Meine Stimmen senden").click()
    expect(page.get_by_text("Vielen Dank! Ihre Stimmen wurden gespeichert.")).to_be_visible()
    assert Ballot.objects.with_scopes_disabled().filter(process=process, user=None).count() == 1
