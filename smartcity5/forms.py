"""Form rendering: every ``{{ form }}`` renders with the accessible KERN field template."""

from django.forms.renderers import TemplatesSetting


class KernFormRenderer(TemplatesSetting):
    form_template_name = "components/form.html"
    field_template_name = "components/field.html"
