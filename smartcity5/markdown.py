"""Markdown for editor-written texts: rendered with Python-Markdown, then sanitised with nh3.

Python-Markdown passes raw HTML through unchanged, so its output is never trusted: nh3 keeps only
the tags and attributes listed below and drops everything else (script and style together with
their content). Headings are shifted below the heading the text sits under (``under``, by default a
section's ``<h2>``: the text's top heading becomes ``<h3>``), and never skip a level inside the page: an editor's
``###`` right under that becomes ``<h3>``, a ``#####`` under it ``<h4>`` (WCAG 1.3.1).
"""

import functools
import threading
import xml.etree.ElementTree as etree

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# The parts of "extra" whose output survives the allowlist. Left out: footnotes (their ids are
# stripped, so the links would go nowhere, and two texts on one page would repeat ids), def_list and
# abbr (tags outside the allowlist), md_in_html and attr_list (raw HTML and attributes are dropped anyway).
EXTENSIONS = ["fenced_code", "tables", "sane_lists"]

#: The level of the heading an editor's text sits under by default (a section's ``<h2>``).
DEFAULT_UNDER = 2

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}
# "rel" must not be listed here: nh3 sets it itself (link_rel).
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener nofollow ugc"
# Dropped together with their content (any other tag outside the allowlist keeps its text).
DROPPED_WITH_CONTENT = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "template",
    "noscript",
    "svg",
    "math",
    "textarea",
    "select",
    "title",
}

_HEADINGS = {f"h{level}": level for level in range(1, 7)}


class _ShiftHeadings(Treeprocessor):
    """Each heading one level below the closest earlier heading of a higher rank (the text's top headings one
    below ``under``), so the levels never skip; nothing goes below ``<h6>``."""

    def __init__(self, md, under: int):
        super().__init__(md)
        self.under = under

    def run(self, root: etree.Element) -> None:
        open_sections: list[tuple[int, int]] = []  # (level written, level given) of the enclosing headings
        for element in root.iter():
            written = _HEADINGS.get(element.tag)
            if written is None:
                continue
            while open_sections and open_sections[-1][0] >= written:
                open_sections.pop()
            given = min((open_sections[-1][1] if open_sections else self.under) + 1, 6)
            open_sections.append((written, given))
            element.tag = f"h{given}"


class _ShiftHeadingsExtension(Extension):
    def __init__(self, under: int):
        super().__init__()
        self.under = under

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Python-Markdown's hook name
        # After "inline" (20) and the extensions' tree processors; the order among them does not matter.
        md.treeprocessors.register(_ShiftHeadings(md, self.under), "shift_headings", 1)


def render_markdown(text: str, *, under: int = DEFAULT_UNDER) -> SafeString:
    """Render Markdown to sanitised HTML that is safe to output without escaping; its headings start one level
    below ``under`` (1 for a text right under the page's ``<h1>``) and never skip a level."""
    if not text:
        return mark_safe("")
    under = max(1, min(int(under), 5))
    return mark_safe(_render(str(text), under))


@functools.lru_cache(maxsize=1024)
def _render(text: str, under: int) -> str:
    """The sanitised HTML of one text. A pure function of its arguments, so a worker keeps the latest texts it
    rendered (an idea page with 200 comments renders them all; the next request for it renders none)."""
    html = _converter(under).reset().convert(text)
    cleaned = nh3.clean(
        html,
        # <h2> only for a text right under the page's <h1>; elsewhere it would outrank the page's sections.
        tags=ALLOWED_TAGS | {"h2"} if under <= 1 else ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return cleaned.strip()


_local = threading.local()


def _converter(under: int) -> markdown.Markdown:
    """This thread's Markdown instance for ``under``, reset before each text: building one costs more than
    converting a comment, and an instance keeps state, so threads do not share one."""
    converters = getattr(_local, "converters", None)
    if converters is None:
        converters = _local.converters = {}
    md = converters.get(under)
    if md is None:
        md = converters[under] = markdown.Markdown(
            extensions=[*EXTENSIONS, _ShiftHeadingsExtension(under)], output_format="html"
        )
    return md
