"""The project history reads as people read: German labels, amounts, numbers and dates formatted, only real
changes."""

import datetime
from decimal import Decimal

import pytest

from municipalities.scoping import town_scope
from projects import services
from projects.models import ProjectEvent
from tests import factories

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


@pytest.fixture
def project(town_a):
    return factories.project(
        municipality=town_a,
        title="Sensornetz",
        description="Zeile eins\nZeile zwei",
        planned_budget=Decimal("250000.00"),
        planned_start=datetime.date(2025, 1, 1),
        planned_end=datetime.date(2026, 6, 30),
    )


def _page(client, user, project) -> str:
    client.force_login(user)
    return client.get(f"/arnsberg/verwaltung/projekte/{project.slug}/verlauf/").content.decode()


def test_labels_and_values_are_what_people_read(client, editor_a, project, town_a):
    with town_scope(town_a):
        services.project_change(
            project=project,
            by=editor_a,
            acting_town=town_a,
            fields={"planned_budget": Decimal("7000000"), "planned_end": datetime.date(2026, 12, 31)},
        )
        indicator = services.indicator_create(
            project=project,
            by=editor_a,
            acting_town=town_a,
            fields={"name": "Sensoren", "unit": "Stück", "target": Decimal("1500")},
        )
        services.measurement_record(
            indicator=indicator,
            by=editor_a,
            acting_town=town_a,
            measured_on=datetime.date(2025, 6, 1),
            value=Decimal("1020"),
        )
        services.measurement_record(
            indicator=indicator,
            by=editor_a,
            acting_town=town_a,
            measured_on=datetime.date(2025, 7, 1),
            value=Decimal("1.02"),
        )
    page = _page(client, editor_a, project)
    assert (
        "Geplantes Budget (EUR)" in page
        and "Geplantes Ende" in page
        and "Zielwert" in page
        and "Wert" in page
    )
    assert f"<del>250.000,00{NBSP}€</del> → <ins>7.000.000,00{NBSP}€</ins>" in page
    assert "<del>30.06.2026</del> → <ins>31.12.2026</ins>" in page
    assert "<ins>1.500</ins>" in page  # the KPI's target
    assert "<ins>1.020</ins>" in page and "<ins>1,02</ins>" in page  # the two measurements
    for raw in ("planned_budget", "planned_end", "7000000.00", "1.0200", "1020.0000", "2026-12-31"):
        assert raw not in page, raw


def test_an_unchanged_save_writes_no_event(editor_a, project, town_a):
    with town_scope(town_a):
        before = ProjectEvent.objects.filter(project=project).count()
        services.project_change(
            project=project,
            by=editor_a,
            acting_town=town_a,
            fields={
                "title": "Sensornetz",
                "description": "Zeile eins\r\nZeile zwei\r\n",
                "planned_budget": Decimal("250000"),
                "planned_start": datetime.date(2025, 1, 1),
                "planned_end": datetime.date(2026, 6, 30),
            },
        )
        assert ProjectEvent.objects.filter(project=project).count() == before
        services.project_change(
            project=project,
            by=editor_a,
            acting_town=town_a,
            fields={"description": "Zeile eins\r\nZeile drei"},
        )
        [event] = ProjectEvent.objects.filter(project=project, kind="changed")
    assert list(event.changes) == ["description"]
