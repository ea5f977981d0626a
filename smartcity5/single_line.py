"""Single-line text: a line break in a title, a name or any other one-line field is refused, never stored.

One rule (:func:`validate_single_line`) in two layers: every form field that is a ``CharField`` without a
``Textarea`` (the project's form renderer hands each form :class:`SingleLineBoundField`, which adds the rule as
the form is validated: pages and the API validate with the same forms), and every model ``CharField`` (for
services that write without a form and call ``full_clean``). Text that goes into a mail subject or a header is
therefore one line already; :mod:`smartcity5.mail` still makes subjects safe on its own."""

import re

from django.core.exceptions import ValidationError
from django.forms import CharField, Textarea
from django.forms.boundfield import BoundField
from django.utils.translation import gettext_lazy as _

# CR, LF and the other characters Python's str.splitlines() treats as line boundaries.
LINE_BREAK = re.compile(r"[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def validate_single_line(value) -> None:
    if isinstance(value, str) and LINE_BREAK.search(value):
        raise ValidationError(_("Please write this on one line, without line breaks."), code="line_break")


def is_single_line(field) -> bool:
    """A form field people type one line into."""
    return isinstance(field, CharField) and not isinstance(field.widget, Textarea)


class SingleLineBoundField(BoundField):
    """Adds :func:`validate_single_line` to the form's own copy of a single-line field (``form.fields`` is a deep
    copy per form, so the class-wide definition stays as it was)."""

    def __init__(self, form, field, name):
        super().__init__(form, field, name)
        if is_single_line(field) and validate_single_line not in field.validators:
            field.validators.append(validate_single_line)


def add_to_model_fields() -> None:
    """Add the rule to every model ``CharField`` (``TextField`` is multi-line and stays as it is); run once when
    the apps are ready."""
    from django.apps import apps
    from django.db import models

    for model in apps.get_models():
        for field in model._meta.local_fields:
            if isinstance(field, models.CharField) and validate_single_line not in field.validators:
                # Into the field's computed list of validators, not into ``_validators``: the rule is no part of
                # the field's definition, so it needs no migration (nor one of third-party apps' models).
                field.__dict__["validators"] = [*field.validators, validate_single_line]
