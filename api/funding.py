"""Funding through the API (read only): grants with their figures, budget plan, disbursement requests,
milestones and proofs of use — what the staff pages under /<town>/verwaltung/foerderung/ show, under their rule
``funding.view`` (the town's staff with a second factor, and Agentur moderators, who are audited).

Amounts are decimal strings (euros, two places); figures are those of ``funding.selectors.grant_figures``.
Uploaded files (milestone evidence, proof documents) are not linked, only whether there is one; people appear
by display name only."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers as s
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from funding import selectors
from funding.models import BudgetLine, DisbursementRequest, Grant, Milestone, ProofOfUse

from .base import TownScopedAPIView
from .schema import detail_schema, list_schema

VIEW = "funding.view"
AMOUNT: dict[str, Any] = {"max_digits": 14, "decimal_places": 2, "read_only": True}
PERCENT: dict[str, Any] = {"max_digits": 6, "decimal_places": 1, "read_only": True, "allow_null": True}


def _grant(pk: int) -> Grant:
    try:
        return selectors.grant_get(pk=pk)
    except Grant.DoesNotExist:
        raise NotFound(_("No such grant.")) from None


# --- Serializers -----------------------------------------------------------------------------------------


class GrantSerializer(s.ModelSerializer):
    planned = s.DecimalField(**AMOUNT, help_text="Budget plan (eligible costs).")
    spent = s.DecimalField(**AMOUNT, help_text="Spending charged to the grant.")
    called = s.DecimalField(**AMOUNT, help_text="Requested from the funder (submitted or paid).")
    paid = s.DecimalField(**AMOUNT, help_text="Paid out by the funder.")
    overdue_milestones = s.IntegerField(read_only=True)

    class Meta:
        model = Grant
        fields = [
            "id",
            "title",
            "programme",
            "funder",
            "reference",
            "cohort",
            "recipient",
            "approved_on",
            "period_start",
            "period_end",
            "eligible_costs",
            "funding_rate",
            "federal_share",
            "planned",
            "spent",
            "called",
            "paid",
            "overdue_milestones",
        ]


class YearFiguresSerializer(s.Serializer):
    year = s.IntegerField()
    planned = s.DecimalField(**AMOUNT)
    planned_federal = s.DecimalField(**AMOUNT)
    spent = s.DecimalField(**AMOUNT)
    called = s.DecimalField(**AMOUNT)
    paid = s.DecimalField(**AMOUNT)
    drafts = s.DecimalField(**AMOUNT)
    absorption = s.DecimalField(**PERCENT, help_text="Called ÷ planned federal share, in per cent.")
    remaining_federal = s.DecimalField(**AMOUNT)
    overspent = s.BooleanField()


class MilestoneCountsSerializer(s.Serializer):
    total = s.IntegerField()
    overdue = s.IntegerField()
    at_risk = s.IntegerField()
    open = s.IntegerField()
    done = s.IntegerField()
    waived = s.IntegerField()


class DeadlineSerializer(s.Serializer):
    kind = s.ChoiceField(choices=["milestone", "proof"])
    id = s.IntegerField()
    title = s.CharField()
    due_on = s.DateField()


class FiguresSerializer(s.Serializer):
    planned = s.DecimalField(**AMOUNT)
    spent = s.DecimalField(**AMOUNT)
    called = s.DecimalField(**AMOUNT)
    paid = s.DecimalField(**AMOUNT)
    drafts = s.DecimalField(**AMOUNT, help_text="Disbursement requests still in draft.")
    federal_share = s.DecimalField(**AMOUNT)
    own_share = s.DecimalField(**AMOUNT)
    unplanned = s.DecimalField(**AMOUNT, help_text="Eligible costs not yet in the budget plan.")
    remaining_federal = s.DecimalField(**AMOUNT, help_text="Approved federal share less what was called.")
    absorption = s.DecimalField(
        **PERCENT, help_text="Mittelabflussquote: called ÷ federal share, in per cent."
    )
    spent_rate = s.DecimalField(**PERCENT, help_text="Spent ÷ eligible costs, in per cent.")
    years = YearFiguresSerializer(many=True)
    milestones = MilestoneCountsSerializer()
    next_milestone = s.SerializerMethodField()
    next_proof = s.SerializerMethodField()
    next_deadline = s.SerializerMethodField()

    def _milestone(self, figures) -> dict | None:
        m = figures.next_milestone
        return {"kind": "milestone", "id": m.pk, "title": m.title, "due_on": m.due_on} if m else None

    def _proof(self, figures) -> dict | None:
        p = figures.next_proof
        return {"kind": "proof", "id": p.pk, "title": str(p), "due_on": p.due_on} if p else None

    @staticmethod
    def _out(deadline: dict | None) -> dict | None:
        return DeadlineSerializer(deadline).data if deadline else None

    def get_next_milestone(self, figures) -> DeadlineSerializer(allow_null=True):  # type: ignore[valid-type]  # drf-spectacular reads the field's schema from it
        return self._out(self._milestone(figures))

    def get_next_proof(self, figures) -> DeadlineSerializer(allow_null=True):  # type: ignore[valid-type]  # drf-spectacular reads the field's schema from it
        return self._out(self._proof(figures))

    def get_next_deadline(self, figures) -> DeadlineSerializer(allow_null=True):  # type: ignore[valid-type]  # drf-spectacular reads the field's schema from it
        """The earlier of the next open milestone and the next unsubmitted proof of use."""
        due = [d for d in (self._milestone(figures), self._proof(figures)) if d]
        return self._out(min(due, key=lambda d: d["due_on"])) if due else None


class GrantDetailSerializer(s.ModelSerializer):
    own_share = s.DecimalField(**AMOUNT)
    figures = s.SerializerMethodField()

    class Meta:
        model = Grant
        fields = [
            "id",
            "title",
            "programme",
            "funder",
            "reference",
            "cohort",
            "recipient",
            "approved_on",
            "period_start",
            "period_end",
            "phase_a_start",
            "phase_a_end",
            "phase_b_start",
            "phase_b_end",
            "eligible_costs",
            "funding_rate",
            "federal_share",
            "own_share",
            "notes",
            "created_at",
            "updated_at",
            "figures",
        ]

    def get_figures(self, grant: Grant) -> FiguresSerializer:
        return FiguresSerializer(self.context["figures"]).data  # type: ignore[return-value]  # the schema hint above


class BudgetLineSerializer(s.ModelSerializer):
    project = s.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    project_title = s.CharField(source="project.title", read_only=True, allow_null=True, default=None)

    class Meta:
        model = BudgetLine
        fields = ["id", "year", "cost_type", "amount", "project", "project_title", "note"]


class DisbursementSerializer(s.ModelSerializer):
    class Meta:
        model = DisbursementRequest
        fields = [
            "id",
            "number",
            "year",
            "amount",
            "purpose",
            "status",
            "submitted_on",
            "paid_on",
            "rejected_on",
            "reason",
            "created_at",
        ]


class MilestoneSerializer(s.ModelSerializer):
    state = s.ChoiceField(
        choices=list(selectors.MILESTONE_STATES),
        read_only=True,
        help_text="Derived: done, waived, overdue, at_risk (due within 30 days) or open.",
    )
    has_evidence = s.SerializerMethodField()
    projects = s.SlugRelatedField(many=True, slug_field="slug", read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "title",
            "description",
            "phase",
            "due_on",
            "status",
            "state",
            "done_on",
            "has_evidence",
            "waived_reason",
            "projects",
        ]

    def get_has_evidence(self, milestone: Milestone) -> bool:
        return bool(milestone.evidence)


class ProofSerializer(s.ModelSerializer):
    state = s.SerializerMethodField()
    submitted_by = s.SerializerMethodField()
    has_document = s.SerializerMethodField()

    class Meta:
        model = ProofOfUse
        fields = [
            "id",
            "kind",
            "year",
            "due_on",
            "state",
            "submitted_on",
            "submitted_by",
            "accepted_on",
            "has_document",
            "note",
        ]

    def get_state(self, proof: ProofOfUse) -> str:
        """accepted / submitted / overdue / due_soon / open."""
        return proof.state(self.context.get("today"))

    def get_submitted_by(self, proof: ProofOfUse) -> str | None:
        """The display name of who submitted it (never an e-mail address)."""
        return (proof.submitted_by.display_name or None) if proof.submitted_by else None

    def get_has_document(self, proof: ProofOfUse) -> bool:
        return bool(proof.document)


# --- Views -----------------------------------------------------------------------------------------------


class GrantList(TownScopedAPIView):
    """The town's grants with their totals, newest funding period first."""

    rules = {"get": VIEW}
    serializer_class = GrantSerializer

    @list_schema(GrantSerializer)
    def get(self, request, *args, **kwargs):
        return self.paginated(selectors.grant_list())


class GrantDetail(TownScopedAPIView):
    """One grant with its figures: planned, spent, called and paid (in total and per year), absorption rate,
    remaining federal share, milestone counts by state and the next deadlines."""

    rules = {"get": VIEW}
    serializer_class = GrantDetailSerializer

    @detail_schema(GrantDetailSerializer)
    def get(self, request, *args, **kwargs):
        grant = _grant(kwargs["pk"])
        return Response(
            GrantDetailSerializer(grant, context={"figures": selectors.grant_figures(grant)}).data
        )


class GrantBudget(TownScopedAPIView):
    """The grant's budget plan, line by line (by year and cost type)."""

    rules = {"get": VIEW}
    serializer_class = BudgetLineSerializer

    @list_schema(BudgetLineSerializer)
    def get(self, request, *args, **kwargs):
        return self.paginated(selectors.budget_lines(_grant(kwargs["pk"])))


class GrantDisbursements(TownScopedAPIView):
    """The grant's disbursement requests (Mittelabrufe), newest first."""

    rules = {"get": VIEW}
    serializer_class = DisbursementSerializer

    @list_schema(DisbursementSerializer)
    def get(self, request, *args, **kwargs):
        return self.paginated(selectors.disbursements(_grant(kwargs["pk"])))


STATE_PARAMETER = OpenApiParameter(
    "state",
    OpenApiTypes.STR,
    enum=list(selectors.MILESTONE_STATES),
    description="Only milestones in this derived state.",
)


class GrantMilestones(TownScopedAPIView):
    """The grant's milestones by due date with their derived state; ``state`` filters as on the milestone page
    (which ignores a bad value; here it is a 400)."""

    rules = {"get": VIEW}
    serializer_class = MilestoneSerializer

    @list_schema(MilestoneSerializer, filters=True, parameters=[STATE_PARAMETER])
    def get(self, request, *args, **kwargs):
        grant = _grant(kwargs["pk"])
        state = request.query_params.get("state", "")
        if state and state not in selectors.MILESTONE_STATES:
            raise ValidationError(
                {
                    "state": [
                        _("Select a valid choice. %(value)s is not one of the available choices.")
                        % {"value": state}
                    ]
                }
            )
        return self.paginated(selectors.milestone_timeline(grant, today=timezone.localdate(), state=state))


class GrantProofs(TownScopedAPIView):
    """The grant's proofs of use (interim and final) by due date, with their state."""

    rules = {"get": VIEW}
    serializer_class = ProofSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @list_schema(ProofSerializer)
    def get(self, request, *args, **kwargs):
        return self.paginated(selectors.proofs(_grant(kwargs["pk"])))
