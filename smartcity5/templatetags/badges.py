"""The KERN status badge, the one tag for it (built in to every template).

``{% badge tone %}label{% endbadge %}`` writes
``<span class="kern-badge kern-badge--TONE"><span class="kern-label kern-label--small">label</span></span>``.
The tone is one of KERN's four variants, given as a string or as a filter that maps a state to one
(``{% badge project.status|status_tone %}{{ project.get_status_display }}{% endbadge %}``); the label is
ordinary template content (translated text, a plural, a variable), escaped as everywhere else.
"""

from django import template
from django.utils.html import format_html

register = template.Library()

TONES = ("info", "success", "warning", "danger")


def badge_html(label, tone: str = "info") -> str:
    """The badge's markup: ``label`` is escaped unless it is safe already; a tone KERN has no variant for is
    refused (a template error shows the typo instead of an unstyled badge)."""
    if tone not in TONES:
        raise template.TemplateSyntaxError(f"badge: unknown tone {tone!r} (one of {', '.join(TONES)})")
    return format_html(
        '<span class="kern-badge kern-badge--{}"><span class="kern-label kern-label--small">{}</span></span>',
        tone,
        label,
    )


class BadgeNode(template.Node):
    def __init__(self, tone: template.base.FilterExpression, nodelist: template.NodeList):
        self.tone, self.nodelist = tone, nodelist

    def render(self, context) -> str:
        return badge_html(self.nodelist.render(context), str(self.tone.resolve(context)))


@register.tag
def badge(parser, token):
    """``{% badge "warning" %}{% translate "Internal" %}{% endbadge %}``."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(
            "badge takes one argument, the tone: {% badge tone %}…{% endbadge %}"
        )
    nodelist = parser.parse(("endbadge",))
    parser.delete_first_token()
    return BadgeNode(parser.compile_filter(bits[1]), nodelist)
