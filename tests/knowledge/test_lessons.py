"""Lessons-learned notes: who reads and writes them, the town they belong to, what stays internal, and the
public pages (notes marked public, the catalogue of transferable projects)."""

import pytest
from django.urls import reverse

from accounts.models import Role
from knowledge import services
from knowledge.models import LessonNote
from knowledge.selectors import NoteFilters, note_page
from municipalities.scoping import scopes_disabled
from projects.models import FieldOfAction, Tag
from tests import factories

pytestmark = pytest.mark.django_db


def _note(*, municipality, by=None, title="Ausschreibung von LoRaWAN-Gateways", public=False, **kwargs):
    return services.lesson_note_create(
        by=by,
        municipality=municipality,
        fields={"title": title, "body": "Rahmenvertrag **früh** anfragen.", "is_public": public},
        **kwargs,
    )


def _get(note_pk):
    with scopes_disabled():
        return LessonNote.objects.select_related("municipality").get(pk=note_pk)


@pytest.fixture
def editor_b(town_b, staff_factory):
    return staff_factory(town_b, Role.EDITOR)


def test_citizens_and_anonymous_visitors_do_not_reach_the_staff_notes(client, town_a, citizen):
    note = _note(municipality=town_a)
    for url in (
        "/arnsberg/verwaltung/wissen/",
        f"/arnsberg/verwaltung/wissen/{note.pk}/",
        "/arnsberg/verwaltung/wissen/neu/",
        f"/arnsberg/verwaltung/wissen/{note.pk}/bearbeiten/",
    ):
        assert "/accounts/login/" in client.get(url)["Location"]
    client.force_login(citizen)
    for url in ("/arnsberg/verwaltung/wissen/", f"/arnsberg/verwaltung/wissen/{note.pk}/"):
        assert client.get(url).status_code == 404
    # Not public, so not on the public pages either.
    assert client.get(f"/wissen/{note.pk}/").status_code == 404
    assert note.title not in client.get("/wissen/").content.decode()


def test_staff_of_any_town_read_the_notes_of_every_town(
    client, town_a, town_b, viewer_a, editor_b, moderator
):
    soest = _note(municipality=town_b, by=editor_b, title="Erfahrungen aus Soest")
    region = _note(municipality=None, by=moderator, title="Tipp der Agentur")
    client.force_login(viewer_a)
    page = client.get("/arnsberg/verwaltung/wissen/").content.decode()
    assert "Erfahrungen aus Soest" in page and "Tipp der Agentur" in page
    detail = client.get(f"/arnsberg/verwaltung/wissen/{soest.pk}/")
    assert detail.status_code == 200 and "<strong>früh</strong>" in detail.content.decode()
    assert "/bearbeiten/" not in detail.content.decode()  # a viewer reads, never writes
    client.force_login(moderator)
    assert client.get(f"/soest/verwaltung/wissen/{region.pk}/").status_code == 200


def test_an_editor_writes_for_the_own_town_and_edits_the_note(client, town_a, editor_a, catalogue):
    field = FieldOfAction.objects.get(slug="mobilitaet")
    project = factories.project(municipality=town_a, title="Intern geplant", visibility="internal")
    client.force_login(editor_a)
    assert client.get("/arnsberg/verwaltung/wissen/neu/").status_code == 200
    response = client.post(
        "/arnsberg/verwaltung/wissen/neu/",
        {
            "title": "Bürgerbus-Fahrplan",
            "body": "Früh mit dem Verkehrsverbund sprechen.",
            "fields_of_action": [field.pk],
            "tags_text": "ÖPNV, Ehrenamt",
            "project": project.pk,
        },
    )
    note = _get(LessonNote.objects.model._base_manager.get().pk)
    assert response.status_code == 302 and response["Location"] == f"/arnsberg/verwaltung/wissen/{note.pk}/"
    assert (note.municipality, note.author, note.updated_by, note.project_id) == (
        town_a,
        editor_a,
        editor_a,
        project.pk,
    )
    assert not note.is_public
    with scopes_disabled():
        assert sorted(t.name for t in note.tags.all()) == ["Ehrenamt", "ÖPNV"]
        assert list(note.fields_of_action.all()) == [field]
    response = client.post(
        f"/arnsberg/verwaltung/wissen/{note.pk}/bearbeiten/",
        {"title": "Bürgerbus-Fahrplan abstimmen", "body": "Text", "tags_text": "ÖPNV", "is_public": "on"},
    )
    assert response.status_code == 302
    note = _get(note.pk)
    assert note.title == "Bürgerbus-Fahrplan abstimmen" and note.is_public and note.project is None


def test_another_towns_editor_cannot_edit_but_the_author_and_moderators_can(
    client, town_a, town_b, editor_a, editor_b, moderator, staff_factory
):
    """The author edits (test above); so do the town's other editors and moderators, never other towns."""
    note = _note(municipality=town_a, by=editor_a)
    edit = f"/soest/verwaltung/wissen/{note.pk}/bearbeiten/"
    client.force_login(editor_b)
    assert client.get(f"/soest/verwaltung/wissen/{note.pk}/").status_code == 200
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"title": "Übernommen", "body": "x"}).status_code == 403
    assert _get(note.pk).title == "Ausschreibung von LoRaWAN-Gateways"
    # Another editor of the note's own town may.
    client.force_login(
        factories.staff_member(municipality=town_a, role=Role.EDITOR, email="editor2@example.org")
    )
    assert client.get(f"/arnsberg/verwaltung/wissen/{note.pk}/bearbeiten/").status_code == 200
    # Viewers write no notes at all.
    client.force_login(staff_factory(town_a, Role.VIEWER))
    assert client.get("/arnsberg/verwaltung/wissen/neu/").status_code == 403
    assert client.get(f"/arnsberg/verwaltung/wissen/{note.pk}/bearbeiten/").status_code == 403
    # The moderator changes it; the note stays Arnsberg's, the change is recorded.
    client.force_login(moderator)
    response = client.post(
        f"/soest/verwaltung/wissen/{note.pk}/bearbeiten/", {"title": "Geprüft", "body": "x"}
    )
    assert response.status_code == 302
    note = _get(note.pk)
    assert (note.title, note.municipality, note.author, note.updated_by) == (
        "Geprüft",
        town_a,
        editor_a,
        moderator,
    )


def test_a_moderator_writes_for_the_region(client, town_b, moderator):
    client.force_login(moderator)
    response = client.post(
        "/soest/verwaltung/wissen/neu/", {"title": "Förderaufruf", "body": "Fristen beachten."}
    )
    assert response.status_code == 302
    note = _get(LessonNote._base_manager.get().pk)
    assert note.municipality is None and note.author == moderator


def test_an_internal_project_of_another_town_is_not_named_by_a_note(
    client, town_a, town_b, editor_a, editor_b
):
    internal = factories.project(municipality=town_a, title="Geheimes Vorhaben", visibility="internal")
    note = _note(municipality=town_a, by=editor_a, project=internal, public=True)
    client.force_login(editor_b)
    for url in ("/soest/verwaltung/wissen/", f"/soest/verwaltung/wissen/{note.pk}/"):
        assert "Geheimes Vorhaben" not in client.get(url).content.decode()
    client.force_login(editor_a)
    page = client.get(f"/arnsberg/verwaltung/wissen/{note.pk}/").content.decode()
    assert "Geheimes Vorhaben" in page and internal.get_staff_url() in page
    client.logout()
    public = client.get(f"/wissen/{note.pk}/")
    assert public.status_code == 200 and "Geheimes Vorhaben" not in public.content.decode()


def test_an_editor_cannot_link_another_towns_project(client, town_a, town_b, editor_a):
    other = factories.project(municipality=town_b, title="Soester Projekt", visibility="internal")
    client.force_login(editor_a)
    response = client.post(
        "/arnsberg/verwaltung/wissen/neu/", {"title": "T", "body": "B", "project": other.pk}
    )
    assert response.status_code == 200 and not LessonNote._base_manager.exists()


def test_note_filters(town_a, town_b, catalogue):
    from projects import services as project_services

    mobility = FieldOfAction.objects.get(slug="mobilitaet")
    tags = project_services.tags_from_text("Vergabe")
    _note(municipality=town_a, title="Vergabe", tags=tags)
    _note(municipality=town_b, title="Mobilität", fields_of_action=[mobility])
    _note(municipality=None, title="Agentur", public=True)

    def titles(public_only=False, **kwargs):
        return [
            n.title for n in note_page(filters=NoteFilters(**kwargs), public_only=public_only).object_list
        ]

    assert sorted(titles()) == ["Agentur", "Mobilität", "Vergabe"]
    assert titles(tag="vergabe") == ["Vergabe"]
    assert titles(field="mobilitaet") == ["Mobilität"]
    assert titles(town="soest") == ["Mobilität"]
    assert titles(town="agentur") == ["Agentur"]
    assert titles(q="mobil") == ["Mobilität"]
    assert titles(public_only=True) == ["Agentur"]
    assert Tag.objects.get(slug="vergabe")


def test_the_note_list_runs_a_bounded_number_of_queries(
    client, town_a, town_b, viewer_a, catalogue, django_assert_max_num_queries
):
    from projects import services as project_services

    field = FieldOfAction.objects.first()
    tags = project_services.tags_from_text("A, B")
    for n in range(12):
        project = factories.project(
            municipality=town_a if n % 2 else town_b, visibility="internal" if n % 3 else "public"
        )
        _note(
            municipality=town_a if n % 2 else town_b,
            title=f"Notiz {n}",
            project=project,
            fields_of_action=[field],
            tags=tags,
        )
    client.force_login(viewer_a)
    client.get("/arnsberg/verwaltung/wissen/")  # warm the session and the MFA lookups
    with django_assert_max_num_queries(25):
        response = client.get("/arnsberg/verwaltung/wissen/?field=" + field.slug)
    assert response.status_code == 200 and response.content.decode().count('class="sc5-card"') == 12


def test_the_catalogue_page_filters_and_links_open_source_code(client, town_a, town_b, catalogue):
    factories.project(
        municipality=town_a,
        title="Parkplatz-App",
        transferability="yes",
        open_source_url="https://gitlab.opencode.de/arnsberg/parken",
    )
    factories.project(
        municipality=town_b,
        title="Datenplattform",
        transferability="partly",
        transferability_note="Braucht einen eigenen Server.",
    )
    factories.project(municipality=town_b, title="Intern", transferability="yes", visibility="internal")
    page = client.get(reverse("region-catalogue")).content.decode()
    assert "Parkplatz-App" in page and "Datenplattform" in page and "Intern<" not in page
    assert 'href="https://gitlab.opencode.de/arnsberg/parken" rel="noopener noreferrer external"' in page
    assert "Braucht einen eigenen Server." in page
    filtered = client.get(reverse("region-catalogue") + "?open_source=on").content.decode()
    assert "Parkplatz-App" in filtered and "Datenplattform" not in filtered
    assert "Datenplattform" in client.get(reverse("region-catalogue") + "?town=soest").content.decode()


def test_project_pages_show_similar_projects_of_other_towns(
    client, town_a, town_b, editor_a, catalogue, django_assert_max_num_queries
):
    mobility = FieldOfAction.objects.get(slug="mobilitaet")
    own = factories.project(municipality=town_a, title="Parkraum", fields_of_action=[mobility])
    factories.project(municipality=town_b, title="Parken in Soest", fields_of_action=[mobility])
    factories.project(
        municipality=town_b, title="Soest intern", fields_of_action=[mobility], visibility="internal"
    )
    page = client.get(own.get_absolute_url()).content.decode()
    assert 'id="similar-heading"' in page
    assert "Parken in Soest" in page and "Soest intern" not in page
    client.force_login(editor_a)
    staff = client.get(own.get_staff_url()).content.decode()
    assert "Parken in Soest" in staff and "Soest intern" not in staff


def test_project_pages_show_the_notes_about_the_project(client, town_a, town_b, editor_a, editor_b, viewer_a):
    project = factories.project(municipality=town_a, title="LoRaWAN-Netz")
    factories.project(municipality=town_a, title="Ohne Notizen")
    public = _note(
        municipality=town_b, by=editor_b, project=project, public=True, title="Gateways früh planen"
    )
    internal = _note(municipality=town_a, by=editor_a, project=project, title="Vertrag nachverhandeln")
    region = _note(municipality=None, project=project, public=True, title="Eine Lizenz für alle")

    page = client.get(project.get_absolute_url()).content.decode()
    assert 'id="lesson-notes"' in page
    assert (
        public.get_public_url() in page and region.get_public_url() in page and "Eine Lizenz für alle" in page
    )
    assert "Vertrag nachverhandeln" not in page and f"/wissen/{internal.pk}/" not in page
    # A project nobody wrote about shows no empty section on its public page.
    with scopes_disabled():
        quiet = project.__class__.objects.get(title="Ohne Notizen")
    assert 'id="lesson-notes"' not in client.get(quiet.get_absolute_url()).content.decode()

    client.force_login(editor_a)
    staff = client.get(project.get_staff_url()).content.decode()
    for note in (public, internal, region):
        assert f"/arnsberg/verwaltung/wissen/{note.pk}/" in staff
    write = f"/arnsberg/verwaltung/wissen/neu/?project={project.pk}"
    assert write in staff
    form = client.get(write).context["form"]
    assert form["project"].value() == project.pk
    # A project the editor may not link is not chosen from the address.
    foreign = factories.project(municipality=town_b, title="Soest intern", visibility="internal")
    assert client.get(f"/arnsberg/verwaltung/wissen/neu/?project={foreign.pk}").context["form"][
        "project"
    ].value() in (None, "")
    # Viewers read the notes but are not asked to write one.
    client.force_login(viewer_a)
    staff = client.get(project.get_staff_url()).content.decode()
    assert f"/arnsberg/verwaltung/wissen/{internal.pk}/" in staff and write not in staff


@pytest.mark.parametrize("where", ["region", "town"])
def test_the_knowledge_pages_are_in_the_main_navigation(client, town_a, where):
    url = reverse("region-home") if where == "region" else town_a.get_absolute_url()
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    nav = page.split('aria-label="Hauptnavigation"')[1].split("</nav>")[0]
    assert f'<a href="{reverse("knowledge-public")}">Wissen</a>' in nav
    current = client.get(reverse("knowledge-public"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    nav = current.split('aria-label="Hauptnavigation"')[1].split("</nav>")[0]
    assert f'<a href="{reverse("knowledge-public")}" aria-current="page">Wissen</a>' in nav
