"""The budget's proposals in the lists, in the browser (issue 18, branch ``polish18``): the process page's cards
with cost and verdict and the list of feasible proposals, a budget's vote by code with the running total, the
staff's idea table with cost and check, and the staff survey page's link to the voting codes. Every page passes
axe and fits a phone's width without scrolling sideways."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from municipalities.scoping import town_scope
from participation.models import Feasibility, Process
from participation.services import budget as budget_services
from participation.services import processes as processes_services
from surveys import services as survey_services
from tests import factories, helpers
from tests.helpers import browser_login
from tests.participation.test_voting_codes import order

from .conftest import check_axe
from .test_budget_journey import _fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = datetime.timedelta(days=1)


@pytest.fixture
def budget(town_a):
    process = factories.process(
        municipality=town_a,
        title="Bürgerhaushalt Arnsberg",
        vote_mode="budget",
        budget_cap=Decimal("100000"),
        vote_by_codes=True,
    )
    with town_scope(town_a):
        for title, estimate, cost, verdict in (
            ("Spielplatz am Goetheplatz erneuern", 45000, 60000, Feasibility.FEASIBLE),
            ("Mitfahrbänke in den Dörfern", 8000, 8000, Feasibility.FEASIBLE),
            ("Brücke über die Ruhr", 90000, None, Feasibility.NOT_FEASIBLE),
            ("Trinkbrunnen am Neumarkt", 12500, None, None),
        ):
            idea = factories.idea(process=process, title=title, estimated_cost=Decimal(estimate))
            if verdict:
                budget_services.idea_assess(
                    idea=idea,
                    by=None,
                    acting_town=town_a,
                    cost_estimate=Decimal(cost) if cost else None,
                    feasibility=verdict,
                    reason="Vom Fachamt geprüft.",
                )
        today = helpers.today()
        processes_services.process_change(
            process=Process.objects.get(pk=process.pk),
            by=None,
            acting_town=town_a,
            fields={},
            phases=[
                {"kind": "ideas", "starts_on": today - 30 * DAY, "ends_on": today - 11 * DAY},
                {"kind": "evaluation", "starts_on": today - 10 * DAY, "ends_on": today - DAY},
                {"kind": "vote", "starts_on": today, "ends_on": today + 10 * DAY},
            ],
        )
    return Process.objects.with_scopes_disabled().get(pk=process.pk)


def test_a_budgets_lists_show_costs_verdicts_and_feasible_proposals(site, page, town_a, budget):
    page.goto(f"{site}/arnsberg/beteiligung/{budget.slug}/")
    expect(page.get_by_role("heading", name="Umsetzbare Vorschläge für die Abstimmung")).to_be_visible()
    card = page.locator(".sc5-card").filter(has_text="Spielplatz am Goetheplatz erneuern")
    expect(card).to_contain_text("Kosten (von der Stadt geprüft)")
    expect(card).to_contain_text("60.000 €")
    expect(card.locator(".kern-badge--success")).to_have_text("Umsetzbar")
    pending = page.locator(".sc5-card").filter(has_text="Trinkbrunnen am Neumarkt")
    expect(pending).to_contain_text("Geschätzte Kosten (laut Vorschlag)")
    check_axe(page)
    _fits(page, "budget-process-cards")

    _batch, plain = order(budget, town_a, count=1)
    page.get_by_role("link", name="Jetzt abstimmen").click()
    page.wait_for_url(re.compile(r"/abstimmung/code/$"))
    expect(page.get_by_role("group", name="Umsetzbare Vorschläge")).to_be_visible()
    page.get_by_role("checkbox", name="Spielplatz am Goetheplatz erneuern").check()
    expect(page.locator("dd[data-sc5-budget-left]")).to_have_text(re.compile(r"40\.000"))
    check_axe(page)
    _fits(page, "budget-vote-code")
    page.get_by_label("Ihr Code aus dem Brief").fill(plain[0])
    page.get_by_role("button", name="Meine Auswahl senden").click()
    expect(page.get_by_text("Vielen Dank!", exact=False)).to_be_visible()

    editor = factories.staff_member(municipality=town_a, role="editor", email="haushalt@arnsberg.example")
    browser_login(page, site, editor)
    page.goto(f"{site}/arnsberg/verwaltung/beteiligung/{budget.slug}/")
    table = page.get_by_role("table", name="Ideen")
    expect(table.get_by_role("columnheader", name="Kosten")).to_be_visible()
    expect(table.get_by_role("row").filter(has_text="Brücke über die Ruhr")).to_contain_text(
        "Nicht umsetzbar"
    )
    check_axe(page)
    _fits(page, "budget-staff-table")


def test_the_staff_survey_page_leads_to_the_voting_codes(site, page, town_a):
    process = factories.process(municipality=town_a, title="Umfrage per Code")
    with town_scope(town_a):
        survey_services.survey_create(
            process=process,
            by=None,
            fields={"title": "Ihre Meinung", "audience": "codes", "is_anonymous": True},
        )
    editor = factories.staff_member(municipality=town_a, role="editor", email="umfrage@arnsberg.example")
    browser_login(page, site, editor)
    page.goto(f"{site}/arnsberg/verwaltung/beteiligung/{process.slug}/umfrage/")
    expect(page.get_by_text("Nur Personen mit einem Abstimmungscode", exact=False)).to_be_visible()
    check_axe(page)
    _fits(page, "survey-staff-codes-link")
    page.get_by_role("link", name="Abstimmungscodes für diese Umfrage").click()
    page.wait_for_url(re.compile(r"/codes/$"))
