"""The funding demo: one plausible grant per town, within the limits of the services, and idempotent."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from funding import selectors
from funding.models import (
    BudgetLine,
    DisbursementRequest,
    FundingEvent,
    Grant,
    Milestone,
    ProofOfUse,
    Spending,
)
from municipalities.models import Municipality
from municipalities.scoping import scopes_disabled, town_scope

pytestmark = pytest.mark.django_db

MODELS = (Grant, BudgetLine, Spending, DisbursementRequest, Milestone, ProofOfUse, FundingEvent)


def _counts() -> tuple[int, ...]:
    with scopes_disabled():
        return tuple(model.objects.count() for model in MODELS)


def test_the_funding_demo_gives_each_town_a_grant_within_the_limits(demo, capsys):
    """On the demo loaded once per run (tests/conftest.py); loading it again on top creates nothing new."""
    towns = list(Municipality.objects.order_by("slug"))
    assert len(towns) == 5
    for town in towns:
        with town_scope(town):
            grants = list(Grant.objects.all())
            assert len(grants) == 1, town.slug
            grant = grants[0]
            assert 0 < grant.federal_share <= grant.eligible_costs
            counts = selectors.milestone_counts(
                Milestone.objects.filter(grant=grant), today=timezone.localdate()
            )
            assert counts["overdue"] >= 1 and counts["at_risk"] >= 1, (town.slug, counts)
            figures = selectors.grant_figures(grant)
            assert 0 < figures.called <= grant.federal_share
            for year in figures.years:
                assert year.called <= year.planned_federal, (town.slug, year.year)
            assert figures.spent > 0 and figures.paid > 0
            statuses = set(DisbursementRequest.objects.filter(grant=grant).values_list("status", flat=True))
            assert statuses == set(DisbursementRequest.Status.values), town.slug
    with scopes_disabled():
        assert Grant.objects.filter(recipient=Grant.Recipient.CONSORTIUM).get().municipality.is_lead

    counts = _counts()
    call_command("load_demo", quiet_accounts=True)
    assert _counts() == counts
    assert capsys.readouterr().err == ""
