"""Derived progress, filters and dashboard figures, with bounded queries."""

import datetime

import pytest
from django.utils import timezone

from municipalities.scoping import town_scope
from projects import services
from projects.models import Bundle, FieldOfAction, Project
from projects.selectors import dashboard as dashboard_selectors
from projects.selectors import lists as lists_selectors
from projects.selectors import progress as progress_selectors
from projects.selectors.lists import ProjectFilters
from tests import factories

pytestmark = pytest.mark.django_db


def _progress(project):
    with town_scope(project.municipality):
        return lists_selectors.project_get(slug=project.slug, include_internal=True).progress


def test_progress_follows_the_latest_update_with_a_percentage(town_a):
    project = factories.project(municipality=town_a, status="in_progress")
    assert _progress(project) == 0
    factories.progress_update(project=project, progress_percent=30, published_on=datetime.date(2026, 1, 1))
    factories.progress_update(project=project, progress_percent=None, published_on=datetime.date(2026, 3, 1))
    factories.progress_update(project=project, progress_percent=20, published_on=datetime.date(2025, 12, 1))
    assert _progress(project) == 30
    factories.progress_update(project=project, progress_percent=55, published_on=datetime.date(2026, 2, 1))
    assert _progress(project) == 55


def test_completed_project_counts_as_done(town_a):
    project = factories.project(municipality=town_a, status="completed")
    factories.progress_update(project=project, progress_percent=80)
    assert _progress(project) == 100


def test_parent_progress_is_the_weighted_mean_of_its_sub_projects(town_a):
    parent = factories.project(municipality=town_a, status="in_progress")
    heavy = factories.project(municipality=town_a, parent=parent, weight=3, status="in_progress")
    light = factories.project(municipality=town_a, parent=parent, weight=1, status="in_progress")
    factories.project(municipality=town_a, parent=parent, weight=50, status="cancelled")
    factories.progress_update(project=heavy, progress_percent=100)
    factories.progress_update(project=light, progress_percent=20)
    assert _progress(parent) == 80  # (3*100 + 1*20) / 4


def test_bundle_progress_is_derived_from_public_members_of_all_towns(town_a, town_b):
    bundle = Bundle.objects.create(consortium=town_a.consortium, number=1, title="Offene Daten")
    Bundle.objects.create(consortium=town_a.consortium, number=2, title="Leer")
    a = factories.project(municipality=town_a, bundle=bundle, status="in_progress")
    b = factories.project(municipality=town_b, bundle=bundle, status="completed")
    hidden = factories.project(
        municipality=town_b, bundle=bundle, visibility="internal", status="in_progress"
    )
    factories.progress_update(project=a, progress_percent=40)
    factories.progress_update(project=hidden, progress_percent=0)
    bundles = progress_selectors.bundles_with_progress(consortium=town_a.consortium)
    assert [(x.number, x.progress, x.member_count) for x in bundles] == [(1, 70, 2), (2, None, 0)]
    assert b.status == "completed"


def test_bundle_weights_and_parent_progress_combine(town_a):
    bundle = Bundle.objects.create(consortium=town_a.consortium, number=3, title="Mobilität")
    parent = factories.project(municipality=town_a, bundle=bundle, weight=1, status="in_progress")
    child = factories.project(municipality=town_a, parent=parent, status="in_progress")
    factories.progress_update(project=child, progress_percent=60)
    other = factories.project(municipality=town_a, bundle=bundle, weight=2, status="in_progress")
    factories.progress_update(project=other, progress_percent=30)
    [result] = progress_selectors.bundles_with_progress(consortium=town_a.consortium)
    assert result.progress == 40  # (1*60 + 2*30) / 3


def test_filters(catalogue, town_a, town_b):
    mobility = FieldOfAction.objects.get(slug="mobilitaet")
    data = FieldOfAction.objects.get(slug="daten-digitale-infrastruktur")
    factories.project(
        municipality=town_a,
        title="Mobilstation Hüsten",
        phase="B",
        status="planned",
        fields_of_action=[mobility],
        tags=services.tags_from_text("Carsharing"),
    )
    factories.project(
        municipality=town_a, title="LoRaWAN", phase="A", partners=[town_b], fields_of_action=[data]
    )
    factories.project(municipality=town_a, title="Intern", visibility="internal")

    def titles(**kwargs):
        with town_scope(town_a):
            return sorted(p.title for p in lists_selectors.project_list(filters=ProjectFilters(**kwargs)))

    assert titles() == ["LoRaWAN", "Mobilstation Hüsten"]
    assert titles(field="mobilitaet") == ["Mobilstation Hüsten"]
    assert titles(status="planned") == ["Mobilstation Hüsten"]
    assert titles(phase="A") == ["LoRaWAN"]
    assert titles(joint=True) == ["LoRaWAN"]
    assert titles(joint=False) == ["Mobilstation Hüsten"]
    assert titles(q="hüsten") == ["Mobilstation Hüsten"]
    assert titles(q="carsharing") == ["Mobilstation Hüsten"]
    assert titles(q="mobil bahnhof") == []
    with town_scope(town_b):
        assert [p.title for p in lists_selectors.project_list()] == ["LoRaWAN"]
    region = lists_selectors.region_project_list(filters=ProjectFilters(town="soest"))
    assert [p.title for p in region] == ["LoRaWAN"]
    assert [p.is_joint for p in region] == [True]


def test_project_list_runs_a_fixed_number_of_queries(
    catalogue, town_a, town_b, django_assert_max_num_queries
):
    field = FieldOfAction.objects.first()
    for n in range(12):
        project = factories.project(
            municipality=town_a,
            partners=[town_b] if n % 2 else [],
            fields_of_action=[field],
            status="in_progress",
        )
        factories.progress_update(project=project, progress_percent=n)
    with town_scope(town_a), django_assert_max_num_queries(4):
        rows = list(lists_selectors.project_list())
        assert len(rows) == 12
        for row in rows:
            assert [f.name for f in row.fields_of_action.all()] == [field.name]
            assert isinstance([t.name for t in row.partner_towns.all()], list)
            assert row.municipality.name == town_a.name
            assert isinstance(row.is_joint, bool)


def test_status_counts_and_stale_projects(town_a, town_b):
    old = factories.project(municipality=town_a, status="in_progress", title="Alt")
    factories.progress_update(project=old, published_on=timezone.localdate() - datetime.timedelta(days=100))
    factories.project(municipality=town_a, status="planned", title="Neu ohne Update")
    fresh = factories.project(municipality=town_a, status="in_progress", title="Frisch")
    factories.progress_update(project=fresh, published_on=timezone.localdate())
    factories.project(municipality=town_a, status="completed", title="Fertig")
    factories.project(municipality=town_b, status="in_progress", title="Anderswo")
    with town_scope(town_a):
        counts = dashboard_selectors.status_counts(municipality=town_a)
        stale = [p.title for p in dashboard_selectors.stale_projects(municipality=town_a)]
        later = timezone.localdate() + datetime.timedelta(days=91)
        stale_later = [p.title for p in dashboard_selectors.stale_projects(municipality=town_a, today=later)]
    assert counts["in_progress"] == 2 and counts["completed"] == 1 and counts["idea"] == 0
    assert stale == ["Alt"]
    assert stale_later == ["Neu ohne Update", "Alt", "Frisch"]


def test_delay_against_plan(town_a):
    project = factories.project(
        municipality=town_a,
        planned_start=datetime.date(2025, 1, 1),
        planned_end=datetime.date(2025, 12, 31),
        status="in_progress",
    )
    assert project.end_delay_days(today=datetime.date(2026, 1, 10)) == 10
    assert project.end_delay_days(today=datetime.date(2025, 6, 1)) == 0
    project.status = Project.Status.COMPLETED
    project.actual_end = datetime.date(2026, 2, 1)
    assert project.end_delay_days() == 32
