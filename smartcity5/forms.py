"""Form rendering: every ``{{ form }}`` renders with the accessible KERN field template, and the rules every form
follows in one place: which fields are marked optional, the error summary, the page title's "Fehler: "."""

from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.functional import SimpleLazyObject, empty
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

    honeypot_name = "homepage"
    homepage = forms.CharField(required=False, label=_("Leave this field empty"))

    def clean_homepage(self):
        if self.cleaned_data.get("homepage"):
            raise forms.ValidationError(_("This field must stay empty."))
        return ""


# --- How every form reads: optional marks, the error summary, the page title -----------------------------


def is_marked_optional(field) -> bool:
    """Whether a bound field's label says "– optional" (components/field.html). The one rule for every form:
    only a field people may leave empty is marked, and not when
    - it is needed in some cases (``field.required_when = True``; its hint says when),
    - it is a single checkbox (leaving it unticked is an answer, not a gap),
    - every field of its form may be left empty (filters, a ballot: the marks would say nothing), or its form
      says ``mark_optional = False``, or
    - its label says so already."""
    definition = field.field
    if _is_needed(definition) or isinstance(definition.widget, (forms.CheckboxInput, forms.HiddenInput)):
        return False
    form = field.form
    if not getattr(form, "mark_optional", True) or not any(
        _is_needed(other) for name, other in form.fields.items() if name != HoneypotForm.honeypot_name
    ):
        return False
    label = str(field.label or "").lower()
    return str(_("optional")).lower() not in label and "optional" not in label


def needed_sometimes(field: forms.Field) -> forms.Field:
    """Mark a field that may be empty but is needed in some cases (its hint says which): no "– optional" on it.
    ``reason = needed_sometimes(forms.CharField(required=False, help_text=_("Required when …")))``."""
    field.required_when = True
    return field


def _is_needed(field) -> bool:
    return field.required or bool(getattr(field, "required_when", False))


def error_target(field) -> str:
    """The id a summary link jumps to: the input itself, or a list's first choice (radio buttons and checkbox
    lists have no single input; Django gives the group's label no ``for``)."""
    if isinstance(field.field.widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
        return f"{field.auto_id}_0" if field.auto_id else ""
    return field.id_for_label or field.auto_id or ""


def _form_errors(form, context: str = "") -> list[tuple[str, str]]:
    entries = [("", str(error)) for error in form.non_field_errors()]
    for name in form.fields:
        if name not in form.errors:
            continue
        field = form[name]
        label = str(field.label or name).rstrip(".:")  # "… veröffentlicht wird: …", not "wird.: …"
        label = f"{context} – {label}" if context else label
        for error in field.errors:
            if field.is_hidden or name == HoneypotForm.honeypot_name:
                entries.append(("", str(error)))  # nothing to focus: the message alone
            else:
                entries.append((error_target(field), f"{label}: {error}"))
    return entries


def error_summary_entries(*forms_and_formsets) -> list[tuple[str, str]]:
    """Every error of the given forms and formsets as ``(id to link to or "", text)``, in the order of the fields
    (components/error_summary.html). A formset's forms name themselves through a ``label`` attribute."""
    entries = []
    for item in forms_and_formsets:
        if isinstance(item, forms.BaseFormSet):
            if not item.is_bound:
                continue
            entries += [("", str(error)) for error in item.non_form_errors()]
            for form in item.forms:
                entries += _form_errors(form, context=str(getattr(form, "label", "") or ""))
        elif isinstance(item, forms.BaseForm) and item.is_bound:
            entries += _form_errors(item)
    return entries


def _has_errors(value) -> bool:
    if isinstance(value, forms.BaseFormSet):
        return value.is_bound and not value.is_valid()
    if isinstance(value, forms.BaseForm):
        # Only forms the view has validated: reading ``errors`` would validate (and check uploads) once more.
        return value.is_bound and value._errors is not None and bool(value._errors)
    return False


def context_has_form_errors(context) -> bool:
    """Whether a page shows a form that was sent back with errors: any form or formset in the template context,
    also inside a list (base.html prefixes the title with "Fehler: ")."""
    for value in context.flatten().values():
        if type(value) is SimpleLazyObject and value._wrapped is empty:
            # Not read by the page yet, so no form the view validated (isinstance would evaluate it: a query).
            continue
        if isinstance(value, (list, tuple)):
            if any(_has_errors(item) for item in value[:100]):
                return True
        elif _has_errors(value):
            return True
    return False
