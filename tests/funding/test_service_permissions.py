"""The funding services decide who may change a grant's rows (``funding.services.grant_for_change``: the town's
editors; moderators read only) and who submits to the funder (``grant_for_submission``: the town's admins), whoever
calls them."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Role
from funding import services
from funding.models import Spending
from municipalities.scoping import town_scope
from tests import factories

pytestmark = pytest.mark.django_db

PAST = datetime.date(2025, 3, 1)


def _spend(grant, by):
    return services.spending_record(
        grant=grant,
        by=by,
        fields={
            "spent_on": PAST,
            "cost_type": "material",
            "amount": Decimal("100.00"),
            "description": "Sensoren",
        },
    )


def test_only_the_towns_editors_change_a_grants_rows(town_a, town_b, staff_factory, moderator):
    grant = factories.grant(municipality=town_a)
    for person in (staff_factory(town_a, Role.VIEWER), staff_factory(town_b, Role.ADMIN), moderator):
        with town_scope(town_a), pytest.raises(PermissionDenied):
            _spend(grant, person)
        with town_scope(town_a), pytest.raises(PermissionDenied):
            services.milestone_save(grant=grant, by=person, fields={"title": "Start", "due_on": PAST})
    assert not Spending._base_manager.exists()
    with town_scope(town_a):
        item = _spend(grant, staff_factory(town_a, Role.EDITOR))
    with town_scope(town_a), pytest.raises(PermissionDenied):
        services.spending_delete(item=item, by=moderator)
    assert Spending._base_manager.count() == 1


def test_only_admins_may_submit_to_the_funder(town_a, staff_factory):
    grant = factories.grant(municipality=town_a)
    factories.budget_line(grant=grant, year=2025, amount="10000.00")
    with town_scope(town_a):
        request = services.disbursement_prepare(
            grant=grant, by=None, fields={"year": 2025, "amount": Decimal("50")}
        )
        proof = services.proof_save(grant=grant, by=None, fields={"kind": "final", "due_on": PAST})
        editor, admin = staff_factory(town_a, Role.EDITOR), staff_factory(town_a, Role.ADMIN)
        with pytest.raises(PermissionDenied):
            services.disbursement_for_submission(item=request, by=editor)
        with pytest.raises(PermissionDenied):
            services.proof_for_submission(proof=proof, by=editor)
        assert services.disbursement_for_submission(item=request, by=admin) == request
        assert services.proof_for_submission(proof=proof, by=admin) == proof
        # The submitting services themselves refuse an editor, whoever calls them (page, API, command).
        with pytest.raises(PermissionDenied):
            services.disbursement_submit(item=request, by=editor, submitted_on=PAST)
        with pytest.raises(PermissionDenied):
            services.proof_submit(
                proof=proof, by=editor, submitted_on=PAST, document=factories.evidence_pdf()
            )
        request.refresh_from_db()
        proof.refresh_from_db()
        assert (request.status, proof.submitted_on) == ("draft", None)
        assert services.disbursement_submit(item=request, by=admin, submitted_on=PAST).status == "submitted"
