"""One registry of watched models, two channels (municipalities.freshness): a model registered once moves both the
public pages' version (``Municipality.content_version``) and the key figures' version (``FiguresChange``) of the
towns its row concerns, and neither channel of any other town. Real database; the writes go through the services."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Q
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from municipalities import freshness
from municipalities.models import Municipality
from municipalities.scoping import town_scope
from projects import services as project_services
from tests import factories

pytestmark = pytest.mark.django_db


def _channels(*towns) -> dict[str, tuple]:
    """Each town's (pages' version, figures' version)."""
    figures = freshness.read_versions(town.pk for town in towns)
    pages = dict(
        Municipality.objects.filter(pk__in=[t.pk for t in towns]).values_list("slug", "content_version")
    )
    return {town.slug: (pages[town.slug], figures[town.pk]) for town in towns}


def _moved(before: dict, after: dict) -> dict[str, tuple[bool, bool]]:
    """Per town: (pages moved, figures moved)."""
    return {slug: (after[slug][0] != before[slug][0], after[slug][1] != before[slug][1]) for slug in before}


def test_every_watched_model_is_registered_once_with_one_receiver():
    assert freshness.REGISTRY["projects.Project"].channels == freshness.BOTH
    for label in freshness.REGISTRY:
        model = apps.get_model(label)
        ours = [
            key
            for key, *_rest in post_save.receivers
            if isinstance(key[0], str)
            and key[0].startswith(f"municipalities.freshness:{label}:")
            and key[1] == id(model)
        ]
        assert len(ours) == 1, label
    # No receiver left of the two mechanisms before (figure_versions' own uids).
    assert not [key for key, *_rest in post_save.receivers if str(key[0]).startswith("figures-version")]


def test_a_model_is_watched_once():
    """A second registration of a watched model is refused, and leaves the one receiver alone."""
    from projects.models import Project

    with pytest.raises(ImproperlyConfigured):
        freshness.watch(Project, freshness.Watch(freshness.own, freshness.Channel.PAGES))
    from projects import freshness as project_freshness

    assert freshness.REGISTRY["projects.Project"] is project_freshness.WATCHED["projects.Project"]


def test_each_app_registers_its_own_models_and_the_base_names_none():
    """The base app's registry holds its own models; every app adds its own from its ``AppConfig.ready``."""
    assert {label.split(".")[0] for label in freshness.WATCHED} == {"municipalities"}
    assert {label.split(".")[0] for label in freshness.REGISTRY} == {
        "municipalities",
        "accounts",
        "projects",
        "participation",
        "funding",
        "knowledge",
        "surveys",
    }
    assert len(freshness.REGISTRY) == 26


def test_a_model_registered_once_moves_both_channels_of_its_towns_and_no_other(
    town_a, town_b, town_c, editor_a
):
    """A joint project of Arnsberg with Soest: its edit moves both channels of both towns, Olpe's neither."""
    project = factories.project(municipality=town_a, partners=[town_b], status="in_progress")
    before = _channels(town_a, town_b, town_c)
    with town_scope(town_a):
        project_services.project_change(
            project=project, by=editor_a, acting_town=town_a, fields={"summary": "Neu"}
        )
    assert _moved(before, _channels(town_a, town_b, town_c)) == {
        "arnsberg": (True, True),
        "soest": (True, True),
        "olpe": (False, False),
    }


def test_a_write_in_one_town_moves_neither_channel_of_another(town_a, town_b, editor_a):
    """A project of Arnsberg alone, a progress update on it (both channels) and an idea in its process (figures
    only): Soest's pages and figures keep their versions."""
    project = factories.project(municipality=town_a, status="in_progress")
    process = factories.process(municipality=town_a)
    before = _channels(town_a, town_b)
    factories.progress_update(project=project, by=editor_a, title="Sensoren verbaut")
    factories.idea(process=process)
    assert _moved(before, _channels(town_a, town_b)) == {"arnsberg": (True, True), "soest": (False, False)}


def test_the_towns_are_read_once_for_both_channels(town_a, town_b):
    """Both channels of a row's towns: one query reads the towns, one UPDATE raises the pages' version, one INSERT
    records the figures' change; the pages alone are one UPDATE."""
    with CaptureQueriesContext(connection) as both:
        freshness.move(Q(pk=town_a.pk) | Q(pk=town_b.pk))
    assert [q["sql"].split()[0] for q in both] == ["SELECT", "UPDATE", "INSERT"]
    with CaptureQueriesContext(connection) as pages:
        freshness.move(Q(pk=town_a.pk), channels=freshness.Channel.PAGES)
    assert [q["sql"].split()[0] for q in pages] == ["UPDATE"]


def test_the_figures_alone_are_one_insert_for_the_towns_named(town_a, town_b):
    """The figures alone (every idea, answer and comment): one INSERT … SELECT writes a change row for each town the
    condition names, in the order of their ids, and none for another town; a condition naming no town writes none."""
    from municipalities.models import FiguresChange

    last = FiguresChange._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
    with CaptureQueriesContext(connection) as figures:
        freshness.move(Q(pk=town_b.pk) | Q(pk=town_a.pk), channels=freshness.Channel.FIGURES)
    assert [q["sql"].split()[0] for q in figures] == ["INSERT"]
    rows = list(
        FiguresChange._base_manager.filter(pk__gt=last).order_by("pk").values_list("municipality_id", "at")
    )
    assert [town for town, _at in rows] == sorted([town_a.pk, town_b.pk])
    assert rows[0][1] == rows[1][1] and rows[0][1] is not None
    freshness.move(Q(pk__in=[]), channels=freshness.Channel.FIGURES)
    freshness.move(Q(slug="nirgendwo"), channels=freshness.Channel.FIGURES)
    assert FiguresChange._base_manager.filter(pk__gt=last).count() == 2
