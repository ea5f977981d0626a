"""PDF builders: the reports as HTML (templates/reports/pdf/) typeset by WeasyPrint, with the town's brand colour,
Fira Sans (vendored for the web pages, embedded here) and the portal's SVG charts inline."""

import datetime
from decimal import Decimal
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.translation import gettext

from smartcity5.charts import kpi_chart_svg, kpi_summary, planned_vs_called_svg
from smartcity5.numbers import plain_decimal

DEFAULT_BRAND = "#00508C"


def _font_dir() -> str:
    """The directory of the vendored Fira Sans fonts as a file URL ('' if missing: DejaVu Sans then)."""
    found = finders.find("vendor/kern/fonts/fira-sans/FiraSans-Regular.woff2")
    return Path(found).parent.as_uri() if found else ""


def kpi_rows(indicators) -> list[dict]:
    """Each KPI with its summary and, if it has measurements, its chart (as on the project page)."""
    rows = []
    for indicator in indicators:
        measurements = [(m.measured_on, plain_decimal(m.value)) for m in indicator.measurements.all()]
        baseline, target = plain_decimal(indicator.baseline), plain_decimal(indicator.target)
        rows.append(
            {
                "indicator": indicator,
                "summary": kpi_summary(measurements=measurements, baseline=baseline, target=target),
                "latest": measurements[-1] if measurements else None,
                "baseline": baseline,
                "target": target,
                "chart": kpi_chart_svg(
                    measurements=measurements,
                    unit=indicator.unit,
                    baseline=baseline,
                    baseline_date=indicator.baseline_date,
                    target=target,
                    target_date=indicator.target_date,
                    title=indicator.name,
                    description=indicator.description,
                    width=640,
                    height=240,
                ),
            }
        )
    return rows


def funding_chart(years, *, title: str):
    return planned_vs_called_svg(rows=years, title=title, width=640, height=260)


def render_pdf(template: str, context: dict, *, brand: str = DEFAULT_BRAND, title: str) -> bytes:
    """Render ``template`` with ``context`` and typeset it (A4, page numbers, brand colour)."""
    from weasyprint import HTML

    html = render_to_string(
        template,
        {
            **context,
            "brand": brand or DEFAULT_BRAND,
            "font_dir": _font_dir(),
            "document_title": title,
            "generated_at": datetime.datetime.now().astimezone(),
        },
    )
    # The title, language and fonts come from the document itself (<title>, lang, @font-face).
    return HTML(string=html, base_url=str(Path(__file__).resolve().parent)).write_pdf()


def town_report_pdf(data, *, progress) -> bytes:
    progress(60)
    context = {"data": data, "municipality": data.municipality, "kpis": kpi_rows(data.indicators)}
    progress(70)
    title = gettext("Town report %(town)s") % {"town": data.municipality.name}
    return render_pdf("reports/pdf/town.html", context, brand=data.municipality.brand_colour, title=title)


def funding_report_pdf(data: dict, *, municipality, progress) -> bytes:
    figures = data["figures"]
    chart = funding_chart(
        [
            {"year": y.year, "planned": y.planned_federal, "called": y.called, "paid": y.paid}
            for y in figures.years
        ],
        title=gettext("Federal funds per year: planned, requested and paid"),
    )
    progress(70)
    title = gettext("Funding report %(grant)s") % {"grant": data["grant"].title}
    return render_pdf(
        "reports/pdf/funding.html",
        {**data, "municipality": municipality, "chart": chart},
        brand=municipality.brand_colour,
        title=title,
    )


def region_report_pdf(data: dict, *, progress) -> bytes:
    chart = funding_chart(
        [{**y, "planned": Decimal(y["planned"])} for y in data["years"]],
        title=gettext("Federal funds of all towns per year: planned, requested and paid"),
    )
    progress(70)
    return render_pdf("reports/pdf/region.html", {**data, "chart": chart}, title=gettext("Region report"))
