"""Forms of the municipalities app."""

from django import forms
from django.utils.translation import gettext_lazy as _

from smartcity5.forms import HoneypotForm


class AccessibilityFeedbackForm(HoneypotForm):
    message = forms.CharField(
        label=_("Which barrier did you find?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Please describe what did not work and, if you can, on which page."),
    )
    page_url = forms.CharField(label=_("Page concerned"), max_length=500, required=False)
    email = forms.EmailField(
        label=_("Your e-mail address for a reply"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
