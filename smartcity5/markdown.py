"""Markdown for editor-written texts: rendered with Python-Markdown, then sanitised with nh3.

Python-Markdown passes raw HTML through unchanged, so its output is never trusted: nh3 keeps only
the tags and attributes listed below and drops everything else (script and style together with
their content). Headings are demoted so that ``#`` becomes ``<h3>``: the text sits under the
page's ``<h1>`` and section ``<h2>``, and the heading order stays intact (WCAG 1.3.1).
"""

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

#: ``#`` becomes ``<h3>``, ``##`` ``<h4>`` and so on; nothing goes below ``<h6>``.
HEADING_OFFSET = 2

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


class _DemoteHeadings(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            level = _HEADINGS.get(element.tag)
            if level is not None:
                element.tag = f"h{min(level + HEADING_OFFSET, 6)}"


class _DemoteHeadingsExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After "inline" (20) and the extensions' tree processors; the order among them does not matter.
        md.treeprocessors.register(_DemoteHeadings(md), "demote_headings", 1)


def render_markdown(text: str) -> SafeString:
    """Render Markdown to sanitised HTML that is safe to output without escaping."""
    if not text:
        return mark_safe("")
    # A new instance per call: Markdown objects keep state and are not thread-safe.
    md = markdown.Markdown(
        extensions=[*EXTENSIONS, _DemoteHeadingsExtension()],
        output_format="html",
    )
    html = md.convert(str(text))
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return mark_safe(cleaned.strip())
