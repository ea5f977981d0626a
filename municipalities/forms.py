"""Forms of the municipalities app."""

from django import forms
from django.utils.translation import gettext_lazy as _


class AccessibilityFeedbackForm(forms.Form):
    message = forms.CharField(
        label=_("Which barrier did you find?"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Please describe what did not work and, if you can, on which page."),
    )
    page_url = forms.CharField(label=_("Page concerned (optional)"), max_length=500, required=False)
    email = forms.EmailField(label=_("Your e-mail address for a reply (optional)"), required=False,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    # Honeypot: hidden from people, filled in by bots.
    homepage = forms.CharField(required=False, label=_("Leave this field empty"))

    def clean_homepage(self):
        if self.cleaned_data.get("homepage"):
            raise forms.ValidationError(_("This field must stay empty."))
        return ""
