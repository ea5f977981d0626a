"""Request bodies over their limit are answered with 413 before any view reads them (smartcity5.request_limits);
bodies within it, with or without a length, still work."""

import io
import json
import os
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from municipalities.scoping import scopes_disabled
from participation.models import Idea
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def process(town_a, catalogue):
    return factories.process(municipality=town_a)


@pytest.fixture
def limits(settings):
    settings.REQUEST_MAX_BODY_BYTES = 8 * 1024
    settings.UPLOAD_MAX_IMAGE_BYTES = 32 * 1024
    settings.UPLOAD_MAX_DOCUMENT_BYTES = 64 * 1024
    settings.REQUEST_UPLOAD_OVERHEAD_BYTES = 16 * 1024
    return settings


def _page_url(process):
    return reverse(
        "participation:idea-create", kwargs={"town_slug": process.municipality.slug, "slug": process.slug}
    )


def _api_url(process):
    return reverse("api:process-ideas", kwargs={"town_slug": process.municipality.slug, "slug": process.slug})


def _idea(**extra):
    return {
        "title": "Trinkbrunnen am Markt",
        "body": "Im Sommer fehlt Wasser.",
        "consent": "on",
        "homepage": "",
        **extra,
    }


def _photo() -> SimpleUploadedFile:
    """A PNG of noise: about 20 KB, more than other requests may carry (8 KB), less than an image may (32 KB)."""
    buffer = io.BytesIO()
    Image.frombytes("L", (140, 140), os.urandom(140 * 140)).save(buffer, format="PNG")
    assert 8 * 1024 < buffer.tell() < 32 * 1024
    return SimpleUploadedFile("bild.png", buffer.getvalue(), content_type="image/png")


def _form(data: dict) -> dict:
    """A form without a file, as browsers send it (urlencoded; the test client's default is multipart)."""
    return {"data": urlencode(data), "content_type": "application/x-www-form-urlencoded"}


def _ideas() -> int:
    with scopes_disabled():
        return Idea.objects.count()


def test_a_form_body_over_the_limit_is_a_413_page_and_the_view_never_runs(client, process, citizen, limits):
    client.force_login(citizen)
    response = client.post(_page_url(process), **_form(_idea(body="x" * 9000)))
    assert response.status_code == 413
    text = response.content.decode()
    assert "zu groß" in text and "8,0" in text and "KB" in text, text
    assert [t.name for t in response.templates] == ["413.html"]  # the view never ran
    assert _ideas() == 0
    # Within the limit the same form works.
    assert client.post(_page_url(process), **_form(_idea(body="x" * 1000))).status_code == 302
    assert _ideas() == 1


def test_a_json_body_over_the_limit_is_a_413_with_a_reason(client, process, citizen, limits):
    client.force_login(citizen)
    body = json.dumps(_idea(body="x" * 9000, consent=True))
    response = client.post(_api_url(process), body, content_type="application/json")
    assert response.status_code == 413 and response["Content-Type"] == "application/json"
    assert "zu groß" in response.json()["detail"]
    assert _ideas() == 0


def test_uploads_may_carry_the_largest_file_but_no_more(client, process, citizen, limits):
    client.force_login(citizen)
    # Multipart bodies larger than other requests may be (here 8 KB) but within the upload limit still work.
    response = client.post(_page_url(process), _idea(image_upload=_photo(), image_alt="Rauschen"))
    assert response.status_code == 302
    # 64 KB (largest upload) + 16 KB: a 100 KB file is refused before it is received.
    big = SimpleUploadedFile("gross.pdf", b"%PDF-1.4\n" + bytes(100 * 1024), content_type="application/pdf")
    response = client.post(_page_url(process), _idea(image_upload=big, image_alt="x"))
    assert response.status_code == 413 and "80,0" in response.content.decode()
    big.seek(0)
    response = client.post(_api_url(process), _idea(image_upload=big, image_alt="x", consent="true"))
    assert response.status_code == 413 and "detail" in response.json()
    assert _ideas() == 1


def test_a_body_without_a_length_is_read_only_up_to_the_limit(client, process, citizen, limits):
    client.force_login(citizen)

    class Endless(io.RawIOBase):
        """A chunked body that never ends: the server must stop reading at the limit."""

        read_bytes = 0

        def readable(self):
            return True

        def read(self, size=-1):
            size = 65536 if size is None or size < 0 else size
            Endless.read_bytes += size
            return b"x" * size

    response = client.generic(
        "POST",
        _page_url(process),
        b"",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": Endless()},
    )
    assert response.status_code == 413
    assert Endless.read_bytes <= 8 * 1024 + 1
    # A chunked body within the limit is read and handled as if its length had been sent.
    body = urlencode(_idea(csrfmiddlewaretoken="")).encode()
    response = client.generic(
        "POST",
        _page_url(process),
        b"",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(body)},
    )
    assert response.status_code == 302 and _ideas() == 1
