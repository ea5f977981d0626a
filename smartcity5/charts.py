"""Server-rendered SVG charts, one module for every chart of the portal: no JavaScript, no chart library.

* :func:`kpi_chart_svg` (with :func:`kpi_summary`): a KPI's measurements against baseline and target (projects,
  the town report's PDF);
* :func:`planned_vs_called_svg`: federal funds per budget year, planned, called and paid (funding, the funding
  report's PDF);
* :func:`trend_chart_svg`: a line per town over the last quarters (the Agentur dashboard).

Each chart is an image for assistive technology (``role="img"``): its ``<title>`` names it and its
``<desc>`` says in words what the picture shows (for a KPI: latest value, target, distance to target). The
template should still offer the figures as a table for anyone who needs the exact figures. Series differ in
more than colour (fill style, dash pattern, marker), so a chart can be read without colour.

Numbers are Decimals throughout; pixel coordinates are the only floats. Every text that ends up in
the markup (title, unit, formatted numbers and dates) goes through ``format_html``/``escape``.
"""

import datetime
import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from typing import Any, Literal, TypedDict

from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from smartcity5.money import format_eur, to_decimal
from smartcity5.numbers import decimal_places, plain_decimal

# Colours (contrast against white): series 8.3:1, axes and text 18:1, target 6.9:1 (WCAG 1.4.11 needs 3:1).
SERIES_COLOUR = "#00508C"
AXIS_COLOUR = "#131525"
TARGET_COLOUR = "#B01E00"
# Grid lines only help to read values off; the labels carry the information, so they may be faint.
GRID_COLOUR = "#D5D9DE"
BACKGROUND = "#FFFFFF"

# In viewBox units, which are CSS pixels while the chart is shown at its nominal width. The SVG scales
# with its container (width="100%"), so give it that width where the layout allows.
FONT_SIZE = 13
_CHAR_WIDTH = FONT_SIZE * 0.62  # a generous average glyph width, to keep labels from overlapping
_LABEL_GAP = 16

# Characters that XML 1.0 forbids; HTML parsers shrug them off, XML parsers do not.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- Numbers ----------------------------------------------------------------------------------------


def _to_decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"Not a finite number: {value!r}")
    return result


_STEP_MANTISSAS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5))


def nice_ticks(low, high, max_ticks: int = 5) -> list[Decimal]:
    """Evenly spaced, round tick values from at most ``low`` to at least ``high``.

    The step is 1, 2, 2.5 or 5 times a power of ten, the smallest one that needs no more than
    ``max_ticks`` ticks (at least 3 when the range crosses a step boundary awkwardly and only 2 are
    asked for). ``low == high`` is widened around the value; ``low > high`` is swapped.
    """
    low, high = _to_decimal(low), _to_decimal(high)
    if low > high:
        low, high = high, low
    max_intervals = max(int(max_ticks) - 1, 2)
    with localcontext() as ctx:
        ctx.prec = 60
        if low == high:
            if low == 0:
                low, high = Decimal(0), Decimal(1)
            else:
                pad = abs(low) / 10
                low, high = low - pad, high + pad
        raw = (high - low) / max_intervals
        exponent = raw.adjusted()  # floor(log10(raw)) for a positive Decimal
        while True:
            for mantissa in _STEP_MANTISSAS:
                step = mantissa.scaleb(exponent)
                first = (low / step).to_integral_value(rounding=ROUND_FLOOR)
                last = (high / step).to_integral_value(rounding=ROUND_CEILING)
                if last - first <= max_intervals:
                    # Once step >= high - low, last - first <= 2, so the loop always ends.
                    return [plain_decimal((first + i) * step) for i in range(int(last - first) + 1)]
            exponent += 1


def _decimal_places(values: Iterable[Decimal]) -> int:
    return max((decimal_places(v) for v in values), default=0)


def _number(value: Decimal, decimal_pos: int | None = None) -> str:
    # Grouped as the KPI list shows it (1.500): an axis label "1500" beside "1.500" in the list reads as two values.
    return number_format(value, decimal_pos=decimal_pos, force_grouping=True)


def _with_unit(number: str, unit: str) -> str:
    return f"{number} {unit}" if unit else number


def _text(value) -> str:
    """Plain text for the markup: always escaped later, even if it came marked safe."""
    return str.__str__(_XML_INVALID.sub("", str(value)).strip())


# --- KPI line chart (projects): the summary ----------------------------------------------------------


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raise TypeError(f"Not a date: {value!r}")


def _sorted_measurements(measurements) -> list[tuple[datetime.date, Decimal]]:
    points = [(_as_date(day), _to_decimal(value)) for day, value in measurements]
    points.sort(key=lambda point: point[0])  # stable: equal dates keep their order
    return points


def kpi_summary(*, measurements, baseline, target) -> dict:
    """Key figures of a KPI, in Decimals.

    ``latest_value``/``latest_date``: the measurement with the latest date (None without measurements).
    ``distance_to_target``: target − latest value (None without target or measurements).
    ``achieved_share``: how far the latest value has come from baseline to target, clamped to 0..1
    (None without baseline, target or measurements, or if baseline equals target).
    ``direction``: "increase" if the target lies above the baseline, "decrease" if below, else None.
    """
    points = _sorted_measurements(measurements)
    baseline = None if baseline is None else _to_decimal(baseline)
    target = None if target is None else _to_decimal(target)
    latest_date, latest_value = points[-1] if points else (None, None)

    distance = None
    if target is not None and latest_value is not None:
        distance = target - latest_value

    direction = None
    share = None
    if baseline is not None and target is not None and baseline != target:
        direction = "increase" if target > baseline else "decrease"
        if latest_value is not None:
            share = (latest_value - baseline) / (target - baseline)
            share = min(max(share, Decimal(0)), Decimal(1))
    return {
        "latest_value": latest_value,
        "latest_date": latest_date,
        "distance_to_target": distance,
        "achieved_share": share,
        "direction": direction,
    }


# --- KPI line chart (projects): the chart ------------------------------------------------------------


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _date_ticks(
    start: datetime.date, end: datetime.date, plot_width: float
) -> list[tuple[datetime.date, str]]:
    """Calendar ticks in [start, end] with labels that fit side by side into ``plot_width``."""
    if start == end:
        return [(start, date_format(start, "SHORT_DATE_FORMAT"))]
    span = (end - start).days
    most = max(2, int(plot_width // 40))

    def days(step):
        return [start + datetime.timedelta(days=n) for n in range(0, span + 1, step)]

    def months(step):
        day = start if start.day == 1 else _add_months(start, 1)
        while (day.month - 1) % step:
            day = _add_months(day, 1)
        result = []
        while day <= end:
            result.append(day)
            day = _add_months(day, step)
        return result

    def years(step):
        year = start.year if (start.month, start.day) == (1, 1) else start.year + 1
        year += -year % step
        return [datetime.date(y, 1, 1) for y in range(year, end.year + 1, step)]

    candidates = [(days, n, n, "SHORT_DATE_FORMAT") for n in (1, 2, 7, 14)]
    candidates += [(months, n, 30 * n, "YEAR_MONTH_FORMAT") for n in (1, 2, 3, 6)]
    candidates += [(years, n, 365 * n, "Y") for n in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000)]
    ticks: list[tuple[datetime.date, str]] = []
    for make, step, approx_days, fmt in candidates:
        if span / approx_days > most:
            continue
        ticks = [(day, date_format(day, fmt)) for day in make(step)]
        width = sum(len(label) * _CHAR_WIDTH + _LABEL_GAP for _, label in ticks)
        if ticks and width <= plot_width:
            return ticks
    return ticks or [(start, date_format(start, "SHORT_DATE_FORMAT"))]


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _y_grid(ticks, labels, y_of, left: float, right: float, css: str | None) -> list[SafeString]:
    """The horizontal grid line and the y axis label of each tick, for every chart here: ``css`` is the chart's
    class prefix (``kpi-chart`` gives ``kpi-chart__grid`` and ``kpi-chart__y-label``), ``None`` draws them
    unclassed (the trend chart)."""
    grid = format_html(' class="{}__grid"', css) if css else ""
    axis = format_html(' class="{}__y-label"', css) if css else ""
    parts = []
    for tick, label in zip(ticks, labels, strict=True):
        y = _fmt(y_of(tick))
        parts.append(
            format_html(
                '<line{} x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>',
                grid,
                _fmt(left),
                y,
                _fmt(right),
                y,
                GRID_COLOUR,
            )
        )
        parts.append(
            format_html(
                '<text{} x="{}" y="{}" text-anchor="end">{}</text>',
                axis,
                _fmt(left - 8),
                _fmt(y_of(tick) + FONT_SIZE * 0.35),
                label,
            )
        )
    return parts


def _axes(left: float, top: float, bottom: float, right: float, css: str | None) -> SafeString:
    """The y and x axes as one path (``css``: the chart's class prefix, as for :func:`_y_grid`)."""
    return format_html(
        '<path{} d="M{} {} V{} H{}" fill="none" stroke="{}" stroke-width="1.5"/>',
        format_html(' class="{}__axes"', css) if css else "",
        _fmt(left),
        _fmt(top),
        _fmt(bottom),
        _fmt(right),
        AXIS_COLOUR,
    )


def _description(*, description, points, summary, baseline, baseline_date, target, target_date, unit):
    parts = [_text(description)] if description else []
    count = len(points)
    latest_value, latest_date = summary["latest_value"], summary["latest_date"]

    def amount(value):
        return _with_unit(_number(value), unit)

    if latest_value is None:
        parts.append(gettext("No measurements yet."))
    else:
        first = points[0][0]
        if count > 1:
            parts.append(
                ngettext(
                    "%(count)s measurement from %(first)s to %(last)s.",
                    "%(count)s measurements from %(first)s to %(last)s.",
                    count,
                )
                % {
                    "count": count,
                    "first": date_format(first, "SHORT_DATE_FORMAT"),
                    "last": date_format(latest_date, "SHORT_DATE_FORMAT"),
                }
            )
        parts.append(
            gettext("Latest value: %(value)s on %(date)s.")
            % {"value": amount(latest_value), "date": date_format(latest_date, "SHORT_DATE_FORMAT")}
        )
    if baseline is not None:
        if baseline_date is not None:
            parts.append(
                gettext("Baseline: %(value)s on %(date)s.")
                % {"value": amount(baseline), "date": date_format(baseline_date, "SHORT_DATE_FORMAT")}
            )
        else:
            parts.append(gettext("Baseline: %(value)s.") % {"value": amount(baseline)})
    if target is not None:
        if target_date is not None:
            parts.append(
                gettext("Target: %(value)s by %(date)s.")
                % {"value": amount(target), "date": date_format(target_date, "SHORT_DATE_FORMAT")}
            )
        else:
            parts.append(gettext("Target: %(value)s.") % {"value": amount(target)})
        distance = summary["distance_to_target"]
        if distance is not None:
            direction = summary["direction"]
            overshoot = (direction == "increase" and distance < 0) or (
                direction == "decrease" and distance > 0
            )
            if distance == 0:
                parts.append(gettext("The target has been reached."))
            elif overshoot:
                parts.append(gettext("Target exceeded by %(value)s.") % {"value": amount(abs(distance))})
            elif direction is None:
                parts.append(gettext("Distance to target: %(value)s.") % {"value": amount(distance)})
            else:
                parts.append(gettext("Distance to target: %(value)s.") % {"value": amount(abs(distance))})
    return " ".join(part for part in parts if part)


def kpi_chart_svg(
    *,
    measurements: Sequence[tuple[datetime.date, Decimal]],
    unit: str = "",
    baseline: Decimal | None = None,
    baseline_date: datetime.date | None = None,
    target: Decimal | None = None,
    target_date: datetime.date | None = None,
    title: str,
    description: str = "",
    width: int = 640,
    height: int = 300,
) -> SafeString:
    """An accessible SVG line chart of a KPI, or an empty string if there is nothing to plot.

    The baseline is drawn as the first point of the series (a hollow marker) when it has a date;
    without a date it only widens the y axis and appears in the description. The target is a dashed
    horizontal line; a target date on or after the first point adds a vertical marker there.
    """
    unit = _text(unit)
    title = _text(title)
    points = _sorted_measurements(measurements)
    baseline = None if baseline is None else _to_decimal(baseline)
    target = None if target is None else _to_decimal(target)
    baseline_date = None if baseline_date is None else _as_date(baseline_date)
    target_date = None if target_date is None else _as_date(target_date)
    summary = kpi_summary(measurements=points, baseline=baseline, target=target)

    series = [(day, value, False) for day, value in points]
    if baseline is not None and baseline_date is not None:
        series.insert(0, (baseline_date, baseline, True))
        series.sort(key=lambda point: point[0])  # stable: the baseline stays first on its date
    if not series:
        return mark_safe("")

    # --- Scales
    values = [value for _, value, _ in series]
    values += [v for v in (baseline, target) if v is not None]
    y_ticks = nice_ticks(min(values), max(values))
    y_low, y_high = y_ticks[0], y_ticks[-1]
    y_places = _decimal_places(y_ticks)
    y_labels = [_number(tick, y_places) for tick in y_ticks]

    x_start, x_end = series[0][0], series[-1][0]
    # The target date's marker, when it lies on or after the first point.
    marked_date = target_date if target_date is not None and target_date >= x_start else None
    if marked_date is not None and marked_date > x_end:
        x_end = marked_date

    width, height = int(width), int(height)
    longest_y_label = max(len(label) for label in y_labels)
    left = max(48.0, 10 + longest_y_label * _CHAR_WIDTH + 8)
    right = width - 16.0
    top = 40.0
    bottom = height - 36.0
    inset = 10.0  # keeps the first and last marker off the axes

    def x_of(day: datetime.date) -> float:
        span = (x_end - x_start).days
        if span == 0:
            return (left + right) / 2
        share = (day - x_start).days / span
        return left + inset + share * (right - left - 2 * inset)

    def y_of(value: Decimal) -> float:
        share = float((value - y_low) / (y_high - y_low))
        return bottom - share * (bottom - top)

    uid = f"kpi-chart-{uuid.uuid4().hex[:12]}"
    desc = _description(
        description=description,
        points=points,
        summary=summary,
        baseline=baseline,
        baseline_date=baseline_date,
        target=target,
        target_date=target_date,
        unit=unit,
    )
    parts: list[SafeString] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="kpi-chart" role="img" '
            'aria-labelledby="{uid}-title {uid}-desc" viewBox="0 0 {w} {h}" width="100%" '
            'preserveAspectRatio="xMidYMid meet" font-size="{fs}" fill="{text}">',
            uid=uid,
            w=width,
            h=height,
            fs=FONT_SIZE,
            text=AXIS_COLOUR,
        ),
        format_html('<title id="{}-title">{}</title>', uid, title),
        format_html('<desc id="{}-desc">{}</desc>', uid, desc),
        format_html('<rect x="0" y="0" width="{}" height="{}" fill="{}"/>', width, height, BACKGROUND),
    ]

    # --- Grid, y axis labels, unit
    parts += _y_grid(y_ticks, y_labels, y_of, left, right, "kpi-chart")
    if unit:
        parts.append(format_html('<text class="kpi-chart__unit" x="4" y="16">{}</text>', unit))

    # --- x axis labels
    for day, label in _date_ticks(x_start, x_end, right - left):
        x = x_of(day)
        half = len(label) * _CHAR_WIDTH / 2
        label_x = min(max(x, half + 2), width - half - 2)
        parts.append(
            format_html(
                '<line class="kpi-chart__x-tick" x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{c}" '
                'stroke-width="1"/>',
                x=_fmt(x),
                y1=_fmt(bottom),
                y2=_fmt(bottom + 5),
                c=AXIS_COLOUR,
            )
        )
        parts.append(
            format_html(
                '<text class="kpi-chart__x-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                _fmt(label_x),
                _fmt(bottom + 8 + FONT_SIZE),
                label,
            )
        )

    # --- Axes
    parts.append(_axes(left, top, bottom, right, "kpi-chart"))

    # --- Target
    target_label_y = None
    if target is not None:
        ty = y_of(target)
        parts.append(
            format_html(
                '<line class="kpi-chart__target" x1="{}" y1="{ty}" x2="{}" y2="{ty}" stroke="{c}" '
                'stroke-width="2" stroke-dasharray="8 5"/>',
                _fmt(left),
                _fmt(right),
                ty=_fmt(ty),
                c=TARGET_COLOUR,
            )
        )
        label = gettext("Target: %(value)s") % {"value": _with_unit(_number(target), unit)}
        above = ty - 6
        # Above the line unless that would run into the unit caption in the top left corner.
        target_label_y = above if above - FONT_SIZE >= 20 else ty + FONT_SIZE + 4
        label_end = right - 4
        if marked_date is not None:
            # Keep the label clear of the target-date marker when that sits under it.
            tx = x_of(marked_date)
            label_width = len(label) * _CHAR_WIDTH
            if label_end - label_width - 4 < tx < right and tx - 6 - label_width > left:
                label_end = tx - 6
        parts.append(
            _halo_text("kpi-chart__target-label", label_end, target_label_y, "end", label, TARGET_COLOUR)
        )
    if marked_date is not None:
        tx = x_of(marked_date)
        parts.append(
            format_html(
                '<line class="kpi-chart__target-date" x1="{tx}" y1="{}" x2="{tx}" y2="{}" stroke="{c}" '
                'stroke-width="2" stroke-dasharray="3 4"/>',
                _fmt(top),
                _fmt(bottom),
                tx=_fmt(tx),
                c=TARGET_COLOUR,
            )
        )
        label = date_format(marked_date, "SHORT_DATE_FORMAT")
        # Put the date at the top or bottom of the marker, whichever is farther from the target label.
        upper, lower = top + FONT_SIZE + 2, bottom - 6
        label_y = lower
        if target_label_y is not None and abs(target_label_y - lower) < abs(target_label_y - upper):
            label_y = upper
        anchor, label_x = ("end", tx - 5) if tx - left > len(label) * _CHAR_WIDTH + 10 else ("start", tx + 5)
        parts.append(
            _halo_text("kpi-chart__target-date-label", label_x, label_y, anchor, label, TARGET_COLOUR)
        )

    # --- Series
    coordinates = [(x_of(day), y_of(value)) for day, value, _ in series]
    parts.append(
        format_html(
            '<polyline class="kpi-chart__series" points="{}" fill="none" stroke="{}" stroke-width="2.5" '
            'stroke-linejoin="round" stroke-linecap="round"/>',
            " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in coordinates),
            SERIES_COLOUR,
        )
    )
    for (day, value, is_baseline), (x, y) in zip(series, coordinates, strict=True):
        tooltip = f"{date_format(day, 'SHORT_DATE_FORMAT')}: {_with_unit(_number(value), unit)}"
        if is_baseline:
            tooltip = gettext("Baseline: %(value)s") % {"value": tooltip}
        parts.append(
            format_html(
                '<circle class="kpi-chart__point{}" cx="{}" cy="{}" r="{}" fill="{}" stroke="{}" '
                'stroke-width="{}"><title>{}</title></circle>',
                " kpi-chart__point--baseline" if is_baseline else "",
                _fmt(x),
                _fmt(y),
                "4.5" if is_baseline else "4",
                BACKGROUND if is_baseline else SERIES_COLOUR,
                SERIES_COLOUR,
                "2" if is_baseline else "1",
                tooltip,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))


def _halo_text(css_class: str, x: float, y: float, anchor: str, text: str, colour: str) -> SafeString:
    """Text with a white outline, so it stays legible where it crosses a line."""
    return format_html(
        '<text class="{}" x="{}" y="{}" text-anchor="{}" fill="{}" stroke="{}" stroke-width="4" '
        'stroke-linejoin="round" paint-order="stroke">{}</text>',
        css_class,
        _fmt(x),
        _fmt(y),
        anchor,
        colour,
        BACKGROUND,
        text,
    )


# --- Federal funds per budget year (funding) -----------------------------------------------------------
# Three bars a year: planned (federal share of the year's budget plan), called (requested from the funder,
# submitted or paid) and paid. Planned is an outlined bar, called a solid bar, paid a hatched bar; the legend
# shows the same. The ``<desc>`` gives every figure in words.

# Colours (contrast against white): planned 8.3:1, called 6.3:1, paid 7.7:1, axes and text 18:1
# (WCAG 1.4.11 needs 3:1). Fill styles tell the series apart without colour.
PLANNED_COLOUR = "#00508C"
CALLED_COLOUR = "#1B6E3A"
PAID_COLOUR = "#8C3B00"
FundingSeries = Literal["planned", "called", "paid"]
FUNDING_SERIES: tuple[FundingSeries, ...] = ("planned", "called", "paid")
_FUNDING_COLOURS: dict[FundingSeries, str] = {
    "planned": PLANNED_COLOUR,
    "called": CALLED_COLOUR,
    "paid": PAID_COLOUR,
}
_MILLION, _THOUSAND = Decimal(1_000_000), Decimal(1_000)


class FundingYear(TypedDict):
    """One budget year of the chart, checked: the federal funds planned, called and paid, in euros."""

    year: int
    planned: Decimal
    called: Decimal
    paid: Decimal


class _BarStyle(TypedDict):
    fill: str
    stroke: str
    stroke_width: str


def _funding_labels() -> dict[FundingSeries, str]:
    return {
        "planned": gettext("Planned (federal share)"),
        "called": gettext("Called"),
        "paid": gettext("Paid"),
    }


def _funding_rows(rows: Iterable[Mapping[str, Any]]) -> list[FundingYear]:
    result = []
    for row in rows:
        year = int(row["year"])
        amounts: dict[FundingSeries, Decimal] = {}
        for key in FUNDING_SERIES:
            value = to_decimal(row[key] or 0)
            if not value.is_finite() or value < 0:
                raise ValueError(f"{key} for {year} must be a finite amount of at least 0: {value}")
            amounts[key] = value
        result.append(
            FundingYear(year=year, planned=amounts["planned"], called=amounts["called"], paid=amounts["paid"])
        )
    result.sort(key=lambda row: row["year"])
    return result


def _grouped(value: Decimal, places: int) -> str:
    return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def _euro_tick_labels(ticks: list[Decimal]) -> list[str]:
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
    return [template % {"value": _grouped(value, places)} for value in scaled]


def _funding_description(rows: list[FundingYear]) -> str:
    parts = [gettext("Federal funds per budget year: planned, called from the funder and paid.")]
    for row in rows:
        values: dict[str, object] = {"year": row["year"]}
        values.update({key: format_eur(row[key]) for key in FUNDING_SERIES})
        parts.append(gettext("%(year)s: planned %(planned)s, called %(called)s, paid %(paid)s.") % values)
    return " ".join(parts)


def _funding_bar_style(series: FundingSeries, uid: str) -> _BarStyle:
    colour = _FUNDING_COLOURS[series]
    fills: dict[FundingSeries, str] = {"planned": BACKGROUND, "called": colour, "paid": f"url(#{uid}-hatch)"}
    fill = fills[series]
    return _BarStyle(fill=fill, stroke=colour, stroke_width="2" if series == "planned" else "1")


def _funding_rect(
    css_class: str, x: float, y: float, w: float, h: float, style: _BarStyle, tooltip: str = ""
) -> SafeString:
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
    *, rows: Sequence[Mapping[str, Any]], title: str, width: int = 640, height: int = 320
) -> SafeString:
    """An accessible SVG grouped bar chart (planned / called / paid per year), or a short note if empty.

    Raises ``ValueError`` for negative or non-finite amounts and ``TypeError`` for floats.
    """
    years = _funding_rows(rows)
    if not years:
        return format_html('<p class="funding-chart__empty">{}</p>', gettext("No budget years to show."))
    title = _text(title)
    labels = _funding_labels()

    # --- Scales
    y_ticks = nice_ticks(0, max(row[key] for row in years for key in FUNDING_SERIES))
    y_high = y_ticks[-1]
    y_labels = _euro_tick_labels(y_ticks)
    width, height = int(width), int(height)
    left = max(48.0, 10 + max(len(label) for label in y_labels) * _CHAR_WIDTH + 8)
    right, top, bottom = width - 16.0, 48.0, height - 36.0
    band = (right - left) / len(years)
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
        format_html('<desc id="{}-desc">{}</desc>', uid, _funding_description(years)),
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
    for series in FUNDING_SERIES:
        item = format_html('<g class="funding-chart__legend-item funding-chart__legend-item--{}">', series)
        swatch = _funding_rect("funding-chart__swatch", x, 12.0, 14.0, 14.0, _funding_bar_style(series, uid))
        text = format_html('<text x="{}" y="24.0">{}</text></g>', _fmt(x + 20), labels[series])
        parts += [item, swatch, text]
        x += 20 + len(labels[series]) * _CHAR_WIDTH + _CHAR_WIDTH * 2

    # --- Grid and y axis labels
    parts += _y_grid(y_ticks, y_labels, y_of, left, right, "funding-chart")

    # --- Bars and year labels; labels thin out when the years get too narrow for them
    label_every = max(1, math.ceil((4 * _CHAR_WIDTH + 8) / band))
    for index, row in enumerate(years):
        centre = left + band * (index + 0.5)
        x = centre - (3 * bar + 2 * gap) / 2
        parts.append(format_html('<g class="funding-chart__year" data-year="{}">', row["year"]))
        for series in FUNDING_SERIES:
            value = row[series]
            tooltip = f"{row['year']} – {labels[series]}: {format_eur(value)}"
            y = y_of(value)
            css_class = f"funding-chart__bar funding-chart__bar--{series}"
            parts.append(
                _funding_rect(css_class, x, y, bar, bottom - y, _funding_bar_style(series, uid), tooltip)
            )
            if value == 0:  # a thin marker on the baseline, so "nothing" is visibly a value
                parts.append(
                    format_html(
                        '<line class="funding-chart__zero" x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{}" '
                        'stroke-width="3"/>',
                        _fmt(x),
                        _fmt(x + bar),
                        _FUNDING_COLOURS[series],
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
    parts.append(_axes(left, top, bottom, right, "funding-chart"))
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))


# --- Trends per town (the Agentur) ---------------------------------------------------------------------
# A line per town (the Agentur dashboard's trends): Decimals for values, floats only for pixels, all text escaped.
# Towns differ in colour, line pattern and marker shape, so the
# chart can be read without colour; the template shows the same figures as a table.

SERIES_STYLES = (  # colour (contrast to white at least 6:1), dash pattern, marker
    ("#00508C", "none", "circle"),
    ("#B01E00", "6 3", "square"),
    ("#1B6E3A", "2 3", "triangle"),
    ("#8C3B00", "8 3 2 3", "diamond"),
    ("#5B2A86", "1 4", "circle-open"),
    ("#131525", "10 4", "square-open"),
)
_MARKER_RADIUS = 4.0


def _polygon(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)


def _marker(shape: str, x: float, y: float, colour: str) -> SafeString:
    r = _MARKER_RADIUS
    fill = BACKGROUND if shape.endswith("-open") else colour
    if shape.startswith("circle"):
        return format_html(
            '<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="{}" stroke-width="2"/>',
            _fmt(x),
            _fmt(y),
            _fmt(r),
            fill,
            colour,
        )
    if shape.startswith("square"):
        return format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}" stroke-width="2"/>',
            _fmt(x - r),
            _fmt(y - r),
            _fmt(2 * r),
            _fmt(2 * r),
            fill,
            colour,
        )
    big = r + 1
    if shape == "triangle":
        points = [(x, y - big), (x + big, y + r), (x - big, y + r)]
    else:  # diamond
        points = [(x, y - big), (x + big, y), (x, y + big), (x - big, y)]
    return format_html(
        '<polygon points="{}" fill="{}" stroke="{}" stroke-width="2"/>', _polygon(points), fill, colour
    )


def trend_chart_svg(
    *,
    title: str,
    summary: str,
    quarters: Sequence,
    series,
    formatter=str,
    width: int = 720,
    height: int = 320,
) -> SafeString:
    """An accessible SVG line chart: one line per town (``series``: ``[(town, [value per quarter])]``, a town with
    ``name`` and ``slug``; ``quarters``: anything with a ``label``, oldest first)."""
    series = [(town, [Decimal(value or 0) for value in values]) for town, values in series]
    if not series or not quarters:
        return format_html('<p class="kern-body">{}</p>', gettext("No towns to show."))
    title = _text(title)
    highest = max((value for _town, values in series for value in values), default=Decimal(0))
    ticks = nice_ticks(0, max(highest, Decimal(4)))  # whole steps when all is small
    labels = [formatter(tick) for tick in ticks]
    legend_rows = (len(series) + 2) // 3
    left = max(48.0, 10 + max(len(label) for label in labels) * _CHAR_WIDTH + 8)
    right, top, bottom = width - 16.0, 24.0 + legend_rows * 22.0, height - 36.0
    step = (right - left) / max(len(quarters) - 1, 1)

    def x_of(index: int) -> float:
        return left + index * step if len(quarters) > 1 else (left + right) / 2

    def y_of(value: Decimal) -> float:
        return bottom - float(value / ticks[-1]) * (bottom - top)

    description = [_text(summary)]
    for town, values in series:
        figures = ", ".join(
            f"{quarter.label} {formatter(value)}" for quarter, value in zip(quarters, values, strict=True)
        )
        description.append(gettext("%(town)s: %(values)s.") % {"town": _text(town.name), "values": figures})
    uid = f"trend-{uuid.uuid4().hex[:12]}"
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="sc5-trend" role="img" '
            'aria-labelledby="{uid}-title {uid}-desc" viewBox="0 0 {w} {h}" width="100%" '
            'preserveAspectRatio="xMidYMid meet" font-size="{fs}" fill="{text}">',
            uid=uid,
            w=width,
            h=height,
            fs=FONT_SIZE,
            text=AXIS_COLOUR,
        ),
        format_html('<title id="{}-title">{}</title>', uid, title),
        format_html('<desc id="{}-desc">{}</desc>', uid, " ".join(description)),
        format_html('<rect x="0" y="0" width="{}" height="{}" fill="{}"/>', width, height, BACKGROUND),
    ]
    # --- Legend, three towns a row
    column = (right - left) / 3
    for index, (town, _values) in enumerate(series):
        colour, dash, shape = SERIES_STYLES[index % len(SERIES_STYLES)]
        x, y = left + (index % 3) * column, 16.0 + (index // 3) * 22.0
        parts.append(
            format_html(
                '<g class="sc5-trend__legend-item"><line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{}" '
                'stroke-width="2.5" stroke-dasharray="{}"/>{}<text x="{}" y="{}">{}</text></g>',
                _fmt(x),
                _fmt(x + 28),
                colour,
                dash,
                _marker(shape, x + 14, y, colour),
                _fmt(x + 34),
                _fmt(y + FONT_SIZE * 0.35),
                _text(town.name),
                y=_fmt(y),
            )
        )
    # --- Grid, axis labels
    parts += _y_grid(ticks, labels, y_of, left, right, None)
    for index, quarter in enumerate(quarters):
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                _fmt(x_of(index)),
                _fmt(bottom + 8 + FONT_SIZE),
                quarter.label,
            )
        )
    # --- Lines with markers
    for index, (town, values) in enumerate(series):
        colour, dash, shape = SERIES_STYLES[index % len(SERIES_STYLES)]
        points = _polygon([(x_of(i), y_of(value)) for i, value in enumerate(values)])
        parts.append(
            format_html(
                '<g class="sc5-trend__series" data-town="{}"><polyline points="{}" '
                'fill="none" stroke="{}" stroke-width="2.5" stroke-dasharray="{}"/>',
                town.slug,
                points,
                colour,
                dash,
            )
        )
        parts += [_marker(shape, x_of(i), y_of(value), colour) for i, value in enumerate(values)]
        parts.append(mark_safe("</g>"))
    parts.append(_axes(left, top, bottom, right, None))
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))
