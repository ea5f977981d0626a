"""The KPI chart: accessible SVG, correct geometry, localised numbers, escaping; nice ticks; KPI summary."""

import datetime
import itertools
import random
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.safestring import SafeString

from municipalities.validators import contrast_ratio
from smartcity5 import charts
from smartcity5.charts import kpi_chart_svg, kpi_summary, nice_ticks

NS = "{http://www.w3.org/2000/svg}"
D = Decimal


def day(year, month, day_=1):
    return datetime.date(year, month, day_)


MEASUREMENTS = [
    (day(2024, 7, 1), D("41.5")),
    (day(2024, 1, 1), D("30")),  # deliberately out of order
    (day(2024, 4, 1), D("36.25")),
    (day(2024, 10, 1), D("44")),
]


def render(**kwargs):
    kwargs.setdefault("measurements", MEASUREMENTS)
    kwargs.setdefault("title", "Share of electric buses")
    return kpi_chart_svg(**kwargs)


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def find_class(root, tag, css_class):
    return [el for el in root.iter(NS + tag) if css_class in el.get("class", "").split()]


def polyline_points(root) -> list[tuple[float, ...]]:
    (line,) = find_class(root, "polyline", "kpi-chart__series")
    return [tuple(float(n) for n in pair.split(",")) for pair in line.get("points").split()]


def markers(root):
    return find_class(root, "circle", "kpi-chart__point")


# --- Structure and accessibility


def test_svg_is_an_image_named_by_its_title_and_described():
    svg = render(unit="%", target=D(50), baseline=D(28), baseline_date=day(2023, 12, 1))
    assert isinstance(svg, SafeString)
    root = parse(svg)
    assert root.tag == NS + "svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("viewBox") == "0 0 640 300"
    title, desc = root.find(NS + "title"), root.find(NS + "desc")
    assert list(root)[:2] == [title, desc]
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Share of electric buses"
    with translation.override("en"):
        svg = render(unit="%", target=D(50), baseline=D(28), baseline_date=day(2023, 12, 1))
    desc_text = parse(svg).find(NS + "desc").text
    assert "Latest value: 44 %" in desc_text
    assert "10/01/2024" in desc_text
    assert "Target: 50 %" in desc_text
    assert "Distance to target: 6 %" in desc_text


def test_ids_are_unique_per_chart():
    first, second = parse(render()), parse(render())
    assert first.find(NS + "title").get("id") != second.find(NS + "title").get("id")
    assert first.find(NS + "desc").get("id") != second.find(NS + "desc").get("id")


def test_colours_have_enough_contrast_and_text_is_large_enough():
    for colour in (charts.SERIES_COLOUR, charts.AXIS_COLOUR, charts.TARGET_COLOUR):
        assert contrast_ratio(colour, "#FFFFFF") >= 3
    root = parse(render(target=D(50), target_date=day(2025, 6, 30), unit="%"))
    assert int(root.get("font-size")) >= 12
    assert all(el.get("font-size") is None for el in root.iter(NS + "text"))


# --- Geometry


def test_one_point_per_measurement_plus_baseline():
    root = parse(render(baseline=D(25), baseline_date=day(2023, 12, 1)))
    assert len(polyline_points(root)) == len(MEASUREMENTS) + 1
    assert len(markers(root)) == len(MEASUREMENTS) + 1
    assert len(find_class(root, "circle", "kpi-chart__point--baseline")) == 1
    # The baseline is the first point of the series.
    assert "kpi-chart__point--baseline" in markers(root)[0].get("class")


def test_baseline_without_date_is_not_a_point_but_widens_the_axis():
    root = parse(render(baseline=D(-10)))
    assert len(polyline_points(root)) == len(MEASUREMENTS)
    labels = [el.text for el in find_class(root, "text", "kpi-chart__y-label")]
    assert labels[0].startswith("-")


def test_x_grows_with_the_date_and_higher_values_are_drawn_higher_up():
    root = parse(render())
    points = polyline_points(root)
    xs = [x for x, _ in points]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    # Sorted by date, the values are 30, 36.25, 41.5, 44: rising values, falling y coordinates.
    ys = [y for _, y in points]
    assert ys == sorted(ys, reverse=True) and len(set(ys)) == len(ys)
    for circle, (x, y) in zip(markers(root), points, strict=True):
        assert (float(circle.get("cx")), float(circle.get("cy"))) == (x, y)


def test_points_stay_inside_the_view_box():
    root = parse(render(target=D(-5), target_date=day(2030, 1, 1)))
    _, _, width, height = (float(n) for n in root.get("viewBox").split())
    for x, y in polyline_points(root):
        assert 0 < x < width and 0 < y < height


def test_target_is_a_dashed_line_with_a_label():
    with translation.override("en"):
        root = parse(render(target=D(50), unit="%"))
    (line,) = find_class(root, "line", "kpi-chart__target")
    assert line.get("stroke-dasharray")
    assert line.get("stroke") == charts.TARGET_COLOUR
    assert line.get("y1") == line.get("y2")
    (label,) = find_class(root, "text", "kpi-chart__target-label")
    assert label.text == "Target: 50 %"
    # The target (50) lies above every measurement (at most 44).
    assert float(line.get("y1")) < min(y for _, y in polyline_points(root))


def test_target_date_after_the_data_extends_the_x_axis():
    root = parse(render(target=D(50), target_date=day(2026, 12, 31)))
    (marker,) = find_class(root, "line", "kpi-chart__target-date")
    assert marker.get("x1") == marker.get("x2")
    assert float(marker.get("x1")) > max(x for x, _ in polyline_points(root))
    assert find_class(root, "text", "kpi-chart__target-date-label")


def test_target_date_within_the_data_is_marked_between_the_points():
    root = parse(render(target=D(50), target_date=day(2024, 5, 15)))
    (marker,) = find_class(root, "line", "kpi-chart__target-date")
    xs = [x for x, _ in polyline_points(root)]
    assert xs[1] < float(marker.get("x1")) < xs[2]


def test_target_date_before_the_data_gets_no_marker():
    root = parse(render(target=D(50), target_date=day(2020, 1, 1)))
    assert not find_class(root, "line", "kpi-chart__target-date")


# --- Localisation and escaping


def test_german_labels_use_a_decimal_comma():
    measurements = [(day(2024, 1, 1), D("0.15")), (day(2024, 2, 1), D("0.45"))]
    with translation.override("de"):
        root = parse(render(measurements=measurements, target=D("0.9"), unit="t"))
    y_labels = [el.text for el in find_class(root, "text", "kpi-chart__y-label")]
    assert y_labels == ["0,00", "0,25", "0,50", "0,75", "1,00"]
    (target_label,) = find_class(root, "text", "kpi-chart__target-label")
    assert "0,9 t" in target_label.text
    desc = root.find(NS + "desc").text
    assert "0,45 t" in desc
    assert "01.02.2024" in desc


def test_english_labels_use_a_decimal_point():
    measurements = [(day(2024, 1, 1), D("0.15")), (day(2024, 2, 1), D("0.45"))]
    with translation.override("en"):
        root = parse(render(measurements=measurements, target=D("0.9")))
    y_labels = [el.text for el in find_class(root, "text", "kpi-chart__y-label")]
    assert y_labels == ["0.00", "0.25", "0.50", "0.75", "1.00"]


def test_hostile_title_unit_and_description_are_escaped():
    hostile = '"/><script>alert(1)</script><text onload="x">&amp;'
    svg = render(title=hostile, unit=hostile, description=hostile, target=D(50), target_date=day(2025, 1, 1))
    root = parse(svg)  # still well-formed XML
    assert "<script" not in svg
    assert not list(root.iter(NS + "script"))
    assert all(el.get("onload") is None for el in root.iter())
    assert root.find(NS + "title").text == hostile
    assert root.find(NS + "desc").text.startswith(hostile)
    assert find_class(root, "text", "kpi-chart__unit")[0].text == hostile
    assert hostile in find_class(root, "text", "kpi-chart__target-label")[0].text


def test_marked_safe_input_is_escaped_too_and_control_characters_are_dropped():
    from django.utils.safestring import mark_safe

    root = parse(render(title=mark_safe("<b>Bus</b>\x00\x0b"), unit="%\x1f"))
    assert root.find(NS + "title").text == "<b>Bus</b>"
    assert not list(root.iter(NS + "b"))


# --- Edge cases


def test_nothing_to_plot_gives_an_empty_safe_string():
    svg = kpi_chart_svg(measurements=[], title="Empty", target=D(10), target_date=day(2030, 1, 1))
    assert svg == "" and isinstance(svg, SafeString)
    # A baseline without a date is no point either.
    assert kpi_chart_svg(measurements=[], baseline=D(5), title="Empty") == ""


def test_a_dated_baseline_alone_is_plotted():
    root = parse(
        kpi_chart_svg(
            measurements=[], baseline=D(5), baseline_date=day(2024, 1, 1), target=D(10), title="Baseline only"
        )
    )
    assert len(polyline_points(root)) == 1
    with translation.override("en"):
        root = parse(kpi_chart_svg(measurements=[], baseline=D(5), baseline_date=day(2024, 1, 1), title="B"))
    assert "No measurements yet." in root.find(NS + "desc").text


def test_single_measurement_sits_in_the_middle():
    root = parse(render(measurements=[(day(2025, 3, 1), D("0.5"))]))
    ((x, _y),) = polyline_points(root)
    _, _, width, _ = (float(n) for n in root.get("viewBox").split())
    left = float(find_class(root, "line", "kpi-chart__grid")[0].get("x1"))
    assert x == pytest.approx((left + width - 16) / 2, abs=0.1)
    assert len(find_class(root, "text", "kpi-chart__x-label")) == 1


def test_all_equal_values_get_a_proper_axis():
    measurements = [(day(2024, m, 1), D(7)) for m in range(1, 7)]
    root = parse(render(measurements=measurements))
    ys = {y for _, y in polyline_points(root)}
    assert len(ys) == 1
    labels = [el.text for el in find_class(root, "text", "kpi-chart__y-label")]
    assert len(set(labels)) == len(labels) >= 2


def test_negative_values():
    measurements = [(day(2024, 1, d), D(-d * 3)) for d in range(1, 11)]
    with translation.override("en"):
        root = parse(render(measurements=measurements, target=D(2)))
    ys = [y for _, y in polyline_points(root)]
    assert ys == sorted(ys)  # falling values, growing y
    labels = [el.text for el in find_class(root, "text", "kpi-chart__y-label")]
    assert labels[0].startswith("-") and not labels[-1].startswith("-")


def test_long_ranges_get_few_readable_date_labels():
    measurements = [(day(2000 + y, 6, 1), D(y)) for y in range(30)]
    root = parse(render(measurements=measurements))
    labels = [el.text for el in find_class(root, "text", "kpi-chart__x-label")]
    assert 2 <= len(labels) <= 10
    assert all(label.isdigit() for label in labels)  # years


def test_datetimes_floats_and_custom_size_are_accepted():
    measurements = [(datetime.datetime(2024, 1, 1, 12), 1.5), (datetime.datetime(2024, 2, 1, 12), 2)]
    root = parse(kpi_chart_svg(measurements=measurements, title="T", width=320, height=200))
    assert root.get("viewBox") == "0 0 320 200"
    assert len(polyline_points(root)) == 2


def test_not_a_number_is_refused():
    with pytest.raises(ValueError):
        render(measurements=[(day(2024, 1, 1), D("NaN"))])


# --- nice_ticks


def test_nice_ticks_examples():
    assert nice_ticks(0, 100) == [D(0), D(25), D(50), D(75), D(100)]
    assert nice_ticks(D("0.1"), D("0.9")) == [D(0), D("0.25"), D("0.5"), D("0.75"), D(1)]
    assert nice_ticks(-3, 7) == [D(-5), D(0), D(5), D(10)]
    assert nice_ticks(100, 0) == nice_ticks(0, 100)
    assert nice_ticks(0, 0) == [D(0), D("0.25"), D("0.5"), D("0.75"), D(1)]
    ticks = nice_ticks(5, 5)
    assert ticks[0] < 5 < ticks[-1]
    ticks = nice_ticks(-5, -5)
    assert ticks[0] < -5 < ticks[-1]


def test_nice_ticks_give_plain_decimals():
    assert [str(t) for t in nice_ticks(0, 1000)] == ["0", "250", "500", "750", "1000"]
    assert all(str(t) != "-0" for t in nice_ticks(-1, 1) + nice_ticks(D("-0.3"), D("0.3")))


def test_tiny_values_are_labelled_without_exponents():
    measurements = [(day(2024, 1, 1), D("1E-9")), (day(2024, 2, 1), D("3E-9"))]
    with translation.override("en"):
        root = parse(render(measurements=measurements))
    labels = [el.text for el in find_class(root, "text", "kpi-chart__y-label")]
    assert labels[0] == "0.0000000010" and labels[-1] == "0.0000000030"
    assert not any("E" in label for label in labels)


def _random_decimal(rng: random.Random) -> Decimal:
    mantissa = rng.randint(-999_999, 999_999)
    return Decimal(mantissa).scaleb(rng.randint(-12, 8))


def test_nice_ticks_properties_over_many_inputs():
    rng = random.Random(42)
    for _ in range(3000):
        kind = rng.random()
        low = _random_decimal(rng)
        if kind < 0.15:
            high = low  # a constant series
        elif kind < 0.35:
            high = low + Decimal(rng.randint(1, 9)).scaleb(rng.randint(-15, -3)) * abs(low or 1)  # tiny range
        else:
            high = _random_decimal(rng)
        max_ticks = rng.randint(2, 10)
        ticks = nice_ticks(low, high, max_ticks)
        case = (low, high, max_ticks, ticks)
        assert all(isinstance(t, Decimal) for t in ticks), case
        assert 2 <= len(ticks) <= max_ticks + 2, case
        assert ticks[0] <= min(low, high) and ticks[-1] >= max(low, high), case
        steps = {b - a for a, b in itertools.pairwise(ticks)}
        assert len(steps) == 1 and steps.pop() > 0, case
        if low == high:
            assert ticks[0] < low < ticks[-1] or low == 0, case


def test_nice_ticks_stay_within_max_ticks_when_asked_for_at_least_three():
    rng = random.Random(42)
    for _ in range(1000):
        low, high = sorted((_random_decimal(rng), _random_decimal(rng)))
        max_ticks = rng.randint(3, 10)
        assert len(nice_ticks(low, high, max_ticks)) <= max_ticks


# --- kpi_summary


def test_summary_of_a_rising_kpi():
    summary = kpi_summary(measurements=MEASUREMENTS, baseline=D(24), target=D(54))
    assert summary == {
        "latest_value": D(44),
        "latest_date": day(2024, 10, 1),
        "distance_to_target": D(10),
        "achieved_share": D(20) / D(30),
        "direction": "increase",
    }
    assert all(not isinstance(v, float) for v in summary.values())


def test_summary_of_a_falling_kpi():
    measurements = [(day(2024, 1, 1), D(900)), (day(2025, 1, 1), D("800.5"))]
    summary = kpi_summary(measurements=measurements, baseline=D(1000), target=D(500))
    assert summary["direction"] == "decrease"
    assert summary["distance_to_target"] == D("-300.5")
    assert summary["achieved_share"] == D("0.399")
    assert isinstance(summary["achieved_share"], Decimal)


@pytest.mark.parametrize(
    "latest,share",
    [(D(60), D(1)), (D(5), D(0)), (D(20), D(1)), (D(10), D(0))],
)
def test_achieved_share_is_clamped(latest, share):
    summary = kpi_summary(measurements=[(day(2024, 1, 1), latest)], baseline=D(10), target=D(20))
    assert summary["achieved_share"] == share


def test_achieved_share_is_clamped_for_falling_kpis():
    base = {"baseline": D(100), "target": D(50)}
    assert kpi_summary(measurements=[(day(2024, 1, 1), D(40))], **base)["achieved_share"] == 1
    assert kpi_summary(measurements=[(day(2024, 1, 1), D(120))], **base)["achieved_share"] == 0


def test_summary_without_target_or_baseline():
    summary = kpi_summary(measurements=MEASUREMENTS, baseline=D(24), target=None)
    assert summary["latest_value"] == D(44)
    assert summary["distance_to_target"] is None
    assert summary["achieved_share"] is None
    assert summary["direction"] is None
    summary = kpi_summary(measurements=MEASUREMENTS, baseline=None, target=D(50))
    assert summary["distance_to_target"] == D(6)
    assert summary["achieved_share"] is None and summary["direction"] is None
    summary = kpi_summary(measurements=MEASUREMENTS, baseline=D(50), target=D(50))
    assert summary["achieved_share"] is None and summary["direction"] is None


def test_summary_without_measurements():
    summary = kpi_summary(measurements=[], baseline=D(1), target=D(2))
    assert summary["latest_value"] is None and summary["latest_date"] is None
    assert summary["distance_to_target"] is None and summary["achieved_share"] is None
    assert summary["direction"] == "increase"


def test_description_says_when_the_target_is_reached_or_exceeded():
    def desc(latest, baseline, target):
        with translation.override("en"):
            svg = render(measurements=[(day(2024, 1, 1), latest)], baseline=baseline, target=target, unit="t")
        return parse(svg).find(NS + "desc").text

    assert "The target has been reached." in desc(D(50), D(10), D(50))
    assert "Target exceeded by 5 t." in desc(D(55), D(10), D(50))
    assert "Target exceeded by 5 t." in desc(D(45), D(100), D(50))
    assert "Distance to target: 5 t." in desc(D(55), D(100), D(50))
    # Without a baseline the direction is unknown, so the distance keeps its sign.
    assert "Distance to target: -5 t." in desc(D(55), None, D(50))
