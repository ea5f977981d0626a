"""Validators for town data: brand colours that keep WCAG AA contrast, and town slugs that cannot
shadow a fixed URL of the portal."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

# First path segments that belong to the portal itself, never to a town.
RESERVED_SLUGS = frozenset(
    {
        "accounts",
        "admin",
        "agentur",
        "api",
        "i18n",
        "media",
        "static",
        "konto",
        "region",
        "healthz",
        "readyz",
        "projekte",
        "strategie",
        "beteiligung",
        "impressum",
        "datenschutz",
        "barrierefreiheit",
        "wissen",
        "offene-daten",
        "einladung",
        "favicon.ico",
        "robots.txt",
    }
)

# WCAG 2.1 AA: normal text needs 4.5:1.
MIN_CONTRAST = 4.5


def _relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(colour_a: str, colour_b: str) -> float:
    la, lb = sorted((_relative_luminance(colour_a), _relative_luminance(colour_b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def validate_brand_colour(value: str) -> None:
    """A brand colour is used as background behind white text, so it must contrast with white."""
    if not HEX_COLOUR.match(value or ""):
        raise ValidationError(_("Enter a colour as #RRGGBB, e.g. #00508C."), code="format")
    ratio = contrast_ratio(value, "#ffffff")
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            _(
                "White text on this colour has a contrast of %(ratio).1f:1; at least 4.5:1 is required "
                "(WCAG 2.1 AA). Choose a darker colour."
            ),
            params={"ratio": ratio},
            code="contrast",
        )


def validate_town_slug(value: str) -> None:
    if value.lower() in RESERVED_SLUGS:
        raise ValidationError(
            _("“%(slug)s” is a reserved address of the portal and cannot name a town."),
            params={"slug": value},
            code="reserved",
        )


ARS_FORMAT = re.compile(r"^\d{12}$")


def validate_ars(value: str) -> None:
    """The Amtlicher Regionalschlüssel: 12 digits (Land, Regierungsbezirk, Kreis, Gemeindeverband, Gemeinde)."""
    if value and not ARS_FORMAT.match(value):
        raise ValidationError(
            _("Enter the regional key (ARS) as 12 digits, e.g. 059580004004."), code="format"
        )
