"""Forms of the funding app: validation and widgets only; saving goes through ``funding.services``."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import permissions
from projects.forms import DateInput, FieldsetsMixin
from projects.models import Project
from projects.uploads import check_upload
from smartcity5 import numbers
from smartcity5.forms import needed_sometimes

from . import money
from .models import BudgetLine, DisbursementRequest, Grant, Milestone, ProofOfUse, Spending


class MoneyField(numbers.MoneyField):
    """An amount in euros, read by the portal's one number rule (``smartcity5.numbers``): ``12.500,00 €``."""

    def __init__(self, *, min_value=Decimal("0.01"), **kwargs):
        super().__init__(min_value=min_value, max_value=money.MAX_AMOUNT, **kwargs)


def _year_choices(grant: Grant):
    return [(year, str(year)) for year in grant.years()]


def _project_field(municipality, *, multiple: bool = False):
    queryset = Project.objects.filter(municipality=municipality).order_by("title")
    if multiple:
        return forms.ModelMultipleChoiceField(
            label=_("Linked projects"), queryset=queryset, required=False, widget=forms.CheckboxSelectMultiple
        )
    return forms.ModelChoiceField(
        label=_("Project"), queryset=queryset, required=False, empty_label=_("— not allocated to a project —")
    )


class EvidenceField(forms.FileField):
    """A document or image checked by content (see projects.uploads); cleans to a ``CheckedUpload``."""

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload in (None, False) or not hasattr(upload, "read"):
            return None
        return check_upload(upload)


class GrantForm(FieldsetsMixin, forms.ModelForm):
    """A grant's data. Its terms (``funding.services.GRANT_TERMS``) are read-only for those who may not change
    them (``accounts.permissions.can_change_terms_of_grant``, asked for ``by``; ``by=None`` is the portal itself);
    those who may get a reason field and the funder's rate exception."""

    eligible_costs = MoneyField(label=_("Eligible costs (EUR)"), min_value=Decimal(0))
    reason = forms.CharField(
        label=_("Reason for changing the terms"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Needed when dates, eligible costs or the funding rate change, e.g. the funder's letter that "
            "changed them. The history keeps it and the Agentur is told."
        ),
    )
    rate_exception_reference = forms.CharField(
        label=_("Rate exception: the funder's reference"),
        required=False,
        max_length=200,
        help_text=_(
            "Only for a rate other than 65 % or 90 %: file number and date of the funder's decision."
        ),
    )
    rate_exception_document = EvidenceField(
        label=_("Rate exception: the funder's decision"),
        required=False,
        help_text=_(
            "Only for a rate other than 65 % or 90 %: the decision as PDF, ODT or DOCX (or an image of it). "
            "A reference or the document is enough."
        ),
    )

    fieldsets = [
        (_("Grant"), ["title", "programme", "funder", "reference", "cohort", "recipient", "approved_on"]),
        (
            _("Period and phases"),
            ["period_start", "period_end", "phase_a_start", "phase_a_end", "phase_b_start", "phase_b_end"],
        ),
        (_("Money"), ["eligible_costs", "funding_rate", "notes"]),
        (_("Changing the terms"), ["reason", "rate_exception_reference", "rate_exception_document"]),
    ]

    class Meta:
        model = Grant
        fields = [
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
            "notes",
        ]
        formfield_callback = numbers.formfield  # every number read by the one rule (smartcity5.numbers)
        field_classes = {"funding_rate": numbers.PercentField}
        widgets: dict[str, type[forms.Widget] | forms.Widget] = dict.fromkeys(
            (
                "approved_on",
                "period_start",
                "period_end",
                "phase_a_start",
                "phase_a_end",
                "phase_b_start",
                "phase_b_end",
            ),
            DateInput,
        )
        widgets["notes"] = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *args, municipality, by=None, **kwargs):
        from .services import GRANT_TERMS

        super().__init__(*args, **kwargs)
        self.instance.municipality = municipality
        can_change_terms = by is None or permissions.can_change_terms_of_grant(
            by, self.instance, municipality
        )
        rate = self.fields["funding_rate"]
        rate.widget.attrs["inputmode"] = "decimal"
        rate.help_text = _(
            "The programme's rates: 65 % of the eligible costs, or 90 % for a town in a budget "
            "emergency under state law (Haushaltsnotlage). Any other rate needs the funder's "
            "exception, recorded below."
        )
        for name in ("reason", "rate_exception_reference", "rate_exception_document"):
            needed_sometimes(self.fields[name])  # needed in some cases, which the hint names
        if not can_change_terms:
            # Shown, but read-only: a changed value posted anyway is refused by funding.services (403).
            for name in GRANT_TERMS:
                self.fields[name].widget.attrs["readonly"] = True
                self.fields[name].help_text = _("Only the town's administrators change the grant's terms.")
            for name in ("reason", "rate_exception_reference", "rate_exception_document"):
                del self.fields[name]

    def grouped_fields(self):
        return [(legend, fields) for legend, fields in super().grouped_fields() if fields]

    def grant_fields(self) -> dict:
        """The cleaned values that are the grant's own fields (for the services)."""
        return {name: value for name, value in self.cleaned_data.items() if name in self.Meta.fields}


# Declared on the forms so that the scoped manager is not queried at import; the choices are set per town.
_NO_PROJECTS: dict[str, Any] = {"queryset": Project.objects.none(), "required": False}


class BudgetLineForm(forms.ModelForm):
    amount = MoneyField(label=_("Planned costs (EUR)"), min_value=Decimal(0))
    project = forms.ModelChoiceField(**_NO_PROJECTS)

    class Meta:
        model = BudgetLine
        formfield_callback = numbers.formfield  # every number read by the one rule (smartcity5.numbers)
        fields = ["year", "cost_type", "project", "amount", "note"]

    def __init__(self, *args, grant: Grant, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.grant = grant
        self.fields["year"] = forms.TypedChoiceField(
            label=_("Year"), choices=_year_choices(grant), coerce=int
        )
        self.fields["project"] = _project_field(grant.municipality)
        self.order_fields(self.Meta.fields)


class SpendingForm(forms.ModelForm):
    amount = MoneyField(label=_("Amount (EUR)"))
    project = forms.ModelChoiceField(**_NO_PROJECTS)

    class Meta:
        model = Spending
        formfield_callback = numbers.formfield  # every number read by the one rule (smartcity5.numbers)
        fields = ["spent_on", "amount", "cost_type", "project", "description", "payee", "voucher"]
        widgets = {"spent_on": DateInput}

    def __init__(self, *args, grant: Grant, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.grant = grant
        self.fields["project"] = _project_field(grant.municipality)
        self.order_fields(self.Meta.fields)
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault("spent_on", timezone.localdate())


class DisbursementForm(forms.ModelForm):
    amount = MoneyField(label=_("Amount (EUR)"))

    class Meta:
        model = DisbursementRequest
        formfield_callback = numbers.formfield  # every number read by the one rule (smartcity5.numbers)
        fields = ["year", "amount", "purpose"]

    def __init__(self, *args, grant: Grant, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.grant = grant
        self.fields["year"] = forms.TypedChoiceField(
            label=_("Budget year"),
            choices=_year_choices(grant),
            coerce=int,
            help_text=_("The year of the budget plan the money is requested for."),
        )
        if not self.is_bound and not self.instance.pk and timezone.localdate().year in grant.years():
            self.initial.setdefault("year", timezone.localdate().year)
        self.order_fields(self.Meta.fields)


class DisbursementActionForm(forms.Form):
    """One step of a request: file it with the funder, record the payment, or record a rejection."""

    ACTIONS = {
        "submit": DisbursementRequest.Status.SUBMITTED,
        "paid": DisbursementRequest.Status.PAID,
        "reject": DisbursementRequest.Status.REJECTED,
    }

    action = forms.ChoiceField(choices=[(key, key) for key in ACTIONS], widget=forms.HiddenInput)
    on = forms.DateField(label=_("Date"), widget=DateInput)
    reason = forms.CharField(
        label=_("Reason for rejection"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MilestoneForm(forms.ModelForm):
    projects = forms.ModelMultipleChoiceField(**_NO_PROJECTS)

    class Meta:
        model = Milestone
        fields = ["title", "phase", "due_on", "description", "projects"]
        widgets = {"due_on": DateInput, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, grant: Grant, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.grant = grant
        self.fields["projects"] = _project_field(grant.municipality, multiple=True)
        if self.instance.pk:
            self.initial["projects"] = list(self.instance.projects.all())


class MilestoneDoneForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), widget=DateInput)
    evidence = EvidenceField(
        label=_("Evidence"),
        help_text=_(
            "A document (PDF, ODT, DOCX, ODS, XLSX) or an image that shows the milestone was reached."
        ),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ProofForm(forms.ModelForm):
    class Meta:
        model = ProofOfUse
        formfield_callback = numbers.formfield  # every number read by the one rule (smartcity5.numbers)
        fields = ["kind", "year", "due_on", "note"]
        widgets = {"due_on": DateInput, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, grant: Grant, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.grant = grant
        self.fields["year"] = forms.TypedChoiceField(
            label=_("Reporting year"),
            choices=[("", "—"), *_year_choices(grant)],
            coerce=int,
            required=False,
            empty_value=None,
            help_text=_("For interim proofs: the year they cover."),
        )
        self.order_fields(self.Meta.fields)


class ProofSubmitForm(forms.Form):
    submitted_on = forms.DateField(label=_("Submitted on"), widget=DateInput)
    document = EvidenceField(label=_("Document as submitted"), required=False)


class ProofAcceptForm(forms.Form):
    accepted_on = forms.DateField(label=_("Accepted on"), widget=DateInput)


class SpendingFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    cost_type = forms.ChoiceField(label=_("Cost type"), required=False)

    def __init__(self, *args, grant: Grant, **kwargs):
        # Own ids: the page also holds the form that records spending, with fields of the same names.
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("All years")), *_year_choices(grant)]
        from .models import CostType

        self.fields["cost_type"].choices = [("", _("All cost types")), *CostType.choices]
