"""Forms of the reports app: what to generate; the request goes through ``reports.services``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ReportRequest


class ReportRequestForm(forms.Form):
    """A town or funding report of the town in scope. Funding reports are offered only to people who may see
    the town's funding (``funding.view``)."""

    kind = forms.ChoiceField(label=_("Report"), widget=forms.RadioSelect)
    grant = forms.ModelChoiceField(
        label=_("Grant (funding reports)"), queryset=None, required=False, empty_label=_("– choose a grant –")
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=ReportRequest.Format.choices,
        widget=forms.RadioSelect,
        initial=ReportRequest.Format.PDF,
    )

    def __init__(self, *args, funding: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (ReportRequest.Kind.TOWN, _("Town report: strategy, projects, KPIs and participation")),
            *(
                [
                    (
                        ReportRequest.Kind.FUNDING,
                        _(
                            "Funding report: ledger and milestones of one grant, as a draft "
                            "for the interim proof of use"
                        ),
                    )
                ]
                if funding
                else []
            ),
        ]
        self.fields["kind"].initial = ReportRequest.Kind.TOWN
        if funding:
            from funding.models import Grant

            self.fields["grant"].queryset = Grant.objects.order_by("-period_start", "title")
        else:
            del self.fields["grant"]

    def clean(self):
        data = super().clean()
        if data.get("kind") == ReportRequest.Kind.FUNDING and not data.get("grant"):
            self.add_error("grant", _("Choose the grant the report is about."))
        return data


class RegionReportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"),
        choices=ReportRequest.Format.choices,
        widget=forms.RadioSelect,
        initial=ReportRequest.Format.PDF,
    )
