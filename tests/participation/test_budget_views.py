"""The participatory budget's pages through the test client: proposals with costs, the town's check, the ballot
with its running total (also without JavaScript), paper ballots, results with CSV, a winner's project; bad input
is a 400, never a 500."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role
from municipalities.scoping import town_scope
from participation.models import Ballot, Feasibility, Idea, Process
from participation.services import budget as budget_services
from participation.services import processes as processes_services
from tests import factories, helpers

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _url(name, municipality, **kwargs):
    return reverse(f"participation:{name}", kwargs={"town_slug": municipality.slug, **kwargs})


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def budget(arnsberg):
    return factories.process(municipality=arnsberg, vote_mode="budget", budget_cap=Decimal("100000"))


@pytest.fixture
def proposals(budget, arnsberg):
    made = []
    with town_scope(arnsberg):
        for title, cost in (("Spielplatz", 60000), ("Radweg", 50000), ("Bänke", 30000)):
            idea = factories.idea(process=budget, title=title)
            made.append(
                budget_services.idea_assess(
                    idea=idea,
                    by=None,
                    acting_town=arnsberg,
                    cost_estimate=Decimal(cost),
                    feasibility=Feasibility.FEASIBLE,
                    reason="Geprüft vom Bauamt.",
                )
            )
    return made


def _phases(process, arnsberg, vote_start, vote_end):
    with town_scope(arnsberg):
        processes_services.process_change(
            process=Process.objects.get(pk=process.pk),
            by=None,
            acting_town=arnsberg,
            fields={},
            phases=[{"kind": "vote", "starts_on": vote_start, "ends_on": vote_end}],
        )


def test_a_citizen_proposes_with_an_estimated_cost_read_in_german(client, budget, arnsberg, citizen):
    client.force_login(citizen)
    url = _url("idea-create", arnsberg, slug=budget.slug)
    assert "estimated_cost" in client.get(url).content.decode()
    data = {"title": "Trinkbrunnen", "body": "Am Neumarkt.", "consent": "on"}
    for bad in ("viel", "1,500", "-5"):
        assert client.post(url, {**data, "estimated_cost": bad}).status_code == 400, bad
    assert client.post(url, {**data, "estimated_cost": "12.500 €"}).status_code == 302
    with town_scope(arnsberg):
        idea = Idea.objects.get(title="Trinkbrunnen")
    assert idea.estimated_cost == Decimal("12500")
    page = _text(client.get(idea.get_absolute_url()))
    assert "12.500 €" in page or "12,500 €" in page


def test_the_ballot_shows_its_total_without_javascript_and_refuses_going_over(
    client, budget, proposals, arnsberg, citizen
):
    playground, cycle_path, benches = proposals
    _phases(budget, arnsberg, helpers.today(), helpers.today() + DAY)
    client.force_login(citizen)
    url = _url("vote", arnsberg, slug=budget.slug)
    page = _text(client.get(url))
    assert "budget-ballot.js" in page and "data-cost=" in page
    both = {f"idea_{playground.pk}": "on", f"idea_{cycle_path.pk}": "on"}
    recalculated = client.post(url, {**both, "recalculate": "1"})
    assert recalculated.status_code == 200
    text = _text(recalculated)
    assert "110.000 €" in text or "110,000 €" in text
    assert "10.000 €" in text or "10,000 €" in text  # over by
    with town_scope(arnsberg):
        assert not Ballot.objects.exists()
    over = client.post(url, both)
    with town_scope(arnsberg):
        assert over.status_code == 400 and not Ballot.objects.exists()
    assert "checked" in over.content.decode()  # nothing the person ticked is lost
    assert client.post(url, {f"idea_{playground.pk}": "on", f"idea_{benches.pk}": "on"}).status_code == 302
    again = _text(client.get(url))
    assert "90.000 €" in again or "90,000 €" in again
    for junk in ({"idea_999999": "on"}, {f"idea_{playground.pk}": "x" * 5000}, {"recalculate": ""}):
        assert client.post(url, junk).status_code in (200, 302, 400), junk


def test_staff_check_a_proposal_and_bad_input_is_a_400(client, budget, arnsberg, staff_factory, citizen):
    idea = factories.idea(process=budget, title="Bücherschrank", author=citizen)
    url = _url("staff-idea-assess", arnsberg, pk=idea.pk)
    client.force_login(staff_factory(arnsberg, Role.VIEWER))
    assert client.post(url, {"feasibility": "feasible"}).status_code == 403
    client.force_login(staff_factory(arnsberg, Role.EDITOR))
    assert "feasibility_reason" in client.get(_url("staff-idea", arnsberg, pk=idea.pk)).content.decode()
    for bad in (
        {"feasibility": "vielleicht"},
        {"feasibility": "feasible", "cost_estimate": "1,500", "feasibility_reason": "x"},
        {"feasibility": "feasible", "cost_estimate": "", "feasibility_reason": "x"},
        {"feasibility": "not_feasible", "feasibility_reason": ""},
    ):
        assert client.post(url, bad).status_code == 400, bad
    good = {"feasibility": "feasible", "cost_estimate": "4.800,00", "feasibility_reason": "Passt gut."}
    assert client.post(url, good).status_code == 302
    idea.refresh_from_db()
    assert (idea.feasibility, idea.cost_estimate) == ("feasible", Decimal("4800"))
    public = _text(client.get(idea.get_absolute_url()))
    assert "Passt gut." in public and ("4.800 €" in public or "4,800 €" in public)


def test_paper_ballots_are_entered_by_staff(client, budget, proposals, arnsberg, staff_factory, citizen):
    playground, cycle_path, benches = proposals
    url = _url("staff-paper-ballot", arnsberg, slug=budget.slug)
    client.force_login(citizen)
    assert client.get(url).status_code in (403, 404)
    client.force_login(staff_factory(arnsberg, Role.EDITOR))
    _phases(budget, arnsberg, helpers.today(), helpers.today() + DAY)
    assert client.get(url).status_code == 200
    over = client.post(url, {f"idea_{playground.pk}": "on", f"idea_{cycle_path.pk}": "on"})
    assert over.status_code == 400
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {f"idea_{benches.pk}": "on"}).status_code == 302
    with town_scope(arnsberg):
        ballot = Ballot.objects.get()
    assert ballot.is_paper and ballot.user is None


def test_results_winners_csv_and_a_winners_project(client, budget, proposals, arnsberg, staff_factory):
    playground, cycle_path, benches = proposals
    _phases(budget, arnsberg, helpers.today(), helpers.today() + DAY)
    for choice in ([playground], [playground, benches], [cycle_path]):
        client.force_login(factories.UserFactory())
        client.post(_url("vote", arnsberg, slug=budget.slug), {f"idea_{i.pk}": "on" for i in choice})
    with town_scope(arnsberg):
        assert Ballot.objects.count() == 3
    _phases(budget, arnsberg, helpers.today() - 3 * DAY, helpers.today() - DAY)
    page = _text(client.get(_url("results", arnsberg, slug=budget.slug)))
    assert "Spielplatz" in page and ("100.000 €" in page or "100,000 €" in page)
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(_url("results-csv", arnsberg, slug=budget.slug)).content.decode("utf-8-sig")
            ),
            delimiter=";",
        )
    )
    winners = {row[1]: row[5] for row in rows[1:4]}
    assert (
        winners["Spielplatz"] == winners["Bänke"] != winners["Radweg"]
    )  # 60,000 + 30,000; 50,000 no longer fits
    editor = staff_factory(arnsberg, Role.EDITOR)
    client.force_login(editor)
    staff_page = client.get(_url("staff-idea", arnsberg, pk=playground.pk)).content.decode()
    assert _url("staff-idea-make-project", arnsberg, pk=playground.pk) in staff_page
    response = client.post(_url("staff-idea-make-project", arnsberg, pk=playground.pk))
    assert response.status_code == 302
    playground.refresh_from_db()
    assert playground.project is not None and response.url.endswith(f"/{playground.project.slug}/")
    # A loser cannot become a project through this door; the page says why instead of failing.
    refused = client.post(_url("staff-idea-make-project", arnsberg, pk=cycle_path.pk), follow=True)
    assert refused.status_code == 200
    cycle_path.refresh_from_db()
    assert cycle_path.project is None
    assert client.get(_url("staff-process", arnsberg, slug=budget.slug)).status_code == 200


def test_the_process_form_sets_a_budget(client, arnsberg, staff_factory):
    client.force_login(staff_factory(arnsberg, Role.EDITOR))
    url = _url("staff-process-create", arnsberg)
    page = client.get(url).content.decode()
    assert 'name="vote_mode"' in page and 'name="budget_cap"' in page
    data = {
        "title": "Bürgerhaushalt 2027",
        "summary": "Sie entscheiden mit.",
        "is_published": "on",
        "votes_per_person": "3",
        "votes_per_idea": "1",
        "vote_mode": "budget",
        "phase-TOTAL_FORMS": "0",
        "phase-INITIAL_FORMS": "0",
    }
    assert client.post(url, {**data, "budget_cap": ""}).status_code == 400
    assert client.post(url, {**data, "budget_cap": "abc"}).status_code == 400
    client.post(url, {**data, "budget_cap": "100.000"})
    with town_scope(arnsberg):
        created = Process.objects.filter(title="Bürgerhaushalt 2027").first()
    assert created is not None and created.budget_cap == Decimal("100000") and created.is_budget
