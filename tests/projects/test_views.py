"""Project pages: public lists and details, partner towns, staff forms, files and the dashboard."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import Role
from municipalities.scoping import town_scope
from projects import services
from projects.models import FieldOfAction, Project, ProjectEvent, ProjectFile
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def joint(town_a, town_b, editor_a):
    project = factories.project(
        municipality=town_a,
        partners=[town_b],
        by=editor_a,
        title="LoRaWAN-Netz",
        status="in_progress",
        latitude="51.396000",
        longitude="8.064000",
        location_label="Rathaus",
    )
    with town_scope(town_a):
        indicator = services.indicator_create(
            project=project,
            by=editor_a,
            acting_town=town_a,
            fields={"name": "Gateways", "unit": "Stück", "baseline": 0, "target": 20},
        )
        services.measurement_record(
            indicator=indicator,
            by=editor_a,
            acting_town=town_a,
            measured_on=datetime.date(2026, 1, 1),
            value=8,
        )
    factories.progress_update(project=project, title="Öffentlich", progress_percent=40)
    factories.progress_update(project=project, title="Nur intern", is_public=False)
    return project


def test_public_list_shows_own_and_joint_projects_in_bounded_queries(
    catalogue, client, town_a, town_b, joint, django_assert_max_num_queries
):
    field = FieldOfAction.objects.first()
    for n in range(25):
        factories.project(municipality=town_b, title=f"Soest {n:02}", fields_of_action=[field])
    factories.project(municipality=town_b, title="Geheim", visibility="internal")
    with django_assert_max_num_queries(12):
        response = client.get("/soest/projekte/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "26 Projekte gefunden" in text
    assert "LoRaWAN-Netz" in text or "Seite 1 von 2" in text
    assert "Geheim" not in text
    page2 = client.get("/soest/projekte/?page=2").content.decode()
    assert "Seite 2 von 2" in page2


def test_filters_keep_their_values_and_ignore_nonsense(client, town_a, joint):
    factories.project(municipality=town_a, title="Allein", phase="A")
    response = client.get("/arnsberg/projekte/?joint=ja&status=in_progress&phase=bogus&page=x")
    text = response.content.decode()
    assert response.status_code == 200
    assert "LoRaWAN-Netz" in text and "Allein" not in text
    assert 'value="ja" selected' in text
    assert client.get("/arnsberg/projekte/?q=" + "x" * 500).status_code == 200


def test_detail_shows_progress_kpi_chart_and_public_updates_only(client, joint):
    response = client.get(f"/arnsberg/projekte/{joint.slug}/")
    text = response.content.decode()
    assert response.status_code == 200
    assert 'value="40"' in text  # progress bar
    assert "<svg" in text and "Gateways" in text
    assert "Öffentlich" in text and "Nur intern" not in text
    assert "Soest" in text  # partner town


def test_partner_town_shows_the_joint_project(client, joint, town_c):
    assert client.get(f"/soest/projekte/{joint.slug}/").status_code == 200
    assert client.get(f"/olpe/projekte/{joint.slug}/").status_code == 404


def test_internal_project_only_for_staff_of_participating_towns(
    client, town_a, town_b, town_c, citizen, staff_factory, moderator
):
    project = factories.project(municipality=town_a, partners=[town_b], title="Intern", visibility="internal")
    url = f"/arnsberg/projekte/{project.slug}/"
    assert client.get(url).status_code == 404
    client.force_login(citizen)
    assert client.get(url).status_code == 404
    client.force_login(staff_factory(town_c, Role.ADMIN))
    assert client.get(url).status_code == 404
    client.force_login(staff_factory(town_b, Role.VIEWER))
    assert client.get(f"/soest/projekte/{project.slug}/").status_code == 200
    client.force_login(moderator)
    assert client.get(url).status_code == 200


def test_region_list_and_strategy_pages(client, joint, town_c):
    factories.project(municipality=town_c, title="Olpe App")
    text = client.get("/projekte/?town=soest").content.decode()
    assert "LoRaWAN-Netz" in text and "Olpe App" not in text
    assert client.get("/strategie/").status_code == 200
    assert client.get("/arnsberg/strategie/").status_code == 200


# --- Staff ------------------------------------------------------------------------------------------------


def _project_post(**overrides):
    data = {
        "title": "Smarte Parkplätze",
        "summary": "Sensoren zeigen freie Plätze.",
        "phase": "B",
        "weight": "1",
        "visibility": "public",
        "transferability": "yes",
        "tags_text": "Parken, Sensoren",
    }
    data.update(overrides)
    return data


def test_editor_creates_a_joint_project(catalogue, client, town_a, town_b, editor_a):
    client.force_login(editor_a)
    field = FieldOfAction.objects.get(slug="mobilitaet")
    response = client.post(
        "/arnsberg/verwaltung/projekte/neu/",
        _project_post(
            partner_towns=[town_b.pk], fields_of_action=[field.pk], latitude="51.4", longitude="8.06"
        ),
    )
    assert response.status_code == 302
    with town_scope(town_b):
        project = Project.objects.get(title="Smarte Parkplätze")
        assert project.municipality == town_a
        assert [t.name for t in project.tags.all()] == ["Parken", "Sensoren"]
    assert response["Location"] == f"/arnsberg/verwaltung/projekte/{project.slug}/"
    assert client.get(response["Location"]).status_code == 200


def test_invalid_project_form_keeps_the_input(client, editor_a):
    client.force_login(editor_a)
    response = client.post(
        "/arnsberg/verwaltung/projekte/neu/",
        _project_post(
            planned_start="2026-05-01", planned_end="2026-01-01", latitude="51.4", summary="Mein Text bleibt"
        ),
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Mein Text bleibt" in text
    assert 'aria-invalid="true"' in text
    assert "geplante Ende" in text or "planned end" in text


def test_viewer_reads_but_cannot_create(client, viewer_a, joint):
    client.force_login(viewer_a)
    assert client.get("/arnsberg/verwaltung/projekte/").status_code == 200
    assert client.get(f"/arnsberg/verwaltung/projekte/{joint.slug}/").status_code == 200
    assert client.get("/arnsberg/verwaltung/projekte/neu/").status_code == 403
    assert (
        client.post(f"/arnsberg/verwaltung/projekte/{joint.slug}/status/", {"to": "completed"}).status_code
        == 403
    )


def test_partner_editor_posts_updates_but_cannot_edit_the_project(client, town_b, joint, staff_factory):
    editor_b = staff_factory(town_b, Role.EDITOR)
    client.force_login(editor_b)
    base = f"/soest/verwaltung/projekte/{joint.slug}/"
    assert client.get(base).status_code == 200
    assert client.get(base + "bearbeiten/").status_code == 403
    assert client.post(base + "status/", {"to": "completed"}).status_code == 403
    assert client.get(base + "kennzahlen/neu/").status_code == 403
    response = client.post(
        base + "updates/neu/",
        {
            "published_on": "2026-11-01",
            "title": "Soest ist dabei",
            "body": "Zehn Sensoren montiert.",
            "progress_percent": "55",
            "is_public": "on",
        },
    )
    assert response.status_code == 302
    with town_scope(town_b):
        update = joint.updates.get(title="Soest ist dabei")
    assert update.municipality == town_b
    # The lead town's public page shows the partner's update.
    assert "Soest ist dabei" in client.get(f"/arnsberg/projekte/{joint.slug}/").content.decode()
    # A partner editor may not touch the lead town's updates.
    with town_scope(town_b):
        lead_update = joint.updates.get(title="Öffentlich")
    assert client.post(base + f"updates/{lead_update.pk}/loeschen/").status_code == 403
    assert client.post(base + f"updates/{update.pk}/loeschen/").status_code == 302


def test_transition_needs_a_reason_and_is_recorded(client, town_a, editor_a, joint):
    client.force_login(editor_a)
    url = f"/arnsberg/verwaltung/projekte/{joint.slug}/status/"
    response = client.post(url, {"to": "paused", "reason": ""})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    response = client.post(url, {"to": "paused", "reason": "Lieferengpass bei Sensoren"})
    assert response.status_code == 302
    response = client.post(url, {"to": "completed"})
    assert response.status_code == 200  # not a valid step from paused
    history = client.get(f"/arnsberg/verwaltung/projekte/{joint.slug}/verlauf/").content.decode()
    assert "Lieferengpass bei Sensoren" in history
    assert editor_a.email in history or str(editor_a) in history
    public = client.get(f"/arnsberg/projekte/{joint.slug}/").content.decode()
    assert "Lieferengpass bei Sensoren" in public


def test_indicator_and_measurements_through_the_pages(client, town_a, editor_a, joint):
    client.force_login(editor_a)
    base = f"/arnsberg/verwaltung/projekte/{joint.slug}/kennzahlen/"
    response = client.post(
        base + "neu/",
        {"name": "Nutzende", "unit": "Personen", "baseline": "100", "target": "100", "position": "0"},
    )
    assert (
        response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    )  # target = baseline
    response = client.post(
        base + "neu/",
        {"name": "Nutzende", "unit": "Personen", "baseline": "100", "target": "500", "position": "0"},
    )
    assert response.status_code == 302
    url = response["Location"]
    response = client.post(url, {"record": "1", "measured_on": "2026-06-30", "value": "abc"})
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    assert client.post(url, {"record": "1", "measured_on": "2026-06-30", "value": "250,5"}).status_code == 302
    # "260.25" could be 260,25 or a thousands dot with a digit missing: refused with a message, never guessed.
    response = client.post(url, {"record": "1", "measured_on": "2026-09-30", "value": "260.25"})
    assert response.status_code == 200 and "Meinten Sie 260,25?" in response.content.decode()
    assert (
        client.post(url, {"record": "1", "measured_on": "2026-09-30", "value": "260,25"}).status_code == 302
    )
    with town_scope(town_a):
        values = list(joint.indicators.get(name="Nutzende").measurements.values_list("value", flat=True))
    assert [str(v.normalize()) for v in values] == ["250.5", "260.25"]
    text = client.get(url).content.decode()
    assert "<svg" in text


def test_a_kpi_typed_in_german_is_stored_and_shown_as_typed(client, town_a, editor_a, joint):
    """Issue 15, item 1: target "1.500" was stored as 1,5 and measurement "1.020" as 1,02, without an error."""
    import re
    from decimal import Decimal

    client.force_login(editor_a)
    base = f"/arnsberg/verwaltung/projekte/{joint.slug}/kennzahlen/"
    fields = {"name": "Fahrgäste", "unit": "pro Tag", "baseline": "950", "target": "1,500", "position": "0"}
    refused = client.post(base + "neu/", fields)
    text = refused.content.decode()
    assert refused.status_code == 200 and "Bitte schreiben Sie 1.500 oder 1,5" in text
    assert 'value="1,500"' in text  # the input is kept for correction
    response = client.post(base + "neu/", {**fields, "target": "1.500"})
    assert response.status_code == 302
    url = response["Location"]
    assert client.post(url, {"record": "1", "measured_on": "2026-03-31", "value": "1.020"}).status_code == 302
    assert (
        client.post(url, {"record": "1", "measured_on": "2026-06-30", "value": "1.250,5"}).status_code == 302
    )
    with town_scope(town_a):
        indicator = joint.indicators.get(name="Fahrgäste")
        values = list(indicator.measurements.order_by("measured_on").values_list("value", flat=True))
    assert (indicator.baseline, indicator.target, values) == (
        Decimal(950),
        Decimal(1500),
        [Decimal(1020), Decimal("1250.5")],
    )
    # The edit form shows what reads back unchanged, and saving it unchanged keeps the values.
    edit = client.get(url).content.decode()
    assert re.search(r'name="target" value="1\.500"', edit) and re.search(
        r'name="baseline" value="950"', edit
    )
    assert client.post(url, {**fields, "target": "1.500"}).status_code == 302
    with town_scope(town_a):
        indicator.refresh_from_db()
    assert indicator.target == Decimal(1500)
    # The public page: the list and the chart show 1.500, the measurements 1.020 and 1.250,5.
    page = client.get(f"/arnsberg/projekte/{joint.slug}/").content.decode()
    article = page[page.index("Fahrgäste") :]
    article = article[: article.index("</article>")]
    assert "1.500 pro Tag" in article and "1.020 pro Tag" in article and "1.250,5 pro Tag" in article
    chart = article[article.index("<svg") : article.index("</svg>")]
    assert "1.500" in chart and "1,5 " not in chart


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Kamerahersteller"  # Make
    exif[0x8825] = {2: (51.0, 23.0, 45.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_image_upload_strips_metadata_and_respects_visibility(client, town_a, editor_a, joint):
    client.force_login(editor_a)
    url = f"/arnsberg/verwaltung/projekte/{joint.slug}/dateien/"
    photo = SimpleUploadedFile("IMG_4711 Familie Müller.jpg", _jpeg_with_gps(), content_type="image/jpeg")
    response = client.post(url, {"upload": photo, "title": "Gateway am Rathaus", "alt_text": ""})
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    photo.seek(0)
    response = client.post(
        url,
        {
            "upload": photo,
            "title": "Gateway am Rathaus",
            "alt_text": "Ein Funkgateway auf dem Dach",
            "is_public": "on",
        },
    )
    assert response.status_code == 302
    with town_scope(town_a):
        item = ProjectFile.objects.get()
        assert "Familie" not in item.file.name
        stored = Image.open(item.file.open("rb"))
        assert not stored.getexif()
        assert ProjectEvent.objects.filter(kind=ProjectEvent.Kind.FILE_ADDED).exists()
    client.logout()
    download = client.get(f"/arnsberg/projekte/{joint.slug}/dateien/{item.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    assert download["X-Content-Type-Options"] == "nosniff"


def test_bad_uploads_get_clear_messages(client, editor_a, joint):
    client.force_login(editor_a)
    url = f"/arnsberg/verwaltung/projekte/{joint.slug}/dateien/"
    fake = SimpleUploadedFile("bericht.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(url, {"upload": fake, "title": "Bericht"})
    assert response.status_code == 200
    assert "Dateityp" in response.content.decode() or "file type" in response.content.decode()


def test_internal_file_is_hidden_from_the_public(client, town_a, editor_a, joint):
    client.force_login(editor_a)
    pdf = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    client.post(
        f"/arnsberg/verwaltung/projekte/{joint.slug}/dateien/", {"upload": pdf, "title": "Vergabeplan"}
    )
    with town_scope(town_a):
        item = ProjectFile.objects.get()
    assert not item.is_public
    assert client.get(f"/arnsberg/projekte/{joint.slug}/dateien/{item.pk}/").status_code == 200
    client.logout()
    assert client.get(f"/arnsberg/projekte/{joint.slug}/dateien/{item.pk}/").status_code == 404
    assert "Vergabeplan" not in client.get(f"/arnsberg/projekte/{joint.slug}/").content.decode()


def test_strategy_form_and_document(client, town_a, editor_a):
    client.force_login(editor_a)
    pdf = SimpleUploadedFile("strategie.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = client.post(
        "/arnsberg/verwaltung/strategie/",
        {
            "title": "Smart City Strategie Arnsberg",
            "adopted_on": "2021-06-15",
            "summary": "**Digital** und nah.",
            "document_upload": pdf,
        },
    )
    assert response.status_code == 302
    text = client.get("/arnsberg/strategie/").content.decode()
    assert "Smart City Strategie Arnsberg" in text and "<strong>Digital</strong>" in text
    assert client.get("/arnsberg/strategie/dokument/town/").status_code == 200
    assert client.get("/arnsberg/strategie/dokument/joint/").status_code == 404
    assert client.get("/arnsberg/verwaltung/strategie/gemeinsam/").status_code == 200


def test_joint_strategy_only_for_the_lead_town(client, town_b, staff_factory):
    client.force_login(staff_factory(town_b, Role.EDITOR))
    assert client.get("/soest/verwaltung/strategie/gemeinsam/").status_code == 404


def test_dashboard_counts_projects_and_lists_stale_ones(
    client, town_a, editor_a, django_assert_max_num_queries
):
    factories.project(municipality=town_a, status="in_progress", title="Ohne Neuigkeiten")
    with town_scope(town_a):
        Project.objects.filter(title="Ohne Neuigkeiten").update(
            created_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
        )
    client.force_login(editor_a)
    with django_assert_max_num_queries(25):
        response = client.get("/arnsberg/verwaltung/")
    text = response.content.decode()
    assert "Ohne Neuigkeiten" in text
    assert "?status=in_progress" in text
