"""The planned-vs-called bar chart: well-formed accessible SVG, proportional bars, escaping, edge cases."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.safestring import SafeString

from municipalities.validators import contrast_ratio
from smartcity5 import charts
from smartcity5.charts import planned_vs_called_svg

NS = "{http://www.w3.org/2000/svg}"
D = Decimal

ROWS = [
    {"year": 2024, "planned": D("1200000.00"), "called": D("900000.00"), "paid": D("450000.00")},
    {"year": 2025, "planned": D("800000.00"), "called": D("1234567.89"), "paid": D("0.00")},
    {"year": 2026, "planned": D("300000.50"), "called": D("0.00"), "paid": D("0.00")},
]


def render(rows=ROWS, title="Federal funds"):
    return planned_vs_called_svg(rows=rows, title=title)


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def has_class(el, css_class):
    return css_class in el.get("class", "").split()


def groups(root):
    return [el for el in root.iter(NS + "g") if has_class(el, "funding-chart__year")]


def bar(group, series) -> ET.Element:
    (rect,) = [el for el in group.iter(NS + "rect") if has_class(el, f"funding-chart__bar--{series}")]
    return rect


def heights(root) -> list[dict[str, float]]:
    return [{s: float(bar(g, s).get("height")) for s in charts.FUNDING_SERIES} for g in groups(root)]  # type: ignore[arg-type]


def y_labels(root):
    return [el.text for el in root.iter(NS + "text") if has_class(el, "funding-chart__y-label")]


def test_svg_is_an_image_named_by_its_title_and_described():
    svg = render()
    assert isinstance(svg, SafeString)
    root = parse(svg)
    assert root.tag == NS + "svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("viewBox")
    title, desc = root.find(NS + "title"), root.find(NS + "desc")
    assert list(root)[:2] == [title, desc]
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Federal funds"
    assert int(root.get("font-size")) == 13


def test_ids_are_unique_per_chart():
    first, second = parse(render()), parse(render())
    assert first.find(NS + "title").get("id") != second.find(NS + "title").get("id")
    assert first.find(f"{NS}defs/{NS}pattern").get("id") != second.find(f"{NS}defs/{NS}pattern").get("id")


def test_colours_have_enough_contrast():
    for colour in (charts.PLANNED_COLOUR, charts.CALLED_COLOUR, charts.PAID_COLOUR, charts.AXIS_COLOUR):
        assert contrast_ratio(colour, "#FFFFFF") >= 3


def test_one_group_of_three_bars_per_year_in_year_order():
    root = parse(render(rows=list(reversed(ROWS))))
    found = groups(root)
    assert [g.get("data-year") for g in found] == ["2024", "2025", "2026"]
    for group in found:
        assert len([el for el in group.iter(NS + "rect") if has_class(el, "funding-chart__bar")]) == 3
    x_labels = [el.text for el in root.iter(NS + "text") if has_class(el, "funding-chart__x-label")]
    assert x_labels == ["2024", "2025", "2026"]


def test_bar_heights_are_proportional_to_the_amounts():
    root = parse(render())
    measured = heights(root)
    reference = measured[0]["planned"]  # 1,200,000.00
    assert reference > 0
    for row, bars in zip(ROWS, measured, strict=True):
        for series in charts.FUNDING_SERIES:
            expected = float(row[series] / ROWS[0]["planned"])
            assert bars[series] / reference == pytest.approx(expected, abs=0.002)


def test_bars_stand_on_a_common_baseline():
    root = parse(render())
    bottoms = {
        round(float(bar(g, s).get("y")) + float(bar(g, s).get("height")), 1)
        for g in groups(root)
        for s in charts.FUNDING_SERIES
    }
    assert len(bottoms) == 1


def test_series_differ_in_fill_style_and_the_legend_shows_the_same():
    root = parse(render())
    group = groups(root)[0]
    styles = {s: (bar(group, s).get("fill"), bar(group, s).get("stroke")) for s in charts.FUNDING_SERIES}
    pattern_id = root.find(f"{NS}defs/{NS}pattern").get("id")
    assert styles["planned"] == ("#FFFFFF", charts.PLANNED_COLOUR)  # outlined
    assert styles["called"] == (charts.CALLED_COLOUR, charts.CALLED_COLOUR)  # solid
    assert styles["paid"][0] == f"url(#{pattern_id})"  # hatched
    for series in charts.FUNDING_SERIES:
        (item,) = [el for el in root.iter(NS + "g") if has_class(el, f"funding-chart__legend-item--{series}")]
        swatch = item.find(NS + "rect")
        assert (swatch.get("fill"), swatch.get("stroke")) == styles[series]
        assert item.find(NS + "text").text


def test_description_names_every_year_and_amount():
    with translation.override("de"):
        desc = parse(render()).find(NS + "desc").text
    for amount in ("1.200.000,00 €", "900.000,00 €", "450.000,00 €", "1.234.567,89 €", "300.000,50 €"):
        assert amount in desc
    for year in ("2024", "2025", "2026"):
        assert f"{year}:" in desc
    with translation.override("en"):
        desc = parse(render()).find(NS + "desc").text
    assert "2025: planned 800,000.00 €, called 1,234,567.89 €, paid 0.00 €." in desc


def test_axis_ticks_start_at_zero_and_cover_the_maximum():
    with translation.override("de"):
        root = parse(render())
    labels = y_labels(root)
    assert labels[0].startswith("0")
    assert all(label.endswith("Mio. €") for label in labels)
    assert "1,5 Mio. €" in labels  # nice_ticks(0, 1234567.89) -> 0, 0.5, 1, 1.5 million
    bars = [bar(g, s) for g in groups(root) for s in charts.FUNDING_SERIES]
    tallest = min(float(b.get("y")) for b in bars)
    grid_ys = [float(el.get("y1")) for el in root.iter(NS + "line") if has_class(el, "funding-chart__grid")]
    assert min(grid_ys) <= tallest  # the top tick is at or above the highest bar


def test_small_amounts_get_full_grouped_euro_labels():
    rows = [{"year": 2024, "planned": D("2500.00"), "called": D("1000.00"), "paid": D("10.00")}]
    with translation.override("de"):
        labels = y_labels(parse(render(rows=rows)))
    assert labels == ["0 €", "1.000 €", "2.000 €", "3.000 €"]


def test_hostile_title_is_escaped():
    svg = render(title='<script>alert("x")</script> & Co')
    assert "<script>" not in svg
    root = parse(svg)
    assert root.find(NS + "title").text == '<script>alert("x")</script> & Co'
    assert not list(root.iter("script")) and not list(root.iter(NS + "script"))


def test_empty_rows_do_not_crash():
    output = render(rows=[])
    assert isinstance(output, SafeString)
    element = parse(output)
    assert element.text


def test_all_zero_rows_do_not_divide_by_zero():
    rows = [{"year": y, "planned": D("0.00"), "called": D("0.00"), "paid": D("0.00")} for y in (2024, 2025)]
    root = parse(render(rows=rows))
    assert all(h == 0 for bars in heights(root) for h in bars.values())
    markers = [el for el in root.iter(NS + "line") if has_class(el, "funding-chart__zero")]
    assert len(markers) == 6


def test_zero_values_render_a_bar_and_a_baseline_marker():
    root = parse(render())
    last = groups(root)[-1]
    assert float(bar(last, "called").get("height")) == 0
    assert len([el for el in last.iter(NS + "line") if has_class(el, "funding-chart__zero")]) == 2


@pytest.mark.parametrize("series", charts.FUNDING_SERIES)
def test_negative_amounts_are_refused(series):
    row = {"year": 2024, "planned": D("1.00"), "called": D("1.00"), "paid": D("1.00"), series: D("-0.01")}
    with pytest.raises(ValueError):
        render(rows=[row])


def test_many_years_stay_inside_the_view_box():
    rows = [{"year": y, "planned": D(y), "called": D(1), "paid": D(0)} for y in range(2000, 2040)]
    root = parse(render(rows=rows))
    width = float(root.get("viewBox").split()[2])
    for group in groups(root):
        for series in charts.FUNDING_SERIES:
            rect = bar(group, series)
            assert float(rect.get("x")) > 0 and float(rect.get("x")) + float(rect.get("width")) < width
