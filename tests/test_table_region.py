"""The one wrapper of wide tables ({% table_region %}): a labelled, focusable scroll region, used by every table
of the served pages (the PDF and export templates are printed, not scrolled)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template, TemplateSyntaxError

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# PDFs, downloaded exports and HTML mails (layout tables for mail programs) are not pages.
NOT_SCROLLED = ("reports/pdf/", "accounts/export/", "email/")


def test_the_region_is_named_by_the_given_id_and_focusable():
    html = Template(
        '{% table_region "trend-" chart.id %}<table><caption id="trend-{{ chart.id }}">Ideen</caption>'
        "</table>{% endtable_region %}"
    ).render(Context({"chart": {"id": 7}}))
    assert html == (
        '<div class="sc5-table-wrap" role="region" aria-labelledby="trend-7" tabindex="0">'
        '<table><caption id="trend-7">Ideen</caption></table></div>'
    )


def test_the_id_is_escaped_and_required():
    html = Template("{% table_region label %}<table></table>{% endtable_region %}").render(
        Context({"label": '"><script>'})
    )
    assert 'aria-labelledby="&quot;&gt;&lt;script&gt;"' in html
    with pytest.raises(TemplateSyntaxError):
        Template("{% table_region %}<table></table>{% endtable_region %}")


def test_every_table_of_a_page_sits_in_a_region_named_by_its_caption():
    tables = 0
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        text = path.read_text(encoding="utf-8")
        if name.startswith(NOT_SCROLLED) or "<table" not in text:
            continue
        opened = re.findall(r"{% table_region ([^%]+) %}\s*<table", text)
        assert len(opened) == text.count("<table"), f"{name}: a table outside {{% table_region %}}"
        for args in opened:
            literal = re.fullmatch(r'"([^"]+)"(?: (\S+))?\s*', args)
            assert literal, f"{name}: {args!r}"
            prefix, variable = literal.groups()
            label = f'id="{prefix}{{{{ {variable} }}}}"' if variable else f'id="{prefix}"'
            assert label in text, f"{name}: nothing carries {label}"
        tables += len(opened)
    assert tables > 25
