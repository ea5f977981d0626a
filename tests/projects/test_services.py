"""Rules of projects: the status workflow, history, updates, KPIs and slugs."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from municipalities.scoping import town_scope
from projects import services
from projects.models import Project, ProjectEvent, Tag
from tests import factories

pytestmark = pytest.mark.django_db


def test_create_records_history_with_who_and_what(town_a, town_b, editor_a):
    project = factories.project(
        municipality=town_a, partners=[town_b], by=editor_a, title="Smarte Mobilstationen"
    )
    with town_scope(town_a):
        event = ProjectEvent.objects.get(project=project)
    assert event.kind == ProjectEvent.Kind.CREATED
    assert event.actor == editor_a
    assert event.municipality == town_a
    assert event.changes["title"] == ["", "Smarte Mobilstationen"]
    assert event.changes["partner_towns"] == ["", "Soest"]


def test_slugs_are_unique_across_towns_and_transliterated(town_a, town_b):
    first = factories.project(municipality=town_a, title="Straßen­beleuchtung Süd")
    second = factories.project(municipality=town_b, title="Straßen­beleuchtung Süd")
    assert first.slug == "strassenbeleuchtung-sued"
    assert second.slug == "strassenbeleuchtung-sued-2"


@pytest.mark.parametrize(
    "path",
    [
        ["planned", "in_progress", "completed"],
        ["planned", "paused", "in_progress", "completed", "in_progress"],
        ["cancelled", "idea", "planned", "idea"],
    ],
)
def test_valid_paths_through_the_workflow(town_a, editor_a, path):
    project = factories.project(municipality=town_a)
    with town_scope(town_a):
        for status in path:
            project = services.project_transition(
                project=project, to=status, by=editor_a, acting_town=town_a, reason="Begründung"
            )
        assert project.status == path[-1]
        events = ProjectEvent.objects.filter(project=project, kind=ProjectEvent.Kind.STATUS)
        assert events.count() == len(path)
        assert all(e.actor == editor_a for e in events)


@pytest.mark.parametrize(
    "start,target",
    [
        ([], "in_progress"),
        ([], "completed"),
        (["planned"], "completed"),
        (["cancelled"], "planned"),
        (["planned", "in_progress", "completed"], "cancelled"),
        ([], "idea"),
        ([], "nonsense"),
    ],
)
def test_invalid_transitions_are_refused_and_leave_no_trace(town_a, start, target):
    project = factories.project(municipality=town_a)
    with town_scope(town_a):
        for status in start:
            project = services.project_transition(
                project=project, to=status, by=None, acting_town=town_a, reason="x"
            )
        before = ProjectEvent.objects.filter(project=project).count()
        with pytest.raises(ValidationError) as excinfo:
            services.project_transition(project=project, to=target, by=None, acting_town=town_a, reason="x")
        assert excinfo.value.code == "invalid_transition"
        project.refresh_from_db()
        assert project.status == (start[-1] if start else "idea")
        assert ProjectEvent.objects.filter(project=project).count() == before


@pytest.mark.parametrize(
    "start,target",
    [
        (["planned"], "paused"),
        ([], "cancelled"),
        (["planned"], "idea"),
        (["planned", "in_progress", "completed"], "in_progress"),
    ],
)
def test_stopping_or_stepping_back_needs_a_reason(town_a, start, target):
    project = factories.project(municipality=town_a)
    with town_scope(town_a):
        for status in start:
            project = services.project_transition(
                project=project, to=status, by=None, acting_town=town_a, reason="x"
            )
        with pytest.raises(ValidationError) as excinfo:
            services.project_transition(project=project, to=target, by=None, acting_town=town_a, reason="   ")
        assert excinfo.value.code == "reason_required"
        project = services.project_transition(
            project=project, to=target, by=None, acting_town=town_a, reason="Förderung verschoben"
        )
        assert project.status_reason == "Förderung verschoben"


def test_workflow_fills_actual_dates_once(town_a):
    project = factories.project(municipality=town_a, planned_start=datetime.date(2025, 1, 1))
    with town_scope(town_a):
        project = services.project_transition(project=project, to="planned", by=None, acting_town=town_a)
        project = services.project_transition(
            project=project, to="in_progress", by=None, acting_town=town_a, on=datetime.date(2025, 3, 1)
        )
        assert project.actual_start == datetime.date(2025, 3, 1)
        project = services.project_transition(
            project=project, to="paused", by=None, acting_town=town_a, reason="Lieferverzug"
        )
        project = services.project_transition(
            project=project, to="in_progress", by=None, acting_town=town_a, on=datetime.date(2025, 6, 1)
        )
        assert project.actual_start == datetime.date(2025, 3, 1)
        project = services.project_transition(
            project=project, to="completed", by=None, acting_town=town_a, on=datetime.date(2025, 9, 30)
        )
        assert project.actual_end == datetime.date(2025, 9, 30)
        assert project.start_delay_days() == 59


def test_change_records_only_what_changed(town_a, town_b, editor_a):
    project = factories.project(municipality=town_a, title="Alt", planned_budget=Decimal("1000.00"))
    with town_scope(town_a):
        services.project_change(
            project=project,
            by=editor_a,
            acting_town=town_a,
            fields={"title": "Neu", "planned_budget": Decimal("1000.00"), "phase": "A"},
            partner_towns=[town_b],
            tags=services.tags_from_text("LoRaWAN, sensoren"),
        )
        event = ProjectEvent.objects.filter(kind=ProjectEvent.Kind.CHANGED).get()
    assert event.changes == {
        "title": ["Alt", "Neu"],
        "phase": ["Phase B – Umsetzung", "Phase A – Strategie"],  # the record is kept in German
        "partner_towns": ["", "Soest"],
        "tags": ["", "LoRaWAN, sensoren"],
    }


def test_change_refuses_invalid_dates_and_keeps_the_old_row(town_a):
    project = factories.project(municipality=town_a, title="Datum")
    with town_scope(town_a), pytest.raises(ValidationError) as excinfo:
        services.project_change(
            project=project,
            by=None,
            acting_town=town_a,
            fields={"planned_start": datetime.date(2026, 5, 1), "planned_end": datetime.date(2026, 1, 1)},
        )
    assert "planned_end" in excinfo.value.message_dict
    with town_scope(town_a):
        assert Project.objects.get(pk=project.pk).planned_start is None


def test_sub_projects_are_one_level_deep_and_same_town(town_a, town_b):
    parent = factories.project(municipality=town_a, title="Eltern")
    child = factories.project(municipality=town_a, title="Kind", parent=parent)
    with pytest.raises(ValidationError):
        factories.project(municipality=town_a, title="Enkel", parent=child)
    with pytest.raises(ValidationError):
        factories.project(municipality=town_b, title="Fremd", parent=parent)


def test_progress_of_a_parent_cannot_be_typed_in(town_a):
    parent = factories.project(municipality=town_a)
    factories.project(municipality=town_a, parent=parent)
    with pytest.raises(ValidationError) as excinfo:
        factories.progress_update(project=parent, progress_percent=50)
    assert "progress_percent" in excinfo.value.message_dict


def test_partner_update_is_recorded_for_the_partner_town(town_a, town_b, staff_factory):
    joint = factories.project(municipality=town_a, partners=[town_b])
    editor_b = staff_factory(town_b, "editor")
    update = factories.progress_update(project=joint, acting_town=town_b, by=editor_b, progress_percent=40)
    assert update.municipality == town_b
    with town_scope(town_a):
        event = ProjectEvent.objects.get(kind=ProjectEvent.Kind.UPDATE_POSTED)
    assert event.municipality == town_b and event.actor == editor_b


def test_measurement_for_the_same_date_replaces_the_value(town_a):
    project = factories.project(municipality=town_a)
    day = datetime.date(2026, 3, 31)
    with town_scope(town_a):
        indicator = services.indicator_create(
            project=project, by=None, acting_town=town_a, fields={"name": "Nutzende", "unit": "Personen"}
        )
        services.measurement_record(
            indicator=indicator, by=None, acting_town=town_a, measured_on=day, value=10
        )
        services.measurement_record(
            indicator=indicator, by=None, acting_town=town_a, measured_on=day, value=12
        )
        assert [m.value for m in indicator.measurements.all()] == [Decimal("12")]
        event = ProjectEvent.objects.filter(kind=ProjectEvent.Kind.MEASUREMENT_ADDED).first()
        assert event.changes == {"value": ["10.0000", "12"]}


def test_tags_are_created_once_and_case_insensitively(db):
    first = services.tags_from_text("Sensoren, LoRaWAN, ,sensoren")
    second = services.tags_from_text("lorawan")
    assert [t.name for t in first] == ["Sensoren", "LoRaWAN"]
    assert second[0].pk == first[1].pk
    assert Tag.objects.count() == 2
