"""Mail helpers shared by every task that sends mail."""

import re

from django.template.loader import render_to_string

WHITESPACE = re.compile(r"\s+")


def render_subject(template_name: str, context: dict) -> str:
    """A mail subject rendered from ``template_name`` as one line: line breaks (from the template or from a
    title in it) become spaces, so Django never refuses the header (``BadHeaderError``) and the mail goes out."""
    return WHITESPACE.sub(" ", render_to_string(template_name, context)).strip()
