"""The anonymous page cache on the town page, the project pages, the strategy, the region and knowledge pages, with
the real cache (Redis): each writer of what those pages show (the services, the Django admin, a stale town saved
again) makes the next anonymous visitor's page new, and a write in one town leaves another town's pages cached."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.models import Role
from knowledge import services as knowledge_services
from municipalities.models import Consortium, Municipality
from municipalities.scoping import town_scope
from projects import services
from projects.models import Tag
from smartcity5.page_cache import HEADER
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


@pytest.fixture
def project(town_a, town_b):
    return factories.project(
        municipality=town_a, partners=[town_b], title="Digitaler Zwilling", status="in_progress"
    )


def _urls(town_a, town_b, project):
    return {
        "home": reverse("municipalities:home", kwargs={"town_slug": town_a.slug}),
        "list": reverse("projects:list", kwargs={"town_slug": town_a.slug}),
        "detail": reverse("projects:detail", kwargs={"town_slug": town_a.slug, "slug": project.slug}),
        "partner_list": reverse("projects:list", kwargs={"town_slug": town_b.slug}),
        "partner_home": reverse("municipalities:home", kwargs={"town_slug": town_b.slug}),
        "strategy": reverse("projects:strategy", kwargs={"town_slug": town_a.slug}),
        "region": reverse("region-home"),
        "region_projects": reverse("region-projects"),
        "knowledge": reverse("knowledge-public"),
        "catalogue": reverse("region-catalogue"),
    }


@pytest.fixture
def urls(town_a, town_b, project):
    return _urls(town_a, town_b, project)


def _warm(client, *urls):
    for url in urls:
        client.get(url)
        response = client.get(url)
        assert response.status_code == 200 and response[HEADER] == "hit", url


def _fresh(client, url, text=None, *, absent=None):
    response = client.get(url)
    assert response.status_code == 200 and response[HEADER] == "miss", url
    content = response.content.decode()
    if text is not None:
        assert text in content, url
    if absent is not None:
        assert absent not in content, url
    return content


def test_every_page_is_served_from_the_cache_to_anonymous_visitors(client, urls):
    _warm(client, *urls.values())


def test_the_hit_path_costs_few_queries(client, urls, django_assert_max_num_queries):
    _warm(client, *urls.values())
    for url in urls.values():
        # the town (under /<town>/), the version(s), and the savepoint of ATOMIC_REQUESTS with its release
        with django_assert_max_num_queries(5):
            assert client.get(url)[HEADER] == "hit", url


def test_signed_in_people_get_their_own_page(client, urls, citizen):
    _warm(client, urls["home"], urls["detail"])
    client.force_login(citizen)
    for url in (urls["home"], urls["detail"]):
        assert HEADER not in client.get(url)


def test_a_project_change_shows_at_once_in_its_towns_and_the_region(client, urls, project, town_a, editor_a):
    _warm(client, *urls.values())
    with town_scope(town_a):
        services.project_change(
            project=project, by=editor_a, acting_town=town_a, fields={"title": "Zwilling der Stadt"}
        )
    for name in ("list", "detail", "partner_list", "region_projects"):
        _fresh(client, urls[name], "Zwilling der Stadt")
    _fresh(client, urls["catalogue"])  # (it lists completed projects only)


def test_a_write_in_one_town_leaves_another_towns_pages_cached(client, town_a, town_b, editor_a):
    own = factories.project(municipality=town_a, title="Nur Arnsberg")
    other = factories.project(municipality=town_b, title="Nur Soest")
    soest = [
        reverse("projects:list", kwargs={"town_slug": town_b.slug}),
        reverse("municipalities:home", kwargs={"town_slug": town_b.slug}),
    ]
    arnsberg = reverse("projects:list", kwargs={"town_slug": town_a.slug})
    _warm(client, *soest, arnsberg)
    with town_scope(town_a):
        services.project_change(project=own, by=editor_a, acting_town=town_a, fields={"summary": "Neu"})
    for url in soest:
        assert client.get(url)[HEADER] == "hit", url
    _fresh(client, arnsberg)
    assert other.title == "Nur Soest"


def test_status_updates_kpis_and_files_show_at_once(client, urls, project, town_a, town_b, editor_a):
    detail, partner_list = urls["detail"], urls["partner_list"]
    _warm(client, detail, partner_list)
    with town_scope(town_a):
        services.project_transition(
            project=project, to="paused", by=editor_a, acting_town=town_a, reason="Pause"
        )
    _fresh(client, detail, "Pausiert")
    _warm(client, detail)
    update = factories.progress_update(project=project, by=editor_a, title="Erste Sensoren verbaut")
    _fresh(client, detail, "Erste Sensoren verbaut")
    _warm(client, detail)
    with town_scope(town_a):
        services.progress_update_change(
            update=update, by=editor_a, acting_town=town_a, fields={"title": "Alle Sensoren verbaut"}
        )
    _fresh(client, detail, "Alle Sensoren verbaut")
    _warm(client, detail)
    with town_scope(town_a):
        services.progress_update_delete(update=update, by=editor_a, acting_town=town_a)
    _fresh(client, detail, absent="Alle Sensoren verbaut")
    _warm(client, detail, partner_list)
    with town_scope(town_a):
        indicator = services.indicator_create(
            project=project,
            by=editor_a,
            acting_town=town_a,
            fields={"name": "Verbaute Sensoren", "unit": "Stück"},
        )
    _fresh(client, detail, "Verbaute Sensoren")
    _fresh(client, partner_list)  # the partner town's list shows the joint project too
    _warm(client, detail)
    with town_scope(town_a):
        measurement = services.measurement_record(
            indicator=indicator,
            by=editor_a,
            acting_town=town_a,
            measured_on=datetime.date(2026, 3, 1),
            value=1234,
        )
    _fresh(client, detail, "1.234")
    _warm(client, detail)
    with town_scope(town_a):
        services.measurement_delete(measurement=measurement, by=editor_a, acting_town=town_a)
    _fresh(client, detail, absent="1.234")
    _warm(client, detail)
    with town_scope(town_a):
        services.project_file_add(
            project=project,
            by=editor_a,
            acting_town=town_a,
            upload=ContentFile(b"%PDF-1.4\n%%EOF\n", name="plan.pdf"),
            kind="document",
            title="Konzept zum Zwilling",
            content_type="application/pdf",
            is_public=True,
        )
    _fresh(client, detail, "Konzept zum Zwilling")


def test_a_new_public_project_and_a_partner_leaving(client, urls, project, town_a, town_b, editor_a):
    _warm(client, urls["list"], urls["partner_list"], urls["region_projects"])
    factories.project(municipality=town_a, title="Smarte Laternen")
    _fresh(client, urls["list"], "Smarte Laternen")
    _fresh(client, urls["region_projects"], "Smarte Laternen")
    assert client.get(urls["partner_list"])[HEADER] == "hit"  # not Soest's project
    with town_scope(town_a):
        services.project_change(project=project, by=editor_a, acting_town=town_a, fields={}, partner_towns=[])
    _fresh(client, urls["partner_list"], absent="Digitaler Zwilling")


def test_a_public_note_shows_on_knowledge_and_the_project_page(client, urls, project, town_a, town_b):
    _warm(client, urls["knowledge"], urls["detail"])
    editor_b = factories.UserFactory()  # a note for Soest is written by Soest's own editors
    factories.membership(user=editor_b, municipality=town_b, role=Role.EDITOR)
    knowledge_services.lesson_note_create(
        by=editor_b,
        municipality=town_b,
        project=project,
        fields={"title": "Sensoren früh bestellen", "body": "Lieferzeiten.", "is_public": True},
    )
    _fresh(client, urls["knowledge"], "Sensoren früh bestellen")
    _fresh(client, urls["detail"], "Sensoren früh bestellen")
    _warm(client, urls["knowledge"])
    # The Agentur's notes have no town: every town's version moves.
    knowledge_services.lesson_note_create(
        by=None,
        municipality=None,
        fields={"title": "Förderlogik verstehen", "body": "Text", "is_public": True},
    )
    _fresh(client, urls["knowledge"], "Förderlogik verstehen")


def test_the_town_and_the_consortium_changed_anywhere(client, urls, town_a, town_b):
    _warm(client, *urls.values())
    # As the admin or a command saves it: a town loaded before the change.
    stale = Municipality.objects.get(pk=town_b.pk)
    stale.name = "Soest an der Börde"
    stale.save()
    for url in urls.values():  # every page lists the towns in its footer
        _fresh(client, url, "Soest an der Börde")
    _warm(client, *urls.values())
    consortium = Consortium.objects.get(pk=town_a.consortium_id)
    consortium.motto = "Gemeinsam digital"
    consortium.save()
    _fresh(client, urls["region"], "Gemeinsam digital")
    _fresh(client, urls["home"])


def test_a_town_saved_from_an_old_copy_does_not_turn_its_version_back(
    client, urls, project, town_a, editor_a
):
    old_copy = Municipality.objects.get(pk=town_a.pk)
    _warm(client, urls["list"])
    with town_scope(town_a):
        services.project_change(
            project=project, by=editor_a, acting_town=town_a, fields={"title": "Erster Name"}
        )
    _fresh(client, urls["list"], "Erster Name")
    raised = Municipality.objects.get(pk=town_a.pk).content_version
    old_copy.vision = "Vernetzt leben"
    old_copy.save()
    assert Municipality.objects.get(pk=town_a.pk).content_version > raised


def test_a_tag_renamed_in_the_admin(client, urls, project, town_a, editor_a):
    tag = Tag.objects.create(name="Sensorik", slug="sensorik")
    with town_scope(town_a):
        services.project_change(project=project, by=editor_a, acting_town=town_a, fields={}, tags=[tag])
    _warm(client, urls["detail"])
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    factories.activate_totp(admin)
    staff = type(client)()
    staff.force_login(admin)
    response = staff.post(
        f"/admin/projects/tag/{tag.pk}/change/", {"name": "Umweltsensorik", "slug": "sensorik"}
    )
    assert response.status_code == 302
    _fresh(client, urls["detail"], "Umweltsensorik")


def test_an_idea_changes_the_town_page_and_the_project_page(client, urls, project, town_a, editor_a):
    process = factories.process(municipality=town_a, title="Ideen für den Markt")
    _warm(client, urls["home"], urls["detail"])
    idea = factories.idea(process=process, title="Bänke am Markt")
    _fresh(client, urls["home"], "Ideen für den Markt")
    _warm(client, urls["detail"])
    from participation.services import ideas as ideas_services

    with town_scope(town_a):
        ideas_services.idea_link_project(idea=idea, project=project, by=editor_a, acting_town=town_a)
    _fresh(client, urls["detail"], "Bänke am Markt")
