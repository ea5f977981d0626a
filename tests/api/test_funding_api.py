"""The funding API (read only): rule ``funding.view`` like the staff pages, town scope, derived figures and
milestone states, no files or e-mail addresses, bounded queries."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from funding import services
from municipalities.models import AuditEntry
from municipalities.scoping import scopes_disabled, town_scope
from tests import factories

pytestmark = pytest.mark.django_db

SECTIONS = ("grant", "grant-budget", "grant-disbursements", "grant-milestones", "grant-proofs")


def _url(name, municipality, **kwargs):
    return reverse(f"api:{name}", kwargs={"town_slug": municipality.slug, **kwargs})


@pytest.fixture
def sample_a(town_a):
    return factories.grant_with_rows(town_a)


@pytest.fixture
def sample_b(town_b):
    return factories.grant_with_rows(town_b)


def test_anonymous_is_401(client, town_a, sample_a):
    assert client.get(_url("grants", town_a)).status_code == 401
    for name in SECTIONS:
        assert client.get(_url(name, town_a, pk=sample_a["pk"])).status_code == 401, name


def test_citizen_is_404(client, town_a, citizen, sample_a):
    client.force_login(citizen)
    assert client.get(_url("grants", town_a)).status_code == 404
    assert client.get(_url("grant", town_a, pk=sample_a["pk"])).status_code == 404


def test_viewer_reads_own_town(client, town_a, viewer_a, sample_a):
    client.force_login(viewer_a)
    response = client.get(_url("grants", town_a))
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [sample_a["pk"]]
    for name in SECTIONS:
        response = client.get(_url(name, town_a, pk=sample_a["pk"]))
        assert response.status_code == 200, name
        assert "@example.org" not in response.content.decode(), name


def test_viewer_of_a_does_not_reach_town_b(client, town_a, town_b, viewer_a, sample_b):
    client.force_login(viewer_a)
    # B's grant under A's address: not in A's scope.
    for name in SECTIONS:
        response = client.get(_url(name, town_a, pk=sample_b["pk"]))
        assert response.status_code == 404, name
    # B's own addresses: not the viewer's town.
    assert client.get(_url("grants", town_b)).status_code == 404
    assert client.get(_url("grant", town_b, pk=sample_b["pk"])).status_code == 404


def test_viewer_without_mfa_is_403(client, town_a, sample_a):
    user = factories.staff_member(
        municipality=town_a, role=Role.VIEWER, mfa=False, email="fund-nomfa@example.org"
    )
    client.force_login(user)
    assert client.get(_url("grants", town_a)).status_code == 403
    assert client.get(_url("grant", town_a, pk=sample_a["pk"])).status_code == 403


def test_moderator_reads_and_is_audited(client, town_a, moderator, sample_a):
    client.force_login(moderator)
    assert client.get(_url("grants", town_a)).status_code == 200
    assert client.get(_url("grant-milestones", town_a, pk=sample_a["pk"])).status_code == 200
    with scopes_disabled():
        assert AuditEntry.objects.filter(
            user=moderator, purpose="agentur:town-staff-page", municipality_slugs=[town_a.slug]
        ).exists()


def test_files_are_not_linked(client, town_a, viewer_a, sample_a):
    client.force_login(viewer_a)
    milestone = client.get(_url("grant-milestones", town_a, pk=sample_a["pk"])).json()["results"][0]
    assert milestone["has_evidence"] is True and "evidence" not in milestone
    proof = client.get(_url("grant-proofs", town_a, pk=sample_a["pk"])).json()["results"][0]
    assert proof["has_document"] is True and "document" not in proof
    assert proof["state"] == "submitted"
    assert "/media/" not in str(milestone) + str(proof)


def test_figures_of_a_simple_grant(client, town_a, viewer_a):
    grant = factories.grant(municipality=town_a)  # 1,000,000.00 eligible at 65 % → 650,000.00 federal
    factories.budget_line(grant=grant, year=2025, amount="100000.00")
    with town_scope(town_a):
        services.spending_record(
            grant=grant,
            by=None,
            fields={
                "spent_on": datetime.date(2025, 3, 1),
                "cost_type": "material",
                "amount": Decimal("40000.00"),
                "description": "Sensoren",
            },
        )
        request = services.disbursement_prepare(
            grant=grant, by=None, fields={"year": 2025, "amount": Decimal("52000.00")}
        )
        services.disbursement_submit(item=request, by=None, submitted_on=datetime.date(2025, 4, 1))
        services.disbursement_prepare(
            grant=grant, by=None, fields={"year": 2025, "amount": Decimal("1000.00")}
        )
        due = timezone.localdate() + datetime.timedelta(days=90)
        services.milestone_save(grant=grant, by=None, fields={"title": "Konzept", "due_on": due})
    client.force_login(viewer_a)
    body = client.get(_url("grant", town_a, pk=grant.pk)).json()
    assert body["federal_share"] == "650000.00"
    figures = body["figures"]
    assert figures["planned"] == "100000.00"
    assert figures["spent"] == "40000.00"
    assert figures["called"] == "52000.00"
    assert figures["paid"] == "0.00"
    assert figures["drafts"] == "1000.00"
    assert figures["remaining_federal"] == "598000.00"
    assert figures["absorption"] == "8.0"
    assert figures["milestones"]["open"] == 1 and figures["milestones"]["total"] == 1
    assert figures["next_milestone"]["title"] == "Konzept"
    assert figures["next_deadline"] == {
        "kind": "milestone",
        "id": figures["next_milestone"]["id"],
        "title": "Konzept",
        "due_on": due.isoformat(),
    }
    year_2025 = next(y for y in figures["years"] if y["year"] == 2025)
    assert year_2025["planned_federal"] == "65000.00" and year_2025["absorption"] == "80.0"
    listed = client.get(_url("grants", town_a)).json()["results"][0]
    assert (listed["planned"], listed["spent"], listed["called"], listed["paid"]) == (
        "100000.00",
        "40000.00",
        "52000.00",
        "0.00",
    )
    budget = client.get(_url("grant-budget", town_a, pk=grant.pk)).json()["results"]
    assert [(b["year"], b["amount"]) for b in budget] == [(2025, "100000.00")]
    disbursements = client.get(_url("grant-disbursements", town_a, pk=grant.pk)).json()["results"]
    assert sorted(d["status"] for d in disbursements) == ["draft", "submitted"]


def test_milestone_state_filter(client, town_a, viewer_a, sample_a):
    grant_pk = sample_a["pk"]
    with town_scope(town_a):
        from funding.models import Grant

        grant = Grant.objects.get(pk=grant_pk)
        services.milestone_save(
            grant=grant,
            by=None,
            fields={"title": "Bald", "due_on": timezone.localdate() + datetime.timedelta(days=5)},
        )
    client.force_login(viewer_a)
    url = _url("grant-milestones", town_a, pk=grant_pk)
    rows = client.get(url).json()["results"]
    assert {row["title"]: row["state"] for row in rows} == {"Matrix": "done", "Bald": "at_risk"}
    assert [row["title"] for row in client.get(url, {"state": "done"}).json()["results"]] == ["Matrix"]
    assert [row["title"] for row in client.get(url, {"state": "at_risk"}).json()["results"]] == ["Bald"]
    assert client.get(url, {"state": "overdue"}).json()["results"] == []
    response = client.get(url, {"state": "late"})
    assert response.status_code == 400
    assert "state" in response.json()


def test_queries_are_bounded(client, town_a, viewer_a, django_assert_max_num_queries):
    for _ in range(4):
        factories.grant_with_rows(town_a)
    client.force_login(viewer_a)
    with django_assert_max_num_queries(12):
        assert client.get(_url("grants", town_a)).status_code == 200
    from funding.models import Grant

    with scopes_disabled():
        pk = Grant.objects.filter(municipality=town_a).first().pk
    with django_assert_max_num_queries(16):
        assert client.get(_url("grant", town_a, pk=pk)).status_code == 200
    for name in SECTIONS[1:]:
        with django_assert_max_num_queries(12):
            assert client.get(_url(name, town_a, pk=pk)).status_code == 200, name
