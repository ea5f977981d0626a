"""Forms of the progress review. The rules live in ``reviews.services``; these only parse what was typed."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from smartcity5.forms import needed_sometimes

from .models import FIRST_YEAR, ProgressReport


class QuarterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        coerce=int,
        choices=[(q, _("Q%(quarter)s") % {"quarter": q}) for q in (1, 2, 3, 4)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [
            (y, str(y)) for y in range(this_year, max(FIRST_YEAR, this_year - 4) - 1, -1)
        ]


class SectionsForm(forms.Form):
    """One text per field of action (``field_<id>``)."""

    def __init__(self, *args, fields_of_action, texts: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields_of_action = list(fields_of_action)
        for field in self.fields_of_action:
            self.fields[f"field_{field.pk}"] = forms.CharField(
                label=field.name,
                required=False,
                max_length=8000,
                initial=texts.get(field.pk, ""),
                help_text=_(
                    "What happened in this field of action in the quarter, what is next, where you need "
                    "support."
                ),
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    def texts(self) -> dict[int, str]:
        return {field.pk: self.cleaned_data.get(f"field_{field.pk}", "") for field in self.fields_of_action}


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer to the Agentur"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            (ProgressReport.Status.ACCEPTED, _("Accept the report")),
            (ProgressReport.Status.RETURNED, _("Return it to the town for changes")),
        ],
    )
    remarks = needed_sometimes(
        forms.CharField(
            label=_("Remarks for the town"),
            required=False,
            max_length=4000,
            widget=forms.Textarea(attrs={"rows": 4}),
            help_text=_("Required when you return the report: say what the town should change."),
        )
    )
