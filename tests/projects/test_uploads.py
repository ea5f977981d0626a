"""Upload hardening (projects.uploads): zip bombs are never inflated, images above the pixel budget are never
decoded, and every upload attempt counts against the ``upload`` rate limit — through the pages and the API."""

import io
import struct
import tracemalloc
import zipfile
import zlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from municipalities.scoping import scopes_disabled, town_scope
from participation.models import Idea
from projects.models import ProjectFile
from projects.uploads import check_upload
from tests import factories

pytestmark = pytest.mark.django_db

BOMB_BYTES = 256 * 1024 * 1024


def zip_bomb(entry: str = "mimetype", size: int = BOMB_BYTES) -> bytes:
    """An ODF-looking zip whose ``entry`` inflates to ``size`` bytes of zeros (about 1000:1); written in chunks,
    so building it never holds the inflated content."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open(entry, "w", force_zip64=False) as stream:
            chunk = bytes(1024 * 1024)
            for _ in range(size // len(chunk)):
                stream.write(chunk)
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def huge_png(width: int = 6300, height: int = 6300) -> bytes:
    """A valid, highly compressed RGB PNG of ``width`` × ``height`` pixels (6300² is about 120 KB), built row by
    row without ever holding the pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\x00" + bytes(width * 3)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", data)
        + chunk(b"IEND", b"")
    )


def png(size, mode="RGB") -> ContentFile:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="bild.png")


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zip_bomb()


@pytest.fixture
def process(town_a, catalogue):
    return factories.process(municipality=town_a)


def _idea_fields(**extra):
    return {
        "title": "Trinkbrunnen am Markt",
        "body": "Im Sommer fehlt Wasser.",
        "consent": "on",
        "homepage": "",
        "image_alt": "Ein Platz",
        **extra,
    }


def _page_url(process):
    return reverse(
        "participation:idea-create", kwargs={"town_slug": process.municipality.slug, "slug": process.slug}
    )


def _api_url(process):
    return reverse("api:process-ideas", kwargs={"town_slug": process.municipality.slug, "slug": process.slug})


def _peak_bytes(call):
    """The highest Python memory use while ``call`` runs (inflated zip content is Python bytes, so it shows)."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- Zip bombs --------------------------------------------------------------------------------------------


def test_the_test_bomb_is_real(bomb):
    assert len(bomb) < 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert archive.getinfo("mimetype").file_size == BOMB_BYTES


def test_a_zip_bomb_as_an_idea_image_is_refused_on_the_page_without_unpacking(client, process, citizen, bomb):
    client.force_login(citizen)
    upload = SimpleUploadedFile("bild.png", bomb, content_type="image/png")
    response, peak = _peak_bytes(lambda: client.post(_page_url(process), _idea_fields(image_upload=upload)))
    assert response.status_code == 400
    assert "JPEG, PNG" in " ".join(response.context["form"].errors["image_upload"])
    assert peak < 32 * 1024 * 1024, peak
    with scopes_disabled():
        assert not Idea.objects.exists()


def test_a_zip_bomb_through_the_api_is_a_400_without_unpacking(client, process, citizen, bomb):
    client.force_login(citizen)
    upload = SimpleUploadedFile("bild.png", bomb, content_type="image/png")
    response, peak = _peak_bytes(
        lambda: client.post(_api_url(process), _idea_fields(image_upload=upload, consent="true"))
    )
    assert response.status_code == 400 and "image_upload" in response.json()
    assert peak < 32 * 1024 * 1024, peak


def test_a_zip_bomb_as_a_project_document_is_sniffed_from_its_first_bytes_only(
    client, town_a, editor_a, bomb
):
    project = factories.project(municipality=town_a, by=editor_a)
    client.force_login(editor_a)
    url = reverse("projects:staff-files", kwargs={"town_slug": town_a.slug, "slug": project.slug})
    upload = SimpleUploadedFile("bericht.odt", bomb, content_type="application/vnd.oasis.opendocument.text")
    response, peak = _peak_bytes(lambda: client.post(url, {"upload": upload, "title": "Bericht"}))
    assert response.status_code == 200 and "upload" in response.context["form"].errors
    assert peak < 32 * 1024 * 1024, peak
    with town_scope(town_a):
        assert not ProjectFile.objects.exists()


def test_a_bomb_in_another_entry_is_never_read_and_real_documents_still_pass():
    # An ODT whose "mimetype" is right but whose content inflates to 256 MB: only the directory is read.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        with archive.open("content.xml", "w") as stream:
            for _ in range(BOMB_BYTES // (1024 * 1024)):
                stream.write(bytes(1024 * 1024))
    upload = ContentFile(out.getvalue(), name="a.odt")
    checked, peak = _peak_bytes(lambda: check_upload(upload))
    assert checked.content_type == "application/vnd.oasis.opendocument.text"
    assert peak < 16 * 1024 * 1024, peak
    # A real ODT (stored "mimetype" entry first) and a real DOCX still pass.
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    assert check_upload(ContentFile(odt.getvalue(), name="a.odt")).kind == "document"
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert check_upload(ContentFile(docx.getvalue(), name="a.docx")).content_type.endswith(
        "wordprocessingml.document"
    )


def test_an_archive_with_too_many_entries_is_refused_before_its_directory_is_read():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for number in range(10_001):
            archive.writestr(f"{number}", b"")
    with pytest.raises(Exception) as refused:
        check_upload(ContentFile(out.getvalue(), name="viele.odt"))
    assert refused.value.code == "type"


# --- The pixel budget -------------------------------------------------------------------------------------


def test_a_6300_square_png_is_refused_on_the_page_before_it_is_decoded(client, process, citizen):
    client.force_login(citizen)
    data = huge_png()
    assert len(data) < 400 * 1024
    upload = SimpleUploadedFile("riesig.png", data, content_type="image/png")
    response = client.post(_page_url(process), _idea_fields(image_upload=upload))
    assert response.status_code == 400
    message = " ".join(response.context["form"].errors["image_upload"])
    assert "6300 × 6300 Pixel" in message and "Megapixel" in message, message
    with scopes_disabled():
        assert not Idea.objects.exists()


def test_a_6300_square_png_through_the_api_is_a_400(client, process, citizen):
    client.force_login(citizen)
    upload = SimpleUploadedFile("riesig.png", huge_png(), content_type="image/png")
    response = client.post(_api_url(process), _idea_fields(image_upload=upload, consent="true"))
    assert response.status_code == 400
    assert "Megapixel" in " ".join(response.json()["image_upload"])


def test_the_pixel_budget_follows_the_bytes_per_pixel_of_the_mode(settings):
    settings.UPLOAD_IMAGE_DECODE_BUDGET_BYTES = 100 * 100 * 4 * 2  # a 100×100 RGB image and one working copy
    assert check_upload(png((100, 100))).kind == "image"
    with pytest.raises(Exception) as refused:
        check_upload(png((100, 101)))
    assert refused.value.code == "pixels"
    # Grey needs one byte a pixel, not four: four times as many pixels fit.
    assert check_upload(png((200, 200), mode="L")).kind == "image"
    with pytest.raises(Exception) as refused:
        check_upload(png((200, 201), mode="L"))
    assert refused.value.code == "pixels"


# --- Every upload attempt counts --------------------------------------------------------------------------


def _fake_image():
    return SimpleUploadedFile("bild.png", b"<?php echo 1; ?>", content_type="image/png")


def test_rejected_uploads_count_and_the_next_attempt_is_a_429_with_the_form_as_sent(
    client, process, citizen, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": [(3, 3600, "user")]}
    client.force_login(citizen)
    for _ in range(3):
        response = client.post(_page_url(process), _idea_fields(image_upload=_fake_image()))
        assert response.status_code == 400 and "image_upload" in response.context["form"].errors
    response = client.post(
        _page_url(process), _idea_fields(title="Vierter Versuch", image_upload=_fake_image())
    )
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    form = response.context["form"]
    assert "image_upload" not in form.errors and form.non_field_errors()  # not examined; the limit on top
    assert 'value="Vierter Versuch"' in response.content.decode()
    # The API counts against the same limit: 429 with Retry-After and a reason.
    response = client.post(_api_url(process), _idea_fields(image_upload=_fake_image(), consent="true"))
    assert response.status_code == 429 and response["Retry-After"] and response.json()["detail"]
    # Without a file nothing is counted: an idea without an image still goes through.
    assert client.post(_page_url(process), _idea_fields(image_alt="")).status_code == 302


def test_uploads_count_per_address_too_and_on_every_upload_page(client, town_a, editor_a, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": [(2, 3600, "ip")]}
    project = factories.project(municipality=town_a, by=editor_a)
    client.force_login(editor_a)
    url = reverse("projects:staff-files", kwargs={"town_slug": town_a.slug, "slug": project.slug})
    for _ in range(2):
        response = client.post(url, {"upload": _fake_image(), "title": "Plan"})
        assert response.status_code == 200 and "upload" in response.context["form"].errors
    response = client.post(url, {"upload": _fake_image(), "title": "Plan"})
    assert response.status_code == 429 and response["Retry-After"]
    strategy = client.post(
        reverse("projects:staff-strategy", kwargs={"town_slug": town_a.slug}),
        {"title": "Strategie", "document_upload": _fake_image()},
    )
    assert strategy.status_code == 429
