"""Server-rendered SVG bar chart of federal funds per budget year: no JavaScript, no chart library.

For each budget year three bars: planned (federal share of the year's budget plan), called (requested
from the funder, submitted or paid) and paid. The series differ in fill style as well as colour, so the
chart can be read without colour: planned is an outlined bar, called a solid bar, paid a hatched bar;
the legend shows the same. The ``<desc>`` gives every figure in words for assistive technology.

Follows ``projects/charts.py``: Decimals for amounts, floats only for pixel coordinates, all text through
``format_html``/``escape``.
"""

import math
import uuid
from collections.abc import Sequence
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from funding.money import format_eur, to_decimal
from projects.charts import (
    _CHAR_WIDTH,
    AXIS_COLOUR,
    BACKGROUND,
    FONT_SIZE,
    GRID_COLOUR,
    _decimal_places,
    _fmt,
    _text,
    nice_ticks,
)

# Colours (contrast against white): planned 8.3:1, called 6.3:1, paid 7.7:1, axes and text 18:1
# (WCAG 1.4.11 needs 3:1). Fill styles tell the series apart without colour.
PLANNED_COLOUR = "#00508C"
CALLED_COLOUR = "#1B6E3A"
PAID_COLOUR = "#8C3B00"
SERIES = ("planned", "called", "paid")
_COLOURS = {"planned": PLANNED_COLOUR, "called": CALLED_COLOUR, "paid": PAID_COLOUR}
_MILLION, _THOUSAND = Decimal(1_000_000), Decimal(1_000)


def _series_labels() -> dict[str, str]:
    return {
        "planned": gettext("Planned (federal share)"),
        "called": gettext("Called"),
        "paid": gettext("Paid"),
    }


def _clean_rows(rows) -> list[dict]:
    result = []
    for row in rows:
        clean: dict[str, int | Decimal] = {"year": int(row["year"])}
        for key in SERIES:
            value = to_decimal(row[key] or 0)
            if not value.is_finite() or value < 0:
                raise ValueError(f"{key} for {clean['year']} must be a finite amount of at least 0: {value}")
            clean[key] = value
        result.append(clean)
    result.sort(key=lambda row: row["year"])
    return result


def _number(value: Decimal, places: int) -> str:
    return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def _tick_labels(ticks: list[Decimal]) -> list[str]:
    """Compact euro labels, one scale for the whole axis: ``1,5 M €``, ``250 k €`` or ``2.500 €``."""
    if ticks[-1] >= _MILLION:
        scaled = [tick / _MILLION for tick in ticks]
        template = gettext("%(value)s M €")
    elif ticks[-1] >= 10 * _THOUSAND:
        scaled = [tick / _THOUSAND for tick in ticks]
        template = gettext("%(value)s k €")
    else:
        scaled, template = ticks, "%(value)s €"
    places = _decimal_places(scaled)
    return [template % {"value": _number(value, places)} for value in scaled]


def _description(rows: list[dict]) -> str:
    parts = [gettext("Federal funds per budget year: planned, called from the funder and paid.")]
    for row in rows:
        parts.append(
            gettext("%(year)s: planned %(planned)s, called %(called)s, paid %(paid)s.")
            % {"year": row["year"], **{key: format_eur(row[key]) for key in SERIES}}
        )
    return " ".join(parts)


def _bar_style(series: str, uid: str) -> dict:
    colour = _COLOURS[series]
    fill = {"planned": BACKGROUND, "called": colour, "paid": f"url(#{uid}-hatch)"}[series]
    return {"fill": fill, "stroke": colour, "stroke_width": "2" if series == "planned" else "1"}


def _rect(css_class: str, x: float, y: float, w: float, h: float, style: dict, tooltip: str = ""):
    return format_html(
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}" stroke-width="{}">'
        "{}</rect>",
        css_class,
        _fmt(x),
        _fmt(y),
        _fmt(w),
        _fmt(h),
        style["fill"],
        style["stroke"],
        style["stroke_width"],
        format_html("<title>{}</title>", tooltip) if tooltip else "",
    )


def planned_vs_called_svg(
    *, rows: Sequence[dict], title: str, width: int = 640, height: int = 320
) -> SafeString:
    """An accessible SVG grouped bar chart (planned / called / paid per year), or a short note if empty.

    Raises ``ValueError`` for negative or non-finite amounts and ``TypeError`` for floats.
    """
    rows = _clean_rows(rows)
    if not rows:
        return format_html('<p class="funding-chart__empty">{}</p>', gettext("No budget years to show."))
    title = _text(title)
    labels = _series_labels()

    # --- Scales
    y_ticks = nice_ticks(0, max(row[key] for row in rows for key in SERIES))
    y_high = y_ticks[-1]
    y_labels = _tick_labels(y_ticks)
    width, height = int(width), int(height)
    left = max(48.0, 10 + max(len(label) for label in y_labels) * _CHAR_WIDTH + 8)
    right, top, bottom = width - 16.0, 48.0, height - 36.0
    band = (right - left) / len(rows)
    gap = 2.0
    bar = min(28.0, (band * 0.75 - 2 * gap) / 3)

    def y_of(value: Decimal) -> float:
        return bottom - float(value / y_high) * (bottom - top)

    uid = f"funding-chart-{uuid.uuid4().hex[:12]}"
    parts: list[SafeString] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="funding-chart" role="img" '
            'aria-labelledby="{uid}-title {uid}-desc" viewBox="0 0 {w} {h}" width="100%" '
            'preserveAspectRatio="xMidYMid meet" font-size="{fs}" fill="{text}">',
            uid=uid,
            w=width,
            h=height,
            fs=FONT_SIZE,
            text=AXIS_COLOUR,
        ),
        format_html('<title id="{}-title">{}</title>', uid, title),
        format_html('<desc id="{}-desc">{}</desc>', uid, _description(rows)),
        # Diagonal hatching for "paid": white ground, so the stripes keep their contrast.
        format_html(
            '<defs><pattern id="{uid}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="{bg}"/>'
            '<line x1="1.5" y1="0" x2="1.5" y2="6" stroke="{c}" stroke-width="3"/></pattern></defs>',
            uid=uid,
            bg=BACKGROUND,
            c=PAID_COLOUR,
        ),
        format_html('<rect x="0" y="0" width="{}" height="{}" fill="{}"/>', width, height, BACKGROUND),
    ]

    # --- Legend, top left
    x = left
    for series in SERIES:
        item = format_html('<g class="funding-chart__legend-item funding-chart__legend-item--{}">', series)
        swatch = _rect("funding-chart__swatch", x, 12.0, 14.0, 14.0, _bar_style(series, uid))
        text = format_html('<text x="{}" y="24.0">{}</text></g>', _fmt(x + 20), labels[series])
        parts += [item, swatch, text]
        x += 20 + len(labels[series]) * _CHAR_WIDTH + _CHAR_WIDTH * 2

    # --- Grid and y axis labels
    for tick, label in zip(y_ticks, y_labels, strict=True):
        grid_y = _fmt(y_of(tick))
        parts.append(
            format_html(
                '<line class="funding-chart__grid" x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{}" '
                'stroke-width="1"/>',
                _fmt(left),
                _fmt(right),
                GRID_COLOUR,
                y=grid_y,
            )
        )
        parts.append(
            format_html(
                '<text class="funding-chart__y-label" x="{}" y="{}" text-anchor="end">{}</text>',
                _fmt(left - 8),
                _fmt(y_of(tick) + FONT_SIZE * 0.35),
                label,
            )
        )

    # --- Bars and year labels; labels thin out when the years get too narrow for them
    label_every = max(1, math.ceil((4 * _CHAR_WIDTH + 8) / band))
    for index, row in enumerate(rows):
        centre = left + band * (index + 0.5)
        x = centre - (3 * bar + 2 * gap) / 2
        parts.append(format_html('<g class="funding-chart__year" data-year="{}">', row["year"]))
        for series in SERIES:
            value = row[series]
            tooltip = f"{row['year']} – {labels[series]}: {format_eur(value)}"
            y = y_of(value)
            css_class = f"funding-chart__bar funding-chart__bar--{series}"
            parts.append(_rect(css_class, x, y, bar, bottom - y, _bar_style(series, uid), tooltip))
            if value == 0:  # a thin marker on the baseline, so "nothing" is visibly a value
                parts.append(
                    format_html(
                        '<line class="funding-chart__zero" x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{}" '
                        'stroke-width="3"/>',
                        _fmt(x),
                        _fmt(x + bar),
                        _COLOURS[series],
                        y=_fmt(bottom - 2.25),
                    )
                )
            x += bar + gap
        parts.append(mark_safe("</g>"))
        if index % label_every == 0:
            parts.append(
                format_html(
                    '<text class="funding-chart__x-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                    _fmt(centre),
                    _fmt(bottom + 8 + FONT_SIZE),
                    row["year"],
                )
            )

    # --- Axes, drawn last so the bars do not cover them
    parts.append(
        format_html(
            '<path class="funding-chart__axes" d="M{l} {t} V{b} H{r}" fill="none" stroke="{c}" '
            'stroke-width="1.5"/>',
            l=_fmt(left),
            t=_fmt(top),
            b=_fmt(bottom),
            r=_fmt(right),
            c=AXIS_COLOUR,
        )
    )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))
