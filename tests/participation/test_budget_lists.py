"""A participatory budget's proposals in the lists (issue 18, branch ``polish18``): the public idea cards and
the staff idea table show a proposal's cost (the town's once checked, otherwise the author's estimate, labelled
whose) and the town's verdict as a badge, in budget processes only."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role
from municipalities.scoping import town_scope
from participation.models import Ballot, Feasibility, Process
from participation.services import budget as budget_services
from participation.services import processes as processes_services
from tests import factories, helpers
from tests.participation.test_voting_codes import order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    settings.PAGE_CACHE_SECONDS = 0


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def budget(arnsberg):
    return factories.process(municipality=arnsberg, vote_mode="budget", budget_cap=Decimal("100000"))


@pytest.fixture
def proposals(budget, arnsberg):
    """A checked feasible one, a checked infeasible one, and one not yet checked with the author's estimate."""
    with town_scope(arnsberg):
        playground = factories.idea(process=budget, title="Spielplatz", estimated_cost=Decimal("40000"))
        budget_services.idea_assess(
            idea=playground,
            by=None,
            acting_town=arnsberg,
            cost_estimate=Decimal("61500"),
            feasibility=Feasibility.FEASIBLE,
            reason="Geprüft vom Bauamt.",
        )
        bridge = factories.idea(process=budget, title="Brücke", estimated_cost=Decimal("9000"))
        budget_services.idea_assess(
            idea=bridge,
            by=None,
            acting_town=arnsberg,
            cost_estimate=None,
            feasibility=Feasibility.NOT_FEASIBLE,
            reason="Nicht in städtischer Hand.",
        )
        benches = factories.idea(process=budget, title="Bänke", estimated_cost=Decimal("7250"))
    return playground, bridge, benches


def _card(page: str, title: str) -> str:
    start = page.index(f">{title}</a></h3>")
    return page[start : page.index("</li>", start)]


@pytest.mark.parametrize("where", ["process", "ideas"])
def test_the_cards_show_cost_and_verdict(client, arnsberg, budget, proposals, where):
    url = (
        reverse("participation:process", kwargs={"town_slug": arnsberg.slug, "slug": budget.slug})
        if where == "process"
        else reverse("participation:ideas", kwargs={"town_slug": arnsberg.slug})
    )
    page = _text(client.get(url))
    playground = _card(page, "Spielplatz")
    assert "Kosten (von der Stadt geprüft)</dt><dd>61.500 €" in playground
    assert "kern-badge--success" in playground and "Umsetzbar" in playground
    assert "40.000" not in playground
    bridge = _card(page, "Brücke")
    # Not feasible without a cost of the town: the author's estimate, said to be theirs.
    assert "Geschätzte Kosten (laut Vorschlag)</dt><dd>9.000 €" in bridge
    assert "kern-badge--danger" in bridge and "Nicht umsetzbar" in bridge
    benches = _card(page, "Bänke")
    assert "Geschätzte Kosten (laut Vorschlag)</dt><dd>7.250 €" in benches
    assert "kern-badge--" not in benches.split("sc5-badges", 1)[1].split("</p>", 1)[0].replace(
        "kern-badge--info", ""
    )  # no verdict badge before the check (only the status)


def test_cards_of_other_processes_show_no_cost(client, arnsberg, process):
    factories.idea(process=process, title="Brunnen", estimated_cost=Decimal("5000"))
    card = _card(
        _text(client.get(reverse("participation:ideas", kwargs={"town_slug": arnsberg.slug}))), "Brunnen"
    )
    assert "Kosten" not in card and "€" not in card


def test_the_card_follows_a_new_check(client, arnsberg, budget, proposals):
    url = reverse("participation:process", kwargs={"town_slug": arnsberg.slug, "slug": budget.slug})
    assert "Geschätzte Kosten (laut Vorschlag)</dt><dd>7.250 €" in _card(_text(client.get(url)), "Bänke")
    with town_scope(arnsberg):
        budget_services.idea_assess(
            idea=proposals[2],
            by=None,
            acting_town=arnsberg,
            cost_estimate=Decimal("8000"),
            feasibility=Feasibility.FEASIBLE,
            reason="Passt.",
        )
    card = _card(_text(client.get(url)), "Bänke")
    assert "Kosten (von der Stadt geprüft)</dt><dd>8.000 €" in card and "Umsetzbar" in card


def test_the_staff_tables_show_cost_and_check(client, arnsberg, budget, proposals, process, staff_factory):
    factories.idea(process=process, title="Brunnen", estimated_cost=Decimal("5000"))
    client.force_login(staff_factory(arnsberg, Role.VIEWER))
    table = _text(
        client.get(
            reverse("participation:staff-process", kwargs={"town_slug": arnsberg.slug, "slug": budget.slug})
        )
    )
    assert '<th scope="col" class="kern-table__header sc5-num">Kosten</th>' in table
    assert "Auswahlliste</th>" not in table  # a budget has no shortlist
    assert '61.500 € <br><span class="kern-body--small">von der Stadt geprüft' in table.replace(
        "€<br>", "€ <br>"
    )
    assert '7.250 € <br><span class="kern-body--small">Schätzung laut Vorschlag' in table.replace(
        "€<br>", "€ <br>"
    )
    assert "Noch nicht geprüft" in table and "Nicht umsetzbar" in table
    town = _text(client.get(reverse("participation:staff-ideas", kwargs={"town_slug": arnsberg.slug})))
    assert "Kosten</th>" in town and "Auswahlliste</th>" in town  # both kinds of process on the page
    row = town[town.index(">Brunnen</a>") :]
    row = row[: row.index("</tr>")]
    assert "5.000" not in row and "–" in row
    plain = _text(
        client.get(
            reverse("participation:staff-process", kwargs={"town_slug": arnsberg.slug, "slug": process.slug})
        )
    )
    assert "Kosten</th>" not in plain and "Auswahlliste</th>" in plain


# --- A budget's ballot list is called what it is (not the shortlist) ----------------------------------------


DAY = datetime.timedelta(days=1)


def _vote_today(process, municipality):
    with town_scope(municipality):
        processes_services.process_change(
            process=Process.objects.get(pk=process.pk),
            by=None,
            acting_town=municipality,
            fields={},
            phases=[
                {"kind": "vote", "starts_on": helpers.today() - DAY, "ends_on": helpers.today() + 10 * DAY}
            ],
        )
        return Process.objects.get(pk=process.pk)


def test_the_process_page_calls_a_budgets_ballot_list_feasible_proposals(client, arnsberg, budget, proposals):
    budget = _vote_today(budget, arnsberg)
    page = _text(client.get(budget.get_absolute_url()))
    assert "Umsetzbare Vorschläge für die Abstimmung" in page and "Auswahlliste" not in page
    section = page[page.index("Umsetzbare Vorschläge für die Abstimmung") :]
    section = section[: section.index("</section>")]
    assert "Spielplatz" in section and "Brücke" not in section and "Bänke" not in section


def test_a_budgets_vote_by_code_offers_the_feasible_proposals_with_their_total(client, arnsberg, proposals):
    playground = proposals[0]
    with town_scope(arnsberg):
        process = Process.objects.get(pk=playground.process_id)
        process.vote_by_codes = True
        process.save(update_fields=["vote_by_codes"])
    process = _vote_today(process, arnsberg)
    _batch, plain = order(process, arnsberg, count=1)
    url = reverse("participation:vote-code", kwargs={"town_slug": arnsberg.slug, "slug": process.slug})
    page = _text(client.get(url))
    assert "Umsetzbare Vorschläge</legend>" in page and "Auswahlliste" not in page
    assert (
        f'name="idea_{playground.pk}"' in page and 'data-cost="61500' in page and "budget-ballot.js" in page
    )
    assert "Die Auswahlliste ist leer" not in page
    recalculated = _text(client.post(url, {f"idea_{playground.pk}": "on", "recalculate": "1"}))
    assert "61.500 €" in recalculated and "38.500 €" in recalculated  # total and what is left
    with town_scope(arnsberg):
        assert not Ballot.objects.exists()
    assert client.post(url, {"code": plain[0], f"idea_{playground.pk}": "on"}).status_code == 302
    with town_scope(arnsberg):
        ballot = Ballot.objects.get()
        assert ballot.user is None and list(ballot.votes.values_list("idea_id", flat=True)) == [playground.pk]
