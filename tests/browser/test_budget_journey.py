"""A citizen votes in a participatory budget (Bürgerhaushalt): ticks proposals and sees the running total and what
is left (live with the page's script, and through "Summe berechnen" without it), is refused above the budget with
the choice kept, saves a choice within it, and later reads the winners; every page passes axe and fits a phone's
width without scrolling sideways."""

import datetime
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from playwright.sync_api import expect

from municipalities.scoping import town_scope
from participation.models import Ballot, Feasibility, Process
from participation.selectors import ballots as ballots_selectors
from participation.services import budget as budget_services
from participation.services import processes as processes_services
from tests import factories, helpers
from tests.helpers import browser_login

from .conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Set SC5_SCREENSHOTS to a folder to keep the pages as PNGs (1280 and 390 px wide).
SHOTS = os.environ.get("SC5_SCREENSHOTS")
DAY = datetime.timedelta(days=1)


def _fits(page, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"{name} at {width} px"
        )
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _phases(process, municipality, start, end):
    with town_scope(municipality):
        processes_services.process_change(
            process=Process.objects.get(pk=process.pk),
            by=None,
            acting_town=municipality,
            fields={},
            phases=[
                {"kind": "ideas", "starts_on": start - 30 * DAY, "ends_on": start - 11 * DAY},
                {"kind": "evaluation", "starts_on": start - 10 * DAY, "ends_on": start - DAY},
                {"kind": "vote", "starts_on": start, "ends_on": end},
            ],
        )


@pytest.fixture
def budget(town_a):
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        process = factories.process(
            municipality=town_a,
            title="Bürgerhaushalt Arnsberg",
            vote_mode="budget",
            budget_cap=Decimal("100000"),
        )
        with town_scope(town_a):
            for title, cost in (
                ("Spielplatz am Goetheplatz erneuern", 60000),
                ("Mitfahrbänke in den Dörfern", 8000),
                ("Radweg zur Schule", 50000),
            ):
                idea = factories.idea(process=process, title=title, estimated_cost=Decimal(cost))
                budget_services.idea_assess(
                    idea=idea,
                    by=None,
                    acting_town=town_a,
                    cost_estimate=Decimal(cost),
                    feasibility=Feasibility.FEASIBLE,
                    reason="Vom Fachamt geprüft.",
                )
        _phases(process, town_a, helpers.today(), helpers.today() + 10 * DAY)
    return process


def test_a_citizen_chooses_proposals_within_the_budget(site, page, town_a, budget):
    citizen = factories.UserFactory(email="mara@example.org", display_name="Mara")
    browser_login(page, site, citizen)
    page.goto(f"{site}/arnsberg/beteiligung/{budget.slug}/")
    page.get_by_role("link", name="Jetzt abstimmen").click()
    page.wait_for_url(re.compile(r"/abstimmung/$"))
    check_axe(page)
    _fits(page, "budget-vote")
    total = page.locator("[data-sc5-budget-sum]")
    expect(page.get_by_role("button", name="Summe berechnen")).to_be_hidden()  # the script keeps the total

    page.get_by_role("checkbox", name="Spielplatz am Goetheplatz erneuern").check()
    expect(total.locator("dd[data-sc5-budget-total]")).to_have_text(re.compile(r"60\.000"))
    expect(total.locator("dd[data-sc5-budget-left]")).to_have_text(re.compile(r"40\.000"))
    page.get_by_role("checkbox", name="Radweg zur Schule").check()
    expect(total.get_by_text("Ihre Auswahl kostet mehr als das Budget.")).to_be_visible()
    expect(total.locator("dd[data-sc5-budget-over]")).to_have_text(re.compile(r"10\.000"))
    check_axe(page)
    _fits(page, "budget-vote-over")

    page.get_by_role("button", name="Meine Auswahl speichern").click()  # refused by the server too
    expect(page.get_by_role("listitem").filter(has_text="10.000 € mehr als das Budget")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Radweg zur Schule")).to_be_checked()  # nothing lost
    assert not Ballot.objects.with_scopes_disabled().exists()

    page.get_by_role("checkbox", name="Radweg zur Schule").uncheck()
    page.get_by_role("checkbox", name="Mitfahrbänke in den Dörfern").press("Space")
    expect(total.locator("dd[data-sc5-budget-total]")).to_have_text(re.compile(r"68\.000"))
    page.get_by_role("button", name="Meine Auswahl speichern").click()
    expect(page.get_by_text("Ihre Stimmen wurden gespeichert", exact=False)).to_be_visible()
    with town_scope(town_a):
        assert len(ballots_selectors.ballot_votes(process=budget, user=citizen)) == 2

    _phases(budget, town_a, helpers.today() - 10 * DAY, helpers.today() - DAY)
    page.goto(f"{site}/arnsberg/beteiligung/{budget.slug}/ergebnis/")
    expect(page.get_by_role("table")).to_contain_text("Gewinnt")
    expect(page.get_by_text("der günstigere Vorschlag zuerst", exact=False)).to_be_visible()
    check_axe(page)
    _fits(page, "budget-results")


def test_the_total_is_worked_out_without_javascript(site, browser, town_a, budget):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        browser_login(page, site, factories.UserFactory(email="ole@example.org"))
        page.goto(f"{site}/arnsberg/beteiligung/{budget.slug}/abstimmung/")
        page.get_by_role("checkbox", name="Spielplatz am Goetheplatz erneuern").check()
        page.get_by_role("checkbox", name="Mitfahrbänke in den Dörfern").check()
        page.get_by_role("button", name="Summe berechnen").click()
        total = page.locator("[data-sc5-budget-sum]")
        expect(total.locator("dd[data-sc5-budget-total]")).to_have_text(re.compile(r"68\.000"))
        expect(total.locator("dd[data-sc5-budget-left]")).to_have_text(re.compile(r"32\.000"))
        expect(page.get_by_role("checkbox", name="Mitfahrbänke in den Dörfern")).to_be_checked()
        assert not Ballot.objects.with_scopes_disabled().exists()  # nothing saved by calculating
    finally:
        context.close()


def test_the_running_total_writes_euros_as_the_server_does_in_english_too(site, page, town_a, budget):
    """The script's total reads like the server's amounts in the page's language ("60,000 €" in English, never
    the currency style's "€60,000" beside the server's "100,000 €")."""
    browser_login(page, site, factories.UserFactory(email="eve@example.org"))
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": site}])
    page.goto(f"{site}/arnsberg/beteiligung/{budget.slug}/abstimmung/")
    total = page.locator("[data-sc5-budget-sum]")
    expect(total.locator("dd[data-sc5-budget-total]")).to_have_text("0 €")
    page.get_by_role("checkbox", name="Spielplatz am Goetheplatz erneuern").check()
    expect(total.locator("dd[data-sc5-budget-total]")).to_have_text("60,000 €")
    expect(total.locator("dd[data-sc5-budget-left]")).to_have_text("40,000 €")
    page.goto(f"{site}/arnsberg/beteiligung/{budget.slug}/abstimmung/")
    page.context.add_cookies([{"name": "django_language", "value": "de", "url": site}])
    page.reload()
    page.get_by_role("checkbox", name="Spielplatz am Goetheplatz erneuern").check()
    expect(total.locator("dd[data-sc5-budget-total]")).to_have_text("60.000 €")
