"""Template helpers for accessible, KERN-styled form fields (built in to every template)."""

from django import forms, template
from django.utils.html import format_html

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
def honeypot_widget(field):
    """A trap field for bots: out of sight (the .sc5-honeypot wrapper's CSS), out of the tab order, never
    autofilled. allauth's inline style attribute is dropped: the CSP refuses style attributes."""
    field.field.widget.attrs.pop("style", None)  # this form's own copy of the widget
    return field.as_widget(attrs={"tabindex": "-1", "autocomplete": "off"})


@register.filter(name="markdown")
def markdown_filter(value):
    """Render editor-written Markdown as sanitised HTML: ``{{ project.description|markdown }}``."""
    from smartcity5.markdown import render_markdown

    return render_markdown("" if value is None else str(value))


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
        return format_html('<div class="sc5-table-wrap" role="region" aria-labelledby="{}" tabindex="0">{}</div>',
                           label_id, self.nodelist.render(context))  # a SafeString: the rendered template


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
