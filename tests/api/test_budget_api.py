"""The participatory budget through the API: proposals with their costs and the town's check, the check written
by editors (bad input a 400), and the results with the winners within the budget once the vote has ended."""

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role
from municipalities.scoping import town_scope
from participation.models import Ballot, Feasibility, Idea, Process
from participation.services import processes as processes_services
from tests import factories, helpers

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def _url(name, municipality, **kwargs):
    return reverse(f"api:{name}", kwargs={"town_slug": municipality.slug, **kwargs})


def _post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def budget(town_a, catalogue):
    return factories.process(municipality=town_a, vote_mode="budget", budget_cap=Decimal("50000"))


def test_proposals_carry_their_costs_and_editors_check_them(client, town_a, budget, citizen):
    client.force_login(citizen)
    created = _post(
        client,
        _url("process-ideas", town_a, slug=budget.slug),
        {"title": "Bücherschrank", "body": "Am Bahnhof.", "consent": True, "estimated_cost": 3500},
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert Decimal(body["estimated_cost"]) == Decimal("3500") and body["feasibility"] == "pending"
    process = client.get(_url("process", town_a, slug=budget.slug)).json()
    assert process["vote_mode"] == "budget" and Decimal(process["budget_cap"]) == Decimal("50000")
    url = _url("idea-assessment", town_a, pk=body["id"])
    assert _post(client, url, {"feasibility": "feasible"}).status_code == 404  # a citizen: nothing here
    client.force_login(factories.staff_member(municipality=town_a, role=Role.EDITOR))
    for bad in (
        {"feasibility": "maybe"},
        {"feasibility": "feasible", "feasibility_reason": "ok"},  # no cost
        {"feasibility": "feasible", "cost_estimate": "1,500", "feasibility_reason": "ok"},
    ):
        response = _post(client, url, bad)
        assert response.status_code == 400, bad
    response = _post(
        client, url, {"feasibility": "feasible", "cost_estimate": 4200, "feasibility_reason": "Gut."}
    )
    assert response.status_code == 200, response.json()
    assert Decimal(response.json()["cost_estimate"]) == Decimal("4200")
    shown = client.get(_url("idea", town_a, pk=body["id"])).json()
    assert (shown["feasibility"], shown["feasibility_reason"]) == ("feasible", "Gut.")


def test_results_once_the_vote_has_ended(client, town_a, budget):
    url = _url("process-results", town_a, slug=budget.slug)
    assert client.get(url).status_code == 404
    with town_scope(town_a):
        ideas = [
            Idea.objects.create(
                process=budget,
                municipality=town_a,
                title=title,
                body="Vorschlag",
                author=factories.UserFactory(),
                cost_estimate=Decimal(cost),
                feasibility=Feasibility.FEASIBLE,
            )
            for title, cost in (("Bäume", 30000), ("Brunnen", 40000))
        ]
        for index in (0, 0, 1):
            ballot = Ballot.objects.create(process=budget, municipality=town_a, user=factories.UserFactory())
            ballot.votes.create(idea=ideas[index], municipality=town_a)
        processes_services.process_change(
            process=Process.objects.get(pk=budget.pk),
            by=None,
            acting_town=town_a,
            fields={},
            phases=[
                {"kind": "vote", "starts_on": helpers.today() - 3 * DAY, "ends_on": helpers.today() - DAY}
            ],
        )
    body = client.get(url).json()
    assert (body["ballots"], body["votes"]) == (3, 3)
    assert [(i["title"], i["votes"], i["wins"]) for i in body["ideas"]] == [
        ("Bäume", 2, True),
        ("Brunnen", 1, False),
    ]
    assert Decimal(body["spent"]) == Decimal("30000") and body["rule"]
    # Open data: the town's cost and verdict, the votes as a sum per proposal; no ballot, no voter.
    download = client.get(
        reverse("api:town-opendata-json", kwargs={"dataset": "ideas", "town_slug": town_a.slug})
    )
    text = b"".join(download.streaming_content).decode() if download.streaming else download.content.decode()
    items = {item["title"]: item for item in json.loads(text)["items"]}
    assert (items["Bäume"]["cost_estimate"], items["Bäume"]["feasibility"], items["Bäume"]["votes"]) == (
        30000,
        "feasible",
        2,
    )
    assert "ballot" not in text and "voter" not in text
