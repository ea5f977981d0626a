"""The facts stored on a project (progress, latest update, partner count) stay equal to what its rows give after
every write path of the services, and the refresh command and the data migration give the same."""

import datetime
import importlib
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from municipalities.scoping import scopes_disabled, town_scope
from projects import services
from projects.models import Project
from projects.selectors import lists as lists_selectors
from projects.selectors import progress as progress_selectors
from tests import factories

pytestmark = pytest.mark.django_db


def _stored(project) -> tuple:
    with scopes_disabled():
        row = Project._base_manager.get(pk=project.pk)
    return round(row.stored_progress, 6), row.last_update_on, row.partner_count


def _assert_right() -> None:
    """Every project's stored facts equal the ones derived from its rows now."""
    with scopes_disabled():
        assert progress_selectors.projects_with_stale_facts(Project._base_manager.all()) == []


def test_create_and_partner_changes_keep_the_partner_count(town_a, town_b, town_c):
    project = factories.project(municipality=town_a, partners=[town_b, town_c])
    assert _stored(project) == (0, None, 2)
    assert project.partner_count == 2 and project.is_joint
    with town_scope(town_a):
        project = services.project_change(
            project=project, by=None, acting_town=town_a, fields={}, partner_towns=[town_c]
        )
    assert _stored(project) == (0, None, 1)
    with town_scope(town_a):
        project = services.project_change(
            project=project, by=None, acting_town=town_a, fields={}, partner_towns=[]
        )
    assert _stored(project) == (0, None, 0)
    assert not project.is_joint
    _assert_right()


def test_progress_updates_posted_changed_and_deleted(town_a, town_b):
    project = factories.project(municipality=town_a, partners=[town_b], status="in_progress")
    first = factories.progress_update(
        project=project, progress_percent=30, published_on=datetime.date(2026, 1, 1)
    )
    assert _stored(project) == (30, datetime.date(2026, 1, 1), 1)
    # A partner town's update without a percentage dates the project but leaves its progress.
    partner = factories.progress_update(
        project=project, acting_town=town_b, progress_percent=None, published_on=datetime.date(2026, 3, 1)
    )
    assert _stored(project) == (30, datetime.date(2026, 3, 1), 1)
    # An internal update counts too, as it did when the facts were derived per request.
    factories.progress_update(
        project=project, progress_percent=45, published_on=datetime.date(2026, 2, 1), is_public=False
    )
    assert _stored(project) == (45, datetime.date(2026, 3, 1), 1)
    with town_scope(town_a):
        services.progress_update_change(
            update=first,
            by=None,
            acting_town=town_a,
            fields={"progress_percent": 70, "published_on": datetime.date(2026, 4, 1)},
        )
    assert _stored(project) == (70, datetime.date(2026, 4, 1), 1)
    with town_scope(town_a):
        services.progress_update_delete(update=first, by=None, acting_town=town_a)
    assert _stored(project) == (45, datetime.date(2026, 3, 1), 1)
    with town_scope(town_b):
        services.progress_update_delete(update=partner, by=None, acting_town=town_b)
    assert _stored(project) == (45, datetime.date(2026, 2, 1), 1)
    _assert_right()


def test_status_changes_move_the_progress(town_a):
    project = factories.project(municipality=town_a, status="in_progress")
    factories.progress_update(project=project, progress_percent=80)
    with town_scope(town_a):
        project = services.project_transition(project=project, to="completed", by=None, acting_town=town_a)
    assert _stored(project)[0] == 100
    assert project.stored_progress == 100  # the returned row carries the new facts
    with town_scope(town_a):
        project = services.project_transition(
            project=project, to="in_progress", by=None, acting_town=town_a, reason="Nacharbeiten"
        )
    assert _stored(project)[0] == 80
    _assert_right()


def test_sub_projects_move_their_parent(town_a):
    parent = factories.project(municipality=town_a, status="in_progress")
    other = factories.project(municipality=town_a, status="in_progress")
    heavy = factories.project(municipality=town_a, parent=parent, weight=3, status="in_progress")
    assert _stored(parent)[0] == 0
    light = factories.project(municipality=town_a, parent=parent, weight=1, status="in_progress")
    factories.progress_update(project=heavy, progress_percent=100)
    assert _stored(parent)[0] == 75  # (3*100 + 1*0) / 4
    factories.progress_update(project=light, progress_percent=20)
    assert _stored(parent)[0] == 80  # (3*100 + 1*20) / 4
    with town_scope(town_a):
        services.project_change(project=light, by=None, acting_town=town_a, fields={"weight": 2})
    assert _stored(parent)[0] == 68  # (3*100 + 2*20) / 5
    with town_scope(town_a):
        services.project_transition(
            project=heavy, to="cancelled", by=None, acting_town=town_a, reason="Gestoppt"
        )
    assert _stored(parent)[0] == 20
    # A sub-project that moves to another parent leaves the first one's mean and joins the other's.
    factories.progress_update(project=other, progress_percent=10)
    with town_scope(town_a):
        services.project_change(project=light, by=None, acting_town=town_a, fields={"parent": other})
    assert _stored(parent)[0] == 0  # only the cancelled one is left: its own progress again
    assert _stored(other)[0] == 20
    with town_scope(town_a):
        services.project_change(project=light, by=None, acting_town=town_a, fields={"parent": None})
    assert _stored(other)[0] == 10
    _assert_right()


def test_lists_show_the_stored_facts(town_a, town_b):
    project = factories.project(municipality=town_a, partners=[town_b], status="in_progress")
    factories.progress_update(project=project, progress_percent=64, published_on=datetime.date(2026, 5, 4))
    with town_scope(town_b):
        [row] = lists_selectors.project_list()
    assert (row.progress, row.last_update_on, row.partner_count, row.is_joint) == (
        64,
        datetime.date(2026, 5, 4),
        1,
        True,
    )


def test_refresh_command_repairs_and_checks(town_a, town_b):
    parent = factories.project(municipality=town_a, partners=[town_b], status="in_progress")
    child = factories.project(municipality=town_a, parent=parent, status="in_progress")
    factories.progress_update(project=child, progress_percent=50, published_on=datetime.date(2026, 1, 2))
    call_command("project_facts_refresh", "--check", stdout=io.StringIO())
    with scopes_disabled():
        Project._base_manager.update(stored_progress=7, last_update_on=None, partner_count=9)
    with pytest.raises(CommandError, match="2 projects have wrong stored facts"):
        call_command("project_facts_refresh", "--check", stdout=io.StringIO())
    out = io.StringIO()
    call_command("project_facts_refresh", stdout=out)
    assert "Stored the facts of 2 projects" in out.getvalue()
    assert _stored(parent) == (50, None, 1)
    assert _stored(child) == (50, datetime.date(2026, 1, 2), 0)
    _assert_right()


def test_the_data_migration_fills_the_same_facts(town_a, town_b):
    """The migration that added the columns fills them with its own SQL (on PostgreSQL and SQLite alike); it gives
    what the services store."""
    [path] = Path(__file__).resolve().parents[2].glob("projects/migrations/*_project_facts_*.py")
    migration = importlib.import_module(f"projects.migrations.{path.stem}")
    parent = factories.project(municipality=town_a, partners=[town_b], status="in_progress")
    done = factories.project(municipality=town_a, parent=parent, weight=2, status="completed")
    child = factories.project(municipality=town_a, parent=parent, status="in_progress")
    factories.project(municipality=town_a, parent=parent, weight=9, status="cancelled")
    factories.progress_update(project=child, progress_percent=25, published_on=datetime.date(2026, 1, 2))
    factories.progress_update(project=child, progress_percent=None, published_on=datetime.date(2026, 2, 2))
    factories.progress_update(project=done, progress_percent=40)
    expected = [_stored(p) for p in (parent, done, child)]
    with scopes_disabled():
        Project._base_manager.update(stored_progress=7, last_update_on=None, partner_count=9)
    with connection.cursor() as cursor:
        cursor.execute(migration.FILL)
    assert [_stored(p) for p in (parent, done, child)] == expected
    assert expected[0][0] == 75  # (2*100 + 1*25) / 3
    _assert_right()
