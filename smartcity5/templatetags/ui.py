"""Template helpers for accessible, KERN-styled form fields (built in to every template)."""

from django import forms, template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from smartcity5 import fragments
from smartcity5.forms import context_has_form_errors, error_summary_entries, is_marked_optional

register = template.Library()

_CHECK_WIDGETS = (forms.CheckboxInput,)
_CHOICE_LISTS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


@register.filter
def widget_kind(field) -> str:
    widget = field.field.widget
    if isinstance(widget, _CHECK_WIDGETS):
        return "checkbox"
    if isinstance(widget, _CHOICE_LISTS):
        return "choices"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.HiddenInput):
        return "hidden"
    return "input"


@register.filter
def kern_widget(field):
    """Render the widget with KERN classes and with hint and error wired up for screen readers."""
    kind = widget_kind(field)
    error = bool(field.errors)
    if kind == "checkbox":
        css = "kern-form-check__checkbox" + (" kern-form-check__checkbox--error" if error else "")
    elif kind == "select":
        css = "kern-form-input__select" + (" kern-form-input__select--error" if error else "")
    elif kind == "choices":
        css = ""
    else:
        css = "kern-form-input__input" + (" kern-form-input__input--error" if error else "")
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_helptext")
    if error:
        described.append(f"{field.auto_id}_error")
    attrs = {}
    if css:
        attrs["class"] = (field.field.widget.attrs.get("class", "") + " " + css).strip()
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if error:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def optional_mark(field) -> bool:
    """Whether the field's label says "– optional" (the rule: :func:`smartcity5.forms.is_marked_optional`)."""
    return is_marked_optional(field)


@register.inclusion_tag("components/error_summary.html")
def error_summary(*forms_and_formsets):
    """The error summary at the top of a form: ``{% error_summary form %}``, or ``{% error_summary form phases %}``
    for a form with a formset. Each error links to its field; the summary takes the focus (``autofocus``)."""
    found = [item for item in forms_and_formsets if isinstance(item, (forms.BaseForm, forms.BaseFormSet))]
    first = found[0] if found else None
    if isinstance(first, forms.BaseForm) and first.auto_id:
        summary_id = first.auto_id % first.add_prefix("error_summary")
    else:
        summary_id = "error-summary"
    return {"entries": error_summary_entries(*found), "summary_id": summary_id}


@register.simple_tag(takes_context=True)
def error_title_prefix(context) -> str:
    """ "Fehler: " before the page title when the page shows a form with errors (base.html)."""
    return _("Error: ") if context_has_form_errors(context) else ""


@register.filter
def honeypot_widget(field):
    """A trap field for bots: out of sight (the .sc5-honeypot wrapper's CSS), out of the tab order, never
    autofilled. allauth's inline style attribute is dropped: the CSP refuses style attributes."""
    field.field.widget.attrs.pop("style", None)  # this form's own copy of the widget
    return field.as_widget(attrs={"tabindex": "-1", "autocomplete": "off"})


@register.filter(name="markdown")
def markdown_filter(value, under=None):
    """Render editor-written Markdown as sanitised HTML: ``{{ project.description|markdown }}`` for a text in a
    section under an ``<h2>``, ``{{ note.body|markdown:1 }}`` for one right under the page's ``<h1>`` (the level
    of the heading above the text; its headings follow without skipping a level)."""
    from smartcity5.markdown import DEFAULT_UNDER, render_markdown

    return render_markdown(
        "" if value is None else str(value), under=DEFAULT_UNDER if under is None else under
    )


@register.filter
def history_changes(event):
    """A history row's changes as ``(label, old, new)``, formatted for people (see smartcity5.history)."""
    from smartcity5.history import readable_changes

    return readable_changes(event)


class TableRegionNode(template.Node):
    def __init__(self, id_parts, nodelist):
        self.id_parts = id_parts
        self.nodelist = nodelist

    def render(self, context):
        label_id = "".join(str(part.resolve(context)) for part in self.id_parts)
        return format_html(
            '<div class="sc5-table-wrap" role="region" aria-labelledby="{}" tabindex="0">{}</div>',
            label_id,
            self.nodelist.render(context),
        )  # a SafeString: the rendered template


@register.tag
def table_region(parser, token):
    """``{% table_region "spending-caption" %}<table>…<caption id="spending-caption">…{% endtable_region %}``:
    the one wrapper of a wide table. A phone scrolls the table inside it, never the page; the region is named
    by the given id (the table's caption, or a heading) and focusable, so keyboard users can scroll it too.
    Several arguments are joined into the id (``{% table_region "trend-" chart.id %}``)."""
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("table_region needs the id of the element that names the table")
    nodelist = parser.parse(("endtable_region",))
    parser.delete_first_token()
    return TableRegionNode([parser.compile_filter(bit) for bit in bits], nodelist)


@register.simple_tag
def filter_fields(form) -> SafeString:
    """The visible fields of a filter form (``{% filter_fields filter_form %}``; sent with GET, so no token and
    nothing about the visitor), kept per worker (smartcity5.fragments) under everything they show: each field's
    kind, name, label, hint, value, errors, requiredness, widget attributes and choices. The choices are read
    once, as rendering reads them (one query for a model's), and handed to the widget so a miss does not read
    them again. Rendered option by option through templates, the idea list's filters were a third of its
    rendering (bench/README.md, "Rendering")."""
    fields = form.visible_fields()
    key: list = [type(form).__module__, type(form).__qualname__, form.prefix, str(form.auto_id)]
    for field in fields:
        widget = field.field.widget
        choices = None
        if hasattr(widget, "choices"):
            # This form's own copy of the widget; not list(), which asks a model's choices for their count first.
            widget.choices = [choice for choice in widget.choices]  # noqa: C416
            choices = tuple((str(value), str(label)) for value, label in widget.choices)
        value = field.value()
        key.append(
            (
                type(field.field).__name__,
                type(widget).__name__,
                field.html_name,
                str(field.auto_id),
                str(field.label),
                str(field.help_text),
                field.field.required,
                tuple(str(error) for error in field.errors),
                tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value),
                tuple(sorted((name, str(attr)) for name, attr in widget.attrs.items())),
                choices,
            )
        )
    return fragments.kept(tuple(key), lambda: "".join(str(field.as_field_group()) for field in fields))
