"""Form rendering: every ``{{ form }}`` renders with the accessible KERN field template."""

from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _

from .single_line import SingleLineBoundField


class KernFormRenderer(TemplatesSetting):
    form_template_name = "components/form.html"
    field_template_name = "components/field.html"
    # Every form's single-line fields refuse line breaks (smartcity5.single_line).
    bound_field_class = SingleLineBoundField


def add_errors(form, error) -> None:
    """Put a service's ``ValidationError`` onto the form: field errors on their fields, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class HoneypotForm(forms.Form):
    """Adds the honeypot field ``homepage``: hidden from people (``components/field.html``), filled in by bots.
    Mix into any form: ``class IdeaForm(HoneypotForm, forms.ModelForm)``."""

    homepage = forms.CharField(required=False, label=_("Leave this field empty"))

    def clean_homepage(self):
        if self.cleaned_data.get("homepage"):
            raise forms.ValidationError(_("This field must stay empty."))
        return ""
