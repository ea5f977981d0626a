"""What keeps ``/agentur/`` cheap right after a write in one town stays true to the definitions: the figures read
with SQL compiled once per worker (``agentur.figures.compiled_rows``) equal those the ORM query counts, after the
writes that change them, open reports included (they must not be frozen into the compiled SQL); only the scope's
towns are counted; the table's cells built in Python are the markup the template made; each trend chart is drawn
again only when what it shows changed."""

from unittest import mock

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.utils import translation

from agentur import dashboard, figures
from municipalities.models import Municipality
from municipalities.scoping import ScopeError, cross_town_scope, scopes_disabled, town_scope
from participation.services import answers as answers_services
from participation.services import flags as flags_services
from participation.services import moderation as moderation_services
from tests import factories, helpers
from tests.agentur.test_dashboard import mobility, region  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

NONE = dashboard.DashboardFilters()


def _orm_rows(towns, filters=NONE) -> dict:
    """Every figure of the Agentur's row, counted by the ORM query itself (nothing compiled or cached)."""
    quarters = dashboard.last_quarters(helpers.today())
    rows = Municipality.objects.filter(pk__in=[town.pk for town in towns]).values(
        "pk",
        **figures.annotations(filters=filters, today=helpers.today()),
        **dashboard.figure_annotations(filters=filters, today=helpers.today()),
        **dashboard.trend_annotations(filters=filters, quarters=quarters),
    )
    return {row["pk"]: row for row in rows}


def _served(towns, filters=NONE) -> dict:
    data = dashboard.town_figures(towns=towns, filters=filters, today=helpers.today())
    return {town.pk: row for town, row in zip(data["towns"], data["figures"], strict=True)}


def _agree(towns, filters=NONE) -> dict:
    with cross_town_scope(purpose="test", municipalities=towns):
        served, counted = _served(towns, filters), _orm_rows(towns, filters)
    for pk, row in counted.items():
        assert {key: served[pk][key] for key in row} == row, pk
    return served


def test_the_compiled_figures_equal_the_orm_query_after_each_write(
    town_a,
    town_b,
    town_c,
    moderator,
    mobility,  # noqa: F811 - the fixture
):
    towns = [town_a, town_b, town_c]
    process = factories.process(municipality=town_a, partners=[town_b])
    _agree(towns)
    idea = factories.idea(process=process, field_of_action=mobility)
    comment = factories.comment(idea=idea)
    _agree(towns)
    with town_scope(town_a):
        answers_services.idea_answer(idea=idea, by=None, acting_town=town_a, body="Danke.", to="under_review")
    _agree(towns)
    # A report: its ids are read by the compiled query itself, not frozen into its parameters.
    with town_scope(town_a):
        flags_services.flag_submit(target=comment, reporter=factories.UserFactory(), reason="spam")
    served = _agree(towns)
    assert served[town_a.pk]["moderation_open"] == 1
    with town_scope(town_a):
        flags_services.flag_submit(target=idea, reporter=factories.UserFactory(), reason="spam")
    assert _agree(towns)[town_a.pk]["moderation_open"] == 2
    with town_scope(town_a):
        moderation_services.moderation_hide(target=idea, by=moderator, acting_town=town_a, reason="Doppelt")
    served = _agree(towns)
    assert (served[town_a.pk]["ideas_received"], served[town_b.pk]["ideas_received_joint"]) == (0, 0)
    factories.project(municipality=town_c, status="paused", fields_of_action=[mobility])
    _agree(towns)
    # Another set of towns and filters: SQL of its own, the same agreement.
    _agree([town_a, town_c], dashboard.DashboardFilters(field=mobility, phase="A"))
    _agree([town_c])


def test_only_the_scopes_towns_are_counted(town_a, town_b):
    with pytest.raises(ScopeError):
        figures.town_figures(towns=[town_a])
    with town_scope(town_a):
        found = figures.town_figures(towns=[town_a, town_b])
    assert list(found) == [town_a.pk]
    with scopes_disabled():
        assert figures.towns_in_scope([town_a.pk, town_b.pk]) == [town_a.pk, town_b.pk]


# The cells as the template of /agentur/ wrote them before they were built in Python.
OLD_CELL = Template(
    '{% load i18n funding_tags %}<td class="kern-table__cell kern-table__cell--numeric sc5-num" '
    'data-town="{{ cell.town.slug }}">{% if cell.url %}<a href="{{ cell.url }}">{% endif %}'
    '{% if cell.kind == "eur" %}{{ cell.value|eur }}{% elif cell.kind == "percent" %}{{ cell.value|pct }}'
    '{% elif cell.kind == "days" %}{% if cell.value is None %}–{% else %}{{ cell.value|floatformat:1 }}{% endif %}'
    '{% else %}{{ cell.value }}{% endif %}{% if cell.url %}<span class="kern-sr-only"> – {{ row.label }}, '
    "{{ cell.town.name }}</span></a>{% endif %}"
    '{% include "municipalities/_joint.html" with joint=cell.joint url=cell.joint_url %}'
    '{% if cell.note %}<br><span class="kern-body--small">{{ cell.note }}</span>{% endif %}</td>'
)


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_cells_are_the_markup_the_template_made(town_a, town_b, town_c, region, language):  # noqa: F811
    towns = [town_a, town_b, town_c]
    with translation.override(language), cross_town_scope(purpose="test", municipalities=towns):
        data = dashboard.town_figures(
            towns=towns, filters=dashboard.DashboardFilters(), today=helpers.today()
        )
        sections = dashboard.table_sections(data, filters=dashboard.DashboardFilters())
        kinds = set()
        for row in (row for section in sections for row in section["rows"]):
            expected = "\n      ".join(
                OLD_CELL.render(Context({"cell": cell, "row": row})) for cell in row["cells"]
            )
            assert row["cells_html"]() == expected, row["key"]
            kinds |= {
                (cell.kind, bool(cell.joint), bool(cell.note), cell.value is None) for cell in row["cells"]
            }
    # Every kind of cell was compared: euros, percentages (with and without a value), days, counts, joint, notes.
    assert {
        ("eur", False, False, False),
        ("count", True, False, False),
        ("days", False, False, True),
    } <= kinds
    assert {kind for kind, *_rest in kinds} == {"eur", "percent", "days", "count"}
    assert any(note for _kind, _joint, note, _none in kinds)


def test_a_chart_is_drawn_again_only_when_what_it_shows_changed(town_a, town_b):
    cache.clear()
    quarters = dashboard.last_quarters(helpers.today())
    zeros = [0] * len(quarters)
    data = {
        "quarters": quarters,
        "trends": {
            "updates": [(town_a, zeros), (town_b, zeros)],
            "ideas": [(town_a, zeros), (town_b, zeros)],
            "called": [(town_a, zeros), (town_b, zeros)],
        },
    }
    with mock.patch.object(dashboard, "trend_chart_svg", wraps=dashboard.trend_chart_svg) as draw:
        first = dashboard.trend_charts(data)
        assert draw.call_count == 3
        assert dashboard.trend_charts(data) == first
        assert draw.call_count == 3
        data["trends"]["ideas"] = [(town_a, [*zeros[:-1], 1]), (town_b, zeros)]
        changed = dashboard.trend_charts(data)
        assert draw.call_count == 4
        assert changed[1]["rows"][-1]["values"][0] == "1" and changed[0] == first[0]
