"""Joint projects: owned by the lead town, visible in each partner town, never in other towns."""

import pytest

from municipalities.scoping import ScopeError, cross_town_scope, public_region_scope, town_scope
from projects import services
from projects.models import Indicator, Measurement, ProgressUpdate, Project, ProjectEvent, ProjectPartner
from tests import factories

pytestmark = pytest.mark.django_db


def test_joint_project_is_visible_to_lead_and_partners_only(town_a, town_b, town_c):
    joint = factories.project(municipality=town_a, partners=[town_b], title="LoRaWAN-Netz")
    factories.project(municipality=town_c, title="Olpe allein")
    with town_scope(town_a):
        assert [p.title for p in Project.objects.all()] == ["LoRaWAN-Netz"]
    with town_scope(town_b):
        assert [p.title for p in Project.objects.all()] == ["LoRaWAN-Netz"]
        assert Project.objects.get(slug=joint.slug) == joint
    with town_scope(town_c):
        assert [p.title for p in Project.objects.all()] == ["Olpe allein"]
        assert not Project.objects.filter(slug=joint.slug).exists()


def test_shared_rows_appear_once_in_a_multi_town_scope(town_a, town_b, town_c):
    joint = factories.project(municipality=town_a, partners=[town_b, town_c])
    factories.progress_update(project=joint, acting_town=town_b, title="Von Soest")
    with cross_town_scope(purpose="test"):
        assert Project.objects.count() == 1
        assert list(Project.objects.values_list("pk", flat=True)) == [joint.pk]
        assert ProgressUpdate.objects.count() == 1
    with public_region_scope():
        assert Project.objects.count() == 1


def test_rows_hanging_off_a_joint_project_follow_it(town_a, town_b, town_c):
    joint = factories.project(municipality=town_a, partners=[town_b])
    update = factories.progress_update(project=joint, acting_town=town_b, title="Von Soest")
    with town_scope(town_a):
        indicator = services.indicator_create(
            project=joint, by=None, acting_town=town_a, fields={"name": "Sensoren", "target": 100}
        )
        services.measurement_record(
            indicator=indicator,
            by=None,
            acting_town=town_a,
            measured_on=__import__("datetime").date(2026, 1, 1),
            value=10,
        )
    for town in (town_a, town_b):
        with town_scope(town):
            assert list(ProgressUpdate.objects.all()) == [update]
            assert list(Indicator.objects.all()) == [indicator]
            assert Measurement.objects.count() == 1
            assert ProjectPartner.objects.count() == 1
            assert ProjectEvent.objects.filter(project=joint).count() >= 4
    with town_scope(town_c):
        for model in (ProgressUpdate, Indicator, Measurement, ProjectPartner, ProjectEvent):
            assert not model.objects.exists(), model


def test_removed_partner_loses_sight_of_the_project(town_a, town_b):
    joint = factories.project(municipality=town_a, partners=[town_b])
    with town_scope(town_a):
        services.project_change(project=joint, by=None, acting_town=town_a, fields={}, partner_towns=[])
    with town_scope(town_b):
        assert not Project.objects.exists()


def test_shared_managers_still_refuse_queries_outside_a_scope(town_a):
    factories.project(municipality=town_a)
    for model in (Project, ProgressUpdate, Indicator, Measurement, ProjectPartner, ProjectEvent):
        with pytest.raises(ScopeError):
            list(model.objects.all())
