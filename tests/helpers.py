"""Helpers that test modules share and that make no rows (those live in tests/factories.py): signing in, in the
test client and in a browser, and reading a generated PDF."""

import shutil
import subprocess

from django.test import Client
from PIL import Image

from tests import factories
from tests.conftest import need

# --- Signing in ----------------------------------------------------------------------------------------------


def signed_in_client(user) -> Client:
    """A fresh test client with ``user`` signed in (by session, without the sign-in pages)."""
    client = Client()
    client.force_login(user)
    return client


def browser_login(page, base_url: str, user) -> None:
    """Sign the browser page in as ``user`` by session cookie; the sign-in pages themselves are covered by the
    account journeys."""
    session = signed_in_client(user).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": base_url}])


def sign_in(
    client,
    email: str,
    password: str = factories.PASSWORD,
    *,
    secret: str | None = None,
    next_url: str = "",
    **extra,
):
    """Sign in through the sign-in form (and, with the TOTP ``secret``, the second-factor step); ``extra`` goes
    to every request (e.g. ``REMOTE_ADDR``). Returns the last response."""
    path = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    response = client.post(path, {"login": email, "password": password}, **extra)
    if secret is not None:
        assert response["Location"] == "/accounts/2fa/authenticate/"
        response = client.post(
            "/accounts/2fa/authenticate/", {"code": factories.totp_code(secret, valid_for=3)}, **extra
        )
    return response


# --- Generated PDFs ------------------------------------------------------------------------------------------


def file_bytes(row) -> bytes:
    """The content of a row's generated ``file`` (a report, an export)."""
    with row.file.open("rb") as handle:
        return handle.read()


def pdftotext(content: bytes, tmp_path, *, layout: bool = True) -> str:
    """The PDF's text; with ``layout`` as it is placed on the page, without it in reading order (a table cell's
    wrapped lines stay together)."""
    need(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) is not installed")
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", *(["-layout"] if layout else []), str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def first_page_png(content: bytes, tmp_path) -> Image.Image:
    """The PDF's first page as a small image (50 dpi)."""
    need(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils) is not installed")
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    return Image.open(tmp_path / "page.png").convert("RGB")
