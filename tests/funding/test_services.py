"""Funding services: limits of disbursement requests, workflow, milestones, proofs, history."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funding import selectors, services
from funding.models import BudgetLine, DisbursementRequest, FundingEvent, Grant, Milestone, ProofOfUse
from municipalities.scoping import town_scope
from tests import factories, helpers

pytestmark = pytest.mark.django_db

PAST = datetime.date(2025, 3, 1)


@pytest.fixture
def grant(town_a, admin_a):
    grant = factories.grant(municipality=town_a, by=admin_a)
    factories.budget_line(grant=grant, year=2025, amount="200000.00")  # federal 130.000,00
    factories.budget_line(grant=grant, year=2025, amount="100000.00", cost_type="investment")  # +65.000,00
    factories.budget_line(grant=grant, year=2026, amount="400000.00")  # federal 260.000,00
    with town_scope(town_a):
        yield Grant.objects.get(pk=grant.pk)


def _request(grant, amount, year=2025, by=None):
    return services.disbursement_prepare(grant=grant, by=by, fields={"year": year, "amount": Decimal(amount)})


def test_the_grant_computes_its_shares(grant):
    assert grant.federal_share == Decimal("650000.00")
    assert grant.own_share == Decimal("350000.00")


def test_a_request_within_the_years_plan_is_prepared_as_a_numbered_draft(grant, editor_a):
    first = _request(grant, "100000.00", by=editor_a)
    second = _request(grant, "95000.00")
    assert (first.number, second.number) == (1, 2)
    assert first.status == DisbursementRequest.Status.DRAFT and first.created_by == editor_a


def test_a_request_above_the_years_plan_is_refused_with_the_figures(grant):
    with pytest.raises(ValidationError) as error:
        _request(grant, "195000.01")
    message = error.value.message_dict["amount"][0]
    assert "2025" in message and "195.000,00 €" in message
    assert not DisbursementRequest.objects.exists()


def test_submitted_requests_count_against_the_year_and_drafts_do_not(grant):
    draft = _request(grant, "150000.00")
    _request(grant, "150000.00")  # a second draft is fine: drafts are not with the funder yet
    services.disbursement_submit(item=draft, by=None, submitted_on=PAST)
    other = DisbursementRequest.objects.get(number=2)
    with pytest.raises(ValidationError, match=r"45\.000,00"):
        services.disbursement_submit(item=other, by=None, submitted_on=PAST)
    other.refresh_from_db()
    assert other.status == DisbursementRequest.Status.DRAFT


def test_rejected_requests_free_their_amount_again(grant):
    item = _request(grant, "195000.00")
    services.disbursement_submit(item=item, by=None, submitted_on=PAST)
    services.disbursement_reject(item=item, by=None, rejected_on=PAST, reason="Belege fehlen")
    assert _request(grant, "195000.00").number == 2


def test_the_approved_federal_share_caps_all_years_together(grant):
    factories.budget_line(grant=grant, year=2024, amount="600000.00")  # plan now exceeds the grant
    for year, amount in ((2024, "390000.00"), (2025, "195000.00")):
        services.disbursement_submit(item=_request(grant, amount, year=year), by=None, submitted_on=PAST)
    with pytest.raises(ValidationError) as error:
        _request(grant, "65000.01", year=2026)
    assert "650.000,00 €" in error.value.message_dict["amount"][0]
    _request(grant, "65000.00", year=2026)


def test_the_workflow_allows_only_its_moves(grant):
    item = _request(grant, "1000.00")
    with pytest.raises(ValidationError):
        services.disbursement_mark_paid(item=item, by=None, paid_on=PAST)
    services.disbursement_submit(item=item, by=None, submitted_on=PAST)
    with pytest.raises(ValidationError):
        services.disbursement_change(item=item, by=None, fields={"amount": Decimal("2")})
    with pytest.raises(ValidationError):
        services.disbursement_delete(item=item, by=None)
    with pytest.raises(ValidationError, match="reason"):
        services.disbursement_reject(item=item, by=None, rejected_on=PAST, reason=" ")
    services.disbursement_mark_paid(item=item, by=None, paid_on=PAST)
    item.refresh_from_db()
    assert (item.status, item.paid_on) == ("paid", PAST)
    with pytest.raises(ValidationError):
        services.disbursement_reject(item=item, by=None, rejected_on=PAST, reason="zu spät")


def test_dates_in_the_future_are_refused(grant):
    item = _request(grant, "1000.00")
    with pytest.raises(ValidationError):
        services.disbursement_submit(item=item, by=None, submitted_on=helpers.today() + datetime.timedelta(1))


def test_the_database_refuses_a_paid_request_without_a_date(grant):
    item = _request(grant, "1000.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        DisbursementRequest.objects.filter(pk=item.pk).update(status="paid", submitted_on=PAST)


def test_a_plan_cannot_shrink_below_what_was_requested_for_the_year(grant):
    services.disbursement_submit(item=_request(grant, "150000.00"), by=None, submitted_on=PAST)
    line = BudgetLine.objects.get(year=2025, cost_type="personnel")
    with pytest.raises(ValidationError, match="2025"):
        services.budget_line_save(grant=grant, by=None, fields={"amount": Decimal("10000.00")}, line=line)
    with pytest.raises(ValidationError):
        services.budget_line_delete(line=BudgetLine.objects.get(pk=line.pk), by=None)
    assert BudgetLine.objects.get(pk=line.pk).amount == Decimal("200000.00")


def test_the_eligible_costs_cannot_drop_below_what_was_requested(grant):
    services.disbursement_submit(item=_request(grant, "150000.00"), by=None, submitted_on=PAST)
    with pytest.raises(ValidationError, match=r"150\.000,00"):
        services.grant_change(
            grant=grant, by=None, fields={"eligible_costs": Decimal("200000.00")}, reason="Änderungsbescheid"
        )


def test_a_budget_line_outside_the_period_or_twice_is_refused(grant):
    with pytest.raises(ValidationError) as error:
        factories.budget_line(grant=grant, year=2030, amount="1")
    assert "year" in error.value.message_dict
    with pytest.raises(ValidationError, match="bereits"):
        factories.budget_line(grant=grant, year=2025, amount="1")


def test_spending_outside_the_period_is_refused(grant):
    with pytest.raises(ValidationError) as error:
        services.spending_record(
            grant=grant,
            by=None,
            fields={
                "spent_on": datetime.date(2023, 12, 31),
                "cost_type": "material",
                "amount": Decimal("10.00"),
                "description": "Zu früh",
            },
        )
    assert "spent_on" in error.value.message_dict


def test_projects_of_other_towns_cannot_be_charged(grant, town_b):
    foreign = factories.project(municipality=town_b)
    with pytest.raises(ValidationError) as error:
        services.spending_record(
            grant=grant,
            by=None,
            fields={
                "spent_on": PAST,
                "cost_type": "material",
                "amount": Decimal("10.00"),
                "description": "x",
                "project": foreign,
            },
        )
    assert "project" in error.value.message_dict


def test_every_change_is_in_the_history_with_old_and_new_values(grant, editor_a, admin_a):
    item = _request(grant, "1000.00", by=editor_a)
    services.disbursement_change(item=item, by=editor_a, fields={"amount": Decimal("1500.50"), "year": 2025})
    # Submitting to the funder is the town's admins' (the service checks it, tests/funding/test_service_permissions.py).
    services.disbursement_submit(item=item, by=admin_a, submitted_on=PAST)
    events = list(FundingEvent.objects.filter(entity="disbursement").order_by("at", "pk"))
    assert [e.kind for e in events] == ["created", "changed", "status"]
    assert events[1].changes == {"amount": ["1000.00", "1500.50"]}
    assert events[2].changes["status"] == ["Entwurf", "Eingereicht"]
    assert [e.actor for e in events] == [editor_a, editor_a, admin_a]
    grant_created = FundingEvent.objects.get(entity="grant", kind="created")
    assert grant_created.changes["federal_share"] == ["", "650000.00"]


def test_a_milestone_is_done_only_with_date_and_evidence(grant, editor_a):
    milestone = services.milestone_save(
        grant=grant,
        by=editor_a,
        fields={"title": "LoRaWAN-Netz in Betrieb", "phase": "B", "due_on": datetime.date(2026, 6, 30)},
    )
    with pytest.raises(ValidationError):
        services.milestone_mark_done(milestone=milestone, by=editor_a, done_on=PAST, evidence=None)
    services.milestone_mark_done(
        milestone=milestone, by=editor_a, done_on=PAST, evidence=factories.evidence_pdf()
    )
    milestone.refresh_from_db()
    assert milestone.status == "done" and milestone.evidence.name.endswith(".pdf")
    assert "nachweis" not in milestone.evidence.name  # stored under a random name
    with pytest.raises(ValidationError):
        services.milestone_delete(milestone=milestone, by=editor_a)
    services.milestone_reopen(milestone=milestone, by=editor_a, reason="Nachweis unvollständig")
    milestone.refresh_from_db()
    assert milestone.status == "open" and milestone.done_on is None
    event = FundingEvent.objects.filter(entity="milestone").first()
    assert event.reason == "Nachweis unvollständig" and event.changes["status"] == ["Erledigt", "Offen"]


def test_the_database_refuses_a_done_milestone_without_evidence(grant):
    milestone = services.milestone_save(grant=grant, by=None, fields={"title": "M", "due_on": PAST})
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.filter(pk=milestone.pk).update(status="done", done_on=PAST)


def test_milestone_states_in_sql_match_the_model(grant):
    today = datetime.date(2026, 5, 1)
    dues = {
        "overdue": today - datetime.timedelta(1),
        "today": today,
        "at_risk": today + datetime.timedelta(30),
        "open": today + datetime.timedelta(31),
    }
    for title, due in dues.items():
        services.milestone_save(grant=grant, by=None, fields={"title": title, "due_on": due})
    waived = services.milestone_save(grant=grant, by=None, fields={"title": "waived", "due_on": PAST})
    services.milestone_waive(milestone=waived, by=None, reason="Förderer verzichtet")
    rows = {m.title: m.state for m in selectors.milestone_timeline(grant, today=today)}
    assert rows == {
        "overdue": "overdue",
        "today": "at_risk",
        "at_risk": "at_risk",
        "open": "open",
        "waived": "waived",
    }
    assert all(m.state(today) == rows[m.title] for m in Milestone.objects.all())
    counts = selectors.milestone_counts(Milestone.objects.all(), today=today)
    assert (counts["overdue"], counts["at_risk"], counts["open"], counts["waived"], counts["total"]) == (
        1,
        2,
        1,
        1,
        5,
    )


def test_only_the_grants_own_projects_can_be_linked(grant, town_a, town_b):
    own, foreign = factories.project(municipality=town_a), factories.project(municipality=town_b)
    milestone = services.milestone_save(
        grant=grant, by=None, fields={"title": "M", "due_on": PAST}, projects=[own]
    )
    assert list(milestone.projects.all()) == [own]
    with pytest.raises(ValidationError):
        services.milestone_save(grant=grant, by=None, fields={}, projects=[foreign], milestone=milestone)


def test_proofs_are_submitted_then_accepted(grant, admin_a):
    proof = services.proof_save(
        grant=grant,
        by=admin_a,
        fields={"kind": "interim", "year": 2025, "due_on": datetime.date(2026, 6, 30)},
    )
    assert str(proof) == "Zwischennachweis 2025"
    with pytest.raises(ValidationError):
        services.proof_accept(proof=proof, by=admin_a, accepted_on=PAST)
    services.proof_submit(proof=proof, by=admin_a, submitted_on=PAST, document=factories.evidence_pdf())
    with pytest.raises(ValidationError):
        services.proof_delete(proof=proof, by=admin_a)
    services.proof_accept(proof=proof, by=admin_a, accepted_on=PAST)
    proof.refresh_from_db()
    assert proof.state() == "accepted" and proof.submitted_by == admin_a
    with pytest.raises(ValidationError, match="bereits"):
        services.proof_save(grant=grant, by=admin_a, fields={"kind": "interim", "year": 2025, "due_on": PAST})
    assert ProofOfUse.objects.count() == 1


def test_figures_per_year_are_summed_in_a_bounded_number_of_queries(grant, django_assert_max_num_queries):
    for amount in ("1000.00", "2000.00"):
        services.spending_record(
            grant=grant,
            by=None,
            fields={"spent_on": PAST, "cost_type": "material", "amount": Decimal(amount), "description": "x"},
        )
    paid = _request(grant, "5000.00")
    services.disbursement_submit(item=paid, by=None, submitted_on=PAST)
    services.disbursement_mark_paid(item=paid, by=None, paid_on=PAST)
    services.disbursement_submit(item=_request(grant, "700.00"), by=None, submitted_on=PAST)
    _request(grant, "300.00")
    with django_assert_max_num_queries(6):
        figures = selectors.grant_figures(grant, today=PAST)
    year = {y.year: y for y in figures.years}[2025]
    assert (year.planned, year.planned_federal, year.spent) == (
        Decimal("300000.00"),
        Decimal("195000.00"),
        Decimal("3000.00"),
    )
    assert (year.called, year.paid, year.drafts) == (
        Decimal("5700.00"),
        Decimal("5000.00"),
        Decimal("300.00"),
    )
    assert year.absorption == Decimal("2.9")
    assert figures.remaining_federal == Decimal("644300.00")
    assert [y.year for y in figures.years] == [2024, 2025, 2026]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.integers(min_value=1, max_value=80_000_00), min_size=1, max_size=8))
def test_no_sequence_of_requests_ever_exceeds_the_limits(grant, amounts):
    """Property: whatever is requested, what is filed never exceeds the year's plan or the grant."""
    with transaction.atomic():
        for cents in amounts:
            try:
                item = _request(grant, Decimal(cents) / 100)
                services.disbursement_submit(item=item, by=None, submitted_on=PAST)
            except ValidationError:
                pass
        called = selectors.amount_total(
            DisbursementRequest.objects.filter(status__in=DisbursementRequest.CALLED)
        )
        assert called <= Decimal("195000.00")
        transaction.set_rollback(True)
