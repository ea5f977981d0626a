"""The BMI funding of a town's Smart City work: grants, budget plans, spending, disbursement requests,
milestones, proofs of use, and the history of every change.

All of it is internal: staff of the town and Agentur moderators (read only) see it, nobody else.
Amounts are euros as ``Decimal`` with two places; the rules for rates and rounding are in
:mod:`funding.money`, the rules for changes in :mod:`funding.services`.
"""

import datetime
import uuid
from decimal import Decimal
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TownOwnedModel
from projects.constants import ProgrammePhase
from projects.models import Project
from smartcity5.constraints import CheckConstraint
from smartcity5.history import EUR, PERCENT, HistoryEvent
from smartcity5.workflow import Workflow

from . import money

AMOUNT: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}
FIRST_YEAR, LAST_YEAR = 2015, 2045


def _evidence_path(instance, filename: str) -> str:
    # Random stored names: the uploader's file name may hold personal data.
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"funding/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def _positive_amount(**extra):
    return models.DecimalField(
        validators=[MinValueValidator(money.CENT), MaxValueValidator(money.MAX_AMOUNT)], **AMOUNT, **extra
    )


Phase = ProgrammePhase  # a milestone belongs to a phase of the programme, as a project does


class CostType(models.TextChoices):
    PERSONNEL = "personnel", _("Personnel")
    MATERIAL = "material", _("Material costs")
    INVESTMENT = "investment", _("Investment")
    EXTERNAL = "external", _("External services")


class Grant(TownOwnedModel):
    """Zuwendung: a grant of the federal programme to a town, or to the consortium (held by its lead town).

    ``federal_share`` is derived from the eligible costs and the funding rate when the grant is saved;
    the own share is the rest.
    """

    class Recipient(models.TextChoices):
        TOWN = "town", _("The town")
        CONSORTIUM = "consortium", _("The consortium (held by the lead town)")

    title = models.CharField(_("title"), max_length=200)
    programme = models.CharField(_("programme"), max_length=200, default="Modellprojekte Smart Cities")
    funder = models.CharField(
        _("funding body"), max_length=200, default="BMWSB (früher BMI), abgewickelt über die KfW"
    )
    reference = models.CharField(
        _("reference number"),
        max_length=80,
        blank=True,
        help_text=_("The funder's file number (Förderkennzeichen)."),
    )
    cohort = models.CharField(
        _("funding call / cohort"), max_length=80, blank=True, help_text=_("For example “Staffel 1 (2019)”.")
    )
    recipient = models.CharField(
        _("recipient"), max_length=20, choices=Recipient.choices, default=Recipient.TOWN
    )
    approved_on = models.DateField(_("approval date"))
    period_start = models.DateField(_("start of the funding period"))
    period_end = models.DateField(_("end of the funding period"))
    phase_a_start = models.DateField(_("phase A from"), null=True, blank=True)
    phase_a_end = models.DateField(_("phase A until"), null=True, blank=True)
    phase_b_start = models.DateField(_("phase B from"), null=True, blank=True)
    phase_b_end = models.DateField(_("phase B until"), null=True, blank=True)
    eligible_costs = models.DecimalField(
        _("eligible costs (EUR)"),
        validators=[MinValueValidator(0), MaxValueValidator(money.MAX_AMOUNT)],
        **AMOUNT,
    )
    funding_rate = models.DecimalField(
        _("federal funding rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=money.STANDARD_RATE,
        validators=[MinValueValidator(money.CENT), MaxValueValidator(money.HUNDRED)],
        help_text=_("65 % normally, 90 % for towns in a budget emergency (Haushaltsnotlage)."),
    )
    federal_share = models.DecimalField(_("federal share (EUR)"), editable=False, **AMOUNT)
    rate_exception_reference = models.CharField(
        _("rate exception: funder's reference"),
        max_length=200,
        blank=True,
        help_text=_(
            "For a rate other than 65 % or 90 %: the funder's decision that allows it (file number and "
            "date of the letter)."
        ),
    )
    rate_exception_document = models.FileField(
        _("rate exception: document"), upload_to=_evidence_path, blank=True
    )
    rate_exception_document_content_type = models.CharField(max_length=100, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        ordering = ["-period_start", "title"]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            CheckConstraint(condition=Q(eligible_costs__gte=0), name="grant_eligible_not_negative"),
            CheckConstraint(condition=Q(funding_rate__gt=0, funding_rate__lte=100), name="grant_rate_range"),
            CheckConstraint(
                condition=Q(federal_share__gte=0, federal_share__lte=models.F("eligible_costs")),
                name="grant_federal_share_within_costs",
            ),
            CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="grant_period_order"),
        ]

    def __str__(self) -> str:
        return self.title

    HISTORY_UNITS = {"eligible_costs": EUR, "funding_rate": PERCENT, "federal_share": EUR}

    @property
    def has_rate_exception(self) -> bool:
        return bool(self.rate_exception_reference or self.rate_exception_document)

    @property
    def own_share(self):
        return money.own_share(self.eligible_costs, self.funding_rate)

    def federal_share_of(self, amount: Decimal) -> Decimal:
        """The federal share of an amount of eligible costs at this grant's rate."""
        return money.federal_share(amount, self.funding_rate)

    def years(self) -> range:
        return range(self.period_start.year, self.period_end.year + 1)

    def clean(self):
        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("The funding period must end after it starts.")
        for phase in ("a", "b"):
            start, end = getattr(self, f"phase_{phase}_start"), getattr(self, f"phase_{phase}_end")
            if start and end and end < start:
                errors[f"phase_{phase}_end"] = _("A phase must end after it starts.")
            for name, value in ((f"phase_{phase}_start", start), (f"phase_{phase}_end", end)):
                if (
                    value
                    and self.period_start
                    and self.period_end
                    and not (self.period_start <= value <= self.period_end)
                ):
                    errors.setdefault(name, _("Phase dates must lie within the funding period."))
        if self.phase_a_end and self.phase_b_start and self.phase_b_start < self.phase_a_end:
            errors.setdefault("phase_b_start", _("Phase B cannot start before phase A ends."))
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.federal_share = money.federal_share(self.eligible_costs, self.funding_rate)
        if kwargs.get("update_fields") is not None:  # the derived share is always written with its inputs
            kwargs["update_fields"] = {*kwargs["update_fields"], "federal_share"}
        super().save(*args, **kwargs)


class GrantPart(TownOwnedModel):
    """Base of rows that hang off a grant (``grant``); ``municipality`` is always the grant's town."""

    if TYPE_CHECKING:
        # Each row's model declares the key itself (with its own related name).
        grant: Grant
        grant_id: int

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.municipality_id = self.grant.municipality_id
        super().save(*args, **kwargs)

    def _check_project(self, errors: dict) -> None:
        project = getattr(self, "project", None)
        if project is not None and self.grant_id and project.municipality_id != self.grant.municipality_id:
            errors["project"] = _("Only projects led by the grant's town can be funded from it.")


class BudgetLine(GrantPart):
    """One line of the budget plan: planned eligible costs of one year and cost type, optionally for one
    project."""

    grant = models.ForeignKey(
        Grant, on_delete=models.CASCADE, related_name="budget_lines", verbose_name=_("grant")
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)]
    )
    cost_type = models.CharField(_("cost type"), max_length=20, choices=CostType.choices)
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("project")
    )
    amount = models.DecimalField(
        _("planned costs (EUR)"),
        validators=[MinValueValidator(0), MaxValueValidator(money.MAX_AMOUNT)],
        **AMOUNT,
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["year", "cost_type", "pk"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget plan")
        constraints = [
            CheckConstraint(condition=Q(amount__gte=0), name="budgetline_amount_not_negative"),
            models.UniqueConstraint(
                fields=["grant", "year", "cost_type"],
                condition=Q(project__isnull=True),
                name="budgetline_unique_without_project",
                violation_error_message=_(
                    "This year and cost type already have a line without a project; change that line instead."
                ),
            ),
            models.UniqueConstraint(
                fields=["grant", "year", "cost_type", "project"],
                condition=Q(project__isnull=False),
                name="budgetline_unique_with_project",
                violation_error_message=_(
                    "This project already has a line for this year and cost type; change that line instead."
                ),
            ),
        ]

    HISTORY_UNITS = {"amount": EUR}

    def __str__(self) -> str:
        return f"{self.year} · {self.get_cost_type_display()}"

    def clean(self):
        errors = {}
        if self.grant_id and self.year and self.year not in self.grant.years():
            errors["year"] = _("The year must lie within the funding period (%(start)s–%(end)s).") % {
                "start": self.grant.period_start.year,
                "end": self.grant.period_end.year,
            }
        self._check_project(errors)
        if errors:
            raise ValidationError(errors)


class Spending(GrantPart):
    """An actual expense charged to the grant (eligible costs paid by the town)."""

    grant = models.ForeignKey(
        Grant, on_delete=models.CASCADE, related_name="spendings", verbose_name=_("grant")
    )
    spent_on = models.DateField(_("date of payment"))
    cost_type = models.CharField(_("cost type"), max_length=20, choices=CostType.choices)
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("project")
    )
    amount = _positive_amount(verbose_name=_("amount (EUR)"))
    description = models.CharField(_("description"), max_length=200)
    payee = models.CharField(_("payee"), max_length=200, blank=True)
    voucher = models.CharField(_("voucher number"), max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-spent_on", "-pk"]
        verbose_name = _("spending")
        verbose_name_plural = _("spending")
        constraints = [CheckConstraint(condition=Q(amount__gt=0), name="spending_amount_positive")]
        indexes = [models.Index(fields=["grant", "spent_on"], name="spending_grant_date")]

    HISTORY_UNITS = {"amount": EUR}

    def __str__(self) -> str:
        return f"{self.spent_on:%d.%m.%Y} · {self.description}"

    def clean(self):
        errors = {}
        if (
            self.grant_id
            and self.spent_on
            and not (self.grant.period_start <= self.spent_on <= self.grant.period_end)
        ):
            errors["spent_on"] = _(
                "Only costs within the funding period (%(start)s – %(end)s) can be charged."
            ) % {"start": f"{self.grant.period_start:%d.%m.%Y}", "end": f"{self.grant.period_end:%d.%m.%Y}"}
        self._check_project(errors)
        if errors:
            raise ValidationError(errors)


class DisbursementRequest(Workflow, GrantPart):
    """Mittelabruf: a request to KfW to pay out part of the federal share."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        PAID = "paid", _("Paid")
        REJECTED = "rejected", _("Rejected")

    #: The allowed moves (checked and applied by smartcity5.workflow in ``funding.services``).
    TRANSITION_ERROR = _("A request that is “%(old)s” cannot become “%(new)s”.")
    TRANSITIONS = {
        Status.DRAFT: (Status.SUBMITTED,),
        Status.SUBMITTED: (Status.PAID, Status.REJECTED),
        Status.PAID: (),
        Status.REJECTED: (),
    }
    # Requests that count against the limits: filed with the funder and not turned down.
    CALLED = (Status.SUBMITTED, Status.PAID)

    grant = models.ForeignKey(
        Grant, on_delete=models.CASCADE, related_name="disbursements", verbose_name=_("grant")
    )
    number = models.PositiveIntegerField(_("number"), editable=False)
    year = models.PositiveSmallIntegerField(
        _("budget year"), validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)]
    )
    amount = _positive_amount(verbose_name=_("amount (EUR)"))
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    rejected_on = models.DateField(_("rejected on"), null=True, blank=True)
    reason = models.TextField(_("reason for rejection"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    created_at = models.DateTimeField(_("prepared"), auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("disbursement request")
        verbose_name_plural = _("disbursement requests")
        constraints = [
            CheckConstraint(condition=Q(amount__gt=0), name="disbursement_amount_positive"),
            models.UniqueConstraint(fields=["grant", "number"], name="disbursement_unique_number"),
            CheckConstraint(
                condition=Q(status="draft") | Q(submitted_on__isnull=False),
                name="disbursement_filed_has_date",
            ),
            CheckConstraint(
                condition=~Q(status="paid") | Q(paid_on__isnull=False), name="disbursement_paid_has_date"
            ),
            CheckConstraint(
                condition=~Q(status="rejected") | (Q(rejected_on__isnull=False) & ~Q(reason="")),
                name="disbursement_rejected_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["grant", "status", "year"], name="disbursement_grant_status")]

    HISTORY_UNITS = {"amount": EUR}

    def __str__(self) -> str:
        return _("Disbursement request %(number)s") % {"number": self.number}

    def clean(self):
        if self.grant_id and self.year and self.year not in self.grant.years():
            raise ValidationError(
                {
                    "year": _("The year must lie within the funding period (%(start)s–%(end)s).")
                    % {"start": self.grant.period_start.year, "end": self.grant.period_end.year}
                }
            )


class Milestone(GrantPart):
    """A milestone of the grant (from the approval or the payment schedule), with its due date."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        WAIVED = "waived", _("Waived")

    # Derived states (see funding.selectors.milestone_state): due within this many days and not done.
    AT_RISK_DAYS = 30

    grant = models.ForeignKey(
        Grant, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("grant")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    phase = models.CharField(_("phase"), max_length=1, choices=Phase.choices, default=Phase.B)
    due_on = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    evidence = models.FileField(_("evidence"), upload_to=_evidence_path, blank=True)
    evidence_content_type = models.CharField(max_length=100, blank=True, editable=False)
    waived_reason = models.TextField(_("reason for waiving"), blank=True)
    projects = models.ManyToManyField(
        Project, blank=True, related_name="+", verbose_name=_("linked projects")
    )

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            CheckConstraint(
                condition=~Q(status="done") | (Q(done_on__isnull=False) & ~Q(evidence="")),
                name="milestone_done_has_date_and_evidence",
            ),
            CheckConstraint(
                condition=~Q(status="waived") | ~Q(waived_reason=""), name="milestone_waived_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "status", "due_on"], name="milestone_town_status_due")
        ]

    def __str__(self) -> str:
        return self.title

    def state(self, today: datetime.date | None = None) -> str:
        """done / waived / overdue / at_risk / open — the same rule as the SQL in funding.selectors."""
        if self.status != self.Status.OPEN:
            return self.status
        today = today or timezone.localdate()
        if self.due_on < today:
            return "overdue"
        if self.due_on <= today + datetime.timedelta(days=self.AT_RISK_DAYS):
            return "at_risk"
        return "open"


class ProofOfUse(GrantPart):
    """Zwischennachweis (interim proof, yearly) or Verwendungsnachweis (final proof of use)."""

    class Kind(models.TextChoices):
        INTERIM = "interim", _("Interim proof of use")
        FINAL = "final", _("Final proof of use")

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="proofs", verbose_name=_("grant"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(
        _("reporting year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
    )
    due_on = models.DateField(_("due date"))
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    document = models.FileField(_("document"), upload_to=_evidence_path, blank=True)
    document_content_type = models.CharField(max_length=100, blank=True, editable=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("proof of use")
        verbose_name_plural = _("proofs of use")
        constraints = [
            CheckConstraint(
                condition=Q(accepted_on__isnull=True) | Q(submitted_on__isnull=False),
                name="proof_accepted_after_submitted",
            ),
            CheckConstraint(condition=Q(kind="final") | Q(year__isnull=False), name="proof_interim_has_year"),
            models.UniqueConstraint(
                fields=["grant", "kind", "year"],
                condition=Q(kind="interim"),
                name="proof_unique_interim_year",
                violation_error_message=_("There is already an interim proof for this year."),
            ),
            models.UniqueConstraint(
                fields=["grant"],
                condition=Q(kind="final"),
                name="proof_unique_final",
                violation_error_message=_("This grant already has a final proof of use."),
            ),
        ]
        indexes = [models.Index(fields=["municipality", "submitted_on", "due_on"], name="proof_town_due")]

    def __str__(self) -> str:
        if self.kind == self.Kind.INTERIM and self.year:
            return _("Interim proof of use %(year)s") % {"year": self.year}
        return str(self.get_kind_display())

    def state(self, today: datetime.date | None = None) -> str:
        """accepted / submitted / overdue / due_soon / open."""
        if self.accepted_on:
            return "accepted"
        if self.submitted_on:
            return "submitted"
        today = today or timezone.localdate()
        if self.due_on < today:
            return "overdue"
        if self.due_on <= today + datetime.timedelta(days=Milestone.AT_RISK_DAYS):
            return "due_soon"
        return "open"

    def clean(self):
        errors = {}
        if self.kind == self.Kind.INTERIM and not self.year:
            errors["year"] = _("An interim proof covers one year; please give it.")
        if self.kind == self.Kind.FINAL:
            self.year = None
        if self.accepted_on and not self.submitted_on:
            errors["accepted_on"] = _("A proof can only be accepted after it was submitted.")
        elif self.accepted_on and self.submitted_on and self.accepted_on < self.submitted_on:
            errors["accepted_on"] = _("The acceptance cannot come before the submission.")
        if errors:
            raise ValidationError(errors)


class FundingEvent(HistoryEvent):
    """The history of a grant: every change to it and its budget, spending, requests, milestones and proofs
    (who, when, old → new). Written only by ``funding.services``; never edited."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        CHANGED = "changed", _("Changed")
        DELETED = "deleted", _("Deleted")
        STATUS = "status", _("Status changed")

    class Entity(models.TextChoices):
        GRANT = "grant", _("Grant")
        BUDGET_LINE = "budget_line", _("Budget line")
        SPENDING = "spending", _("Spending")
        DISBURSEMENT = "disbursement", _("Disbursement request")
        MILESTONE = "milestone", _("Milestone")
        PROOF = "proof", _("Proof of use")

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="events", verbose_name=_("grant"))
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    entity = models.CharField(_("concerns"), max_length=20, choices=Entity.choices)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("funding history entry")
        verbose_name_plural = _("funding history")
        indexes = [models.Index(fields=["grant", "-at"], name="fundingevent_grant_at")]

    def __str__(self) -> str:
        return f"{self.grant}: {self.get_entity_display()} – {self.get_kind_display()}"

    def history_model(self) -> type[models.Model]:
        """The model whose fields ``changes`` names (for their labels and formats, see smartcity5.history)."""
        models_by_entity: dict[str, type[models.Model]] = {
            self.Entity.GRANT: Grant,
            self.Entity.BUDGET_LINE: BudgetLine,
            self.Entity.SPENDING: Spending,
            self.Entity.DISBURSEMENT: DisbursementRequest,
            self.Entity.MILESTONE: Milestone,
            self.Entity.PROOF: ProofOfUse,
        }
        return models_by_entity.get(self.entity, Grant)
