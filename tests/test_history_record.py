"""The one history mechanism (smartcity5.history.record): only real changes are stored, with the labels and
values people read, and every entry belongs to its town."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from funding.models import FundingEvent
from municipalities.scoping import ScopeError, town_scope
from participation.models import ParticipationEvent
from projects.models import Project, ProjectEvent
from reviews.models import ProgressReport, ProgressReportEvent
from smartcity5.history import HistoryEvent, readable_changes, record, snapshot
from tests import factories

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"
FIELDS = ("status", "planned_budget", "planned_end", "description")


@pytest.fixture
def project(town_a):
    return factories.project(
        municipality=town_a,
        title="Sensornetz",
        description="Zeile eins\nZeile zwei",
        planned_budget=Decimal("250000.00"),
        planned_end=datetime.date(2026, 6, 30),
    )


def _events(municipality, project):
    with town_scope(municipality):
        return ProjectEvent.objects.filter(project=project).count()


def test_the_four_history_tables_share_one_base():
    for model in (ProjectEvent, FundingEvent, ParticipationEvent, ProgressReportEvent):
        assert issubclass(model, HistoryEvent)
        names = {field.name for field in model._meta.get_fields()}
        assert {"municipality", "kind", "subject", "actor", "at", "changes", "reason"} <= names, model
        assert "remark" not in names


def test_no_change_no_entry(town_a, editor_a, project):
    count = _events(town_a, project)
    with town_scope(town_a):
        before = snapshot(project, FIELDS)
        project.description = "Zeile eins\r\nZeile zwei\r\n"  # the same text as a browser sends it
        project.planned_budget = Decimal("250000")  # the same amount, other places
        event = record(
            ProjectEvent,
            municipality=town_a,
            project=project,
            kind="changed",
            by=editor_a,
            before=before,
            after=snapshot(project, FIELDS),
        )
    assert event is None
    assert _events(town_a, project) == count


def test_a_reason_is_kept_even_without_a_changed_value(town_a, editor_a, project):
    with town_scope(town_a):
        values = snapshot(project, FIELDS)
        event = record(
            ProjectEvent,
            municipality=town_a,
            project=project,
            kind="status",
            by=editor_a,
            before=values,
            after=values,
            reason="  Die Stadt hat geantwortet.  ",
        )
    assert event.changes == {} and event.reason == "Die Stadt hat geantwortet."


def test_only_what_changed_is_stored_with_labels_and_values_people_read(town_a, editor_a, project):
    with town_scope(town_a):
        before = snapshot(project, FIELDS)
        project.status = Project.Status.PLANNED
        project.planned_budget = Decimal("7000000")
        project.planned_end = datetime.date(2026, 12, 31)
        with translation.override("en"):  # the person acting reads English; the record is German
            event = record(
                ProjectEvent,
                municipality=town_a,
                project=project,
                kind="changed",
                by=editor_a,
                before=before,
                after=snapshot(project, FIELDS),
            )
    assert set(event.changes) == {"status", "planned_budget", "planned_end"}  # not the unchanged description
    assert event.changes["status"] == ["Idee", "Geplant"]  # the choice's display value, not "idea"
    with translation.override("de"):
        rows = readable_changes(event)
    assert ("Geplantes Budget (EUR)", f"250.000,00{NBSP}€", f"7.000.000,00{NBSP}€") in rows
    assert ("Geplantes Ende", "30.06.2026", "31.12.2026") in rows
    assert ("Status", "Idee", "Geplant") in rows
    assert event.actor == editor_a and event.municipality == town_a


def test_new_and_deleted_rows_and_acts(town_a, project):
    with town_scope(town_a):
        values = snapshot(project, ("title", "planned_end"))
        created = record(ProjectEvent, municipality=town_a, project=project, kind="created", after=values)
        deleted = record(ProjectEvent, municipality=town_a, project=project, kind="changed", before=values)
        act = record(ProjectEvent, municipality=town_a, project=project, kind="changed", subject="x" * 400)
    assert created.changes == {"title": ["", "Sensornetz"], "planned_end": ["", "2026-06-30"]}
    assert deleted.changes == {"title": ["Sensornetz", ""], "planned_end": ["2026-06-30", ""]}
    assert act.changes == {} and act.actor is None  # the portal itself
    assert act.subject == "x" * 300  # cut to the column, never an error


def test_every_entry_belongs_to_its_town(town_a, town_b, editor_a, project):
    project_b = factories.project(municipality=town_b, title="Parken")
    with town_scope(town_b):
        event_b = record(ProjectEvent, municipality=town_b.pk, project=project_b, kind="changed", subject="B")
    assert event_b.municipality_id == town_b.pk  # a town or its id
    with town_scope(town_a):
        assert not ProjectEvent.objects.filter(pk=event_b.pk).exists()  # another town's history stays hidden
        assert ProjectEvent.objects.filter(project=project).exists()
    with pytest.raises(ScopeError):  # and no history is read outside a scope
        list(ProjectEvent.objects.all())


def test_report_history_keeps_statuses_and_readable_changes(town_a, editor_a, moderator):
    from reviews import services

    with town_scope(town_a):
        report = services.report_create(municipality=town_a, year=2025, quarter=2, by=editor_a)
        services.report_submit(report=report, by=editor_a)
        services.review_decide(report=report, by=moderator, decision="returned", remarks="Bitte ergänzen.")
        event = ProgressReportEvent.objects.filter(report=report, status_after="returned").get()
    assert (event.status_before, event.status_after) == (
        ProgressReport.Status.SUBMITTED,
        ProgressReport.Status.RETURNED,
    )
    assert event.changes == {"status": ["Eingereicht", "Zurückgegeben"]}
    assert event.reason == "Bitte ergänzen." and event.municipality_id == town_a.pk
    with translation.override("de"):
        assert event.reason_label == "Anmerkung"
        assert readable_changes(event) == [("Status", "Eingereicht", "Zurückgegeben")]
