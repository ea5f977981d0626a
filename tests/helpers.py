"""Helpers that test modules share and that make no rows (those live in tests/factories.py): today's date, signing
in, in the test client and in a browser, reading a generated PDF, and the messages ``makemessages`` would extract."""

import datetime
import os
import shutil
import subprocess
from pathlib import Path

from django.test import Client
from django.utils import timezone
from PIL import Image

from tests import factories
from tests.conftest import need

# --- Dates ---------------------------------------------------------------------------------------------------


def today() -> datetime.date:
    """Today in the project's time zone, read when called, as the services read it (``timezone.localdate()``).
    Never keep it in a module-level constant: that is read at import, and a run that crosses local midnight
    would then build its phases from yesterday while the services already see today (test_dates.py guards)."""
    return timezone.localdate()


_DAY = datetime.timedelta(days=1)


def survey_phases() -> list[dict]:
    """A plan whose survey runs today (read when the test runs): information before, results after."""
    day = today()
    return [
        {"kind": "information", "starts_on": day - 30 * _DAY, "ends_on": day - 11 * _DAY},
        {"kind": "survey", "starts_on": day - 10 * _DAY, "ends_on": day + 10 * _DAY},
        {"kind": "results", "starts_on": day + 11 * _DAY, "ends_on": None},
    ]


def after_the_survey() -> datetime.date:
    """The first day of the results, after the survey of :func:`survey_phases`."""
    return today() + 11 * _DAY


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


# --- The messages to translate -------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
#: What ``make messages`` leaves out (Makefile: ``--ignore ".venv/*" --ignore "tests/*"``), and what
#: ``makemessages`` always does (hidden folders); node_modules holds no source of ours.
_NOT_SOURCES = {"tests", "node_modules", "__pycache__"}
# makemessages' keywords for Python (xgettext knows gettext, ngettext and _ by itself).
_KEYWORDS = [
    "--keyword=gettext_noop",
    "--keyword=gettext_lazy",
    "--keyword=ngettext_lazy:1,2",
    "--keyword=pgettext:1c,2",
    "--keyword=npgettext:1c,2,3",
    "--keyword=pgettext_lazy:1c,2",
    "--keyword=npgettext_lazy:1c,2,3",
]


def _unquote(line: str) -> str:
    return line.strip()[1:-1].encode("raw_unicode_escape").decode("unicode_escape")


def _pot_entries(pot: str) -> list[tuple[str | None, str]]:
    """(context, msgid) of each entry of xgettext's output, the header left out."""
    entries, context, msgid, field = [], None, None, None
    for line in [*pot.splitlines(), ""]:
        if line.startswith("msgctxt "):
            context, field = _unquote(line[8:]), "msgctxt"
        elif line.startswith("msgid "):
            msgid, field = _unquote(line[6:]), "msgid"
        elif line.startswith('"') and field == "msgid":
            msgid = (msgid or "") + _unquote(line)
        elif line.startswith('"') and field == "msgctxt":
            context = (context or "") + _unquote(line)
        elif line.startswith(("msgid_plural", "msgstr")):
            field = None
        elif not line.strip():
            if msgid:
                entries.append((context, msgid))
            context, msgid, field = None, None, None
    return entries


def _source_files(sources: list[Path] | None) -> list[Path]:
    if sources is not None:
        return [path for source in sources for path in sorted(source.rglob("*")) if path.is_file()]
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _NOT_SOURCES)
        found += [Path(folder) / name for name in sorted(files)]
    return found


def messages_to_translate(tmp_path, sources: list[Path] | None = None) -> list[tuple[str | None, str]]:
    """(context, msgid) of every message ``makemessages`` would extract for the ``django`` domain from
    ``sources`` (default: the whole project as ``make messages`` reads it): the same xgettext call and keywords
    for Python, templates (``.html``, ``.txt``) first turned into Python by Django's own ``templatize``.
    A few seconds for the whole project."""
    from django.utils.translation import templatize

    need(shutil.which("xgettext") is not None, "xgettext (GNU gettext) is not installed")
    files = []
    for path in _source_files(sources):
        if path.suffix == ".py":
            files.append(path)
        elif path.suffix in (".html", ".txt"):
            target = tmp_path / (path.relative_to(ROOT).as_posix().replace("/", "__") + ".py")
            target.write_text(
                templatize(path.read_text(encoding="utf-8"), origin=str(path)), encoding="utf-8"
            )
            files.append(target)
    result = subprocess.run(
        ["xgettext", "--language=Python", "--from-code=UTF-8", "--output=-", *_KEYWORDS, *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    return _pot_entries(result.stdout)
