"""The project services decide who may change a project, post and change its updates, its KPIs and files
(``accounts.permissions``), whoever calls them: a refused caller gets ``PermissionDenied`` (a 403 on pages) and
nothing is written; the pages ask the same check before they show a form."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile

from accounts.models import Role
from municipalities.scoping import town_scope
from projects import services
from projects.models import Indicator, ProgressUpdate, Project, ProjectFile
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def joint(town_a, town_b):
    """A project of Arnsberg shared with Soest."""
    return factories.project(municipality=town_a, partners=[town_b], title="Gemeinsamer Zwilling")


def _writes(project, by, town):
    """Each write of the project's own data, as ``by`` acting in ``town``."""
    indicator = Indicator._base_manager.filter(project=project).first()
    yield (
        "change",
        lambda: services.project_change(
            project=project, by=by, acting_town=town, fields={"summary": "Geändert"}
        ),
    )
    yield (
        "transition",
        lambda: services.project_transition(project=project, to="planned", by=by, acting_town=town),
    )
    yield (
        "indicator",
        lambda: services.indicator_create(
            project=project, by=by, acting_town=town, fields={"name": "Sensoren"}
        ),
    )
    yield (
        "measurement",
        lambda: services.measurement_record(
            indicator=indicator, by=by, acting_town=town, measured_on=datetime.date(2026, 1, 1), value=3
        ),
    )
    yield (
        "file",
        lambda: services.project_file_add(
            project=project,
            by=by,
            acting_town=town,
            upload=ContentFile(b"%PDF-1.4\n%%EOF\n", name="plan.pdf"),
            kind="document",
            title="Plan",
            content_type="application/pdf",
        ),
    )


def test_only_editors_of_the_lead_town_change_the_project(
    joint, town_a, town_b, town_c, staff_factory, citizen, moderator
):
    with town_scope(town_a):
        services.indicator_create(project=joint, by=None, acting_town=town_a, fields={"name": "KPI"})
    refused = [
        (staff_factory(town_a, Role.VIEWER), town_a),
        (staff_factory(town_b, Role.EDITOR), town_b),  # a partner's editor: updates only
        (staff_factory(town_c, Role.ADMIN), town_c),
        (citizen, town_a),
        (moderator, town_a),
    ]
    before = Project._base_manager.get(pk=joint.pk).summary
    for person, town in refused:
        for _name, write in _writes(joint, person, town):
            with town_scope(town), pytest.raises(PermissionDenied):
                write()
    assert Project._base_manager.get(pk=joint.pk).summary == before
    assert not ProjectFile._base_manager.filter(project=joint).exists()
    editor = staff_factory(town_a, Role.EDITOR)
    for _name, write in _writes(joint, editor, town_a):
        with town_scope(town_a):
            write()
    assert ProjectFile._base_manager.filter(project=joint).count() == 1


def test_editors_of_a_partner_town_post_updates_and_change_only_their_own(
    joint, town_a, town_b, town_c, staff_factory
):
    editor_a, editor_b = staff_factory(town_a, Role.EDITOR), staff_factory(town_b, Role.EDITOR)
    own = factories.progress_update(project=joint, by=editor_b, acting_town=town_b, title="Soest berichtet")
    lead = factories.progress_update(project=joint, by=editor_a, title="Arnsberg berichtet")
    with town_scope(town_b), pytest.raises(PermissionDenied):
        services.progress_update_change(
            update=lead, by=editor_b, acting_town=town_b, fields={"title": "Nein"}
        )
    with town_scope(town_b), pytest.raises(PermissionDenied):
        services.progress_update_delete(update=lead, by=editor_b, acting_town=town_b)
    with town_scope(town_b):
        services.progress_update_change(update=own, by=editor_b, acting_town=town_b, fields={"title": "Neu"})
    with town_scope(town_c), pytest.raises(PermissionDenied):
        services.progress_update_post(
            project=joint, by=staff_factory(town_c, Role.EDITOR), acting_town=town_c, fields={"title": "Olpe"}
        )
    with town_scope(town_a), pytest.raises(PermissionDenied):
        services.progress_update_post(
            project=joint,
            by=staff_factory(town_a, Role.VIEWER),
            acting_town=town_a,
            fields={"title": "Leser"},
        )
    with town_scope(town_a):
        services.progress_update_delete(
            update=own, by=editor_a, acting_town=town_a
        )  # the lead town's editors
    assert list(ProgressUpdate._base_manager.filter(project=joint).values_list("title", flat=True)) == [
        "Arnsberg berichtet"
    ]


def test_only_the_towns_editors_create_projects(town_a, town_b, staff_factory):
    with town_scope(town_a), pytest.raises(PermissionDenied):
        services.project_create(
            municipality=town_a, by=staff_factory(town_b, Role.EDITOR), fields={"title": "Fremd"}
        )
    with town_scope(town_a), pytest.raises(PermissionDenied):
        services.project_create(
            municipality=town_a, by=staff_factory(town_a, Role.VIEWER), fields={"title": "Leser"}
        )
    with town_scope(town_a):
        services.project_create(
            municipality=town_a,
            by=staff_factory(town_a, Role.EDITOR),
            fields={"title": "Eigen", "summary": "Eine Maßnahme."},
        )
    assert list(Project._base_manager.values_list("title", flat=True)) == ["Eigen"]
