"""The German catalogue holds every message of the surveys: each msgid that ``makemessages`` would extract from
``surveys/`` and ``templates/surveys/`` (the same xgettext call and keywords, templates through Django's
``templatize``) has a German translation in the compiled catalogue, and English pages show the msgids."""

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation import templatize

ROOT = Path(settings.BASE_DIR)
SOURCES = [ROOT / "surveys", ROOT / "templates" / "surveys"]
# makemessages' keywords for Python (xgettext knows gettext, ngettext and _ by itself).
KEYWORDS = [
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


def extracted(tmp_path: Path) -> list[tuple[str | None, str]]:
    """What ``makemessages`` finds in the surveys' code and templates."""
    files = []
    for source in SOURCES:
        for path in sorted(source.rglob("*")):
            if path.suffix == ".py":
                files.append(path)
            elif path.suffix in (".html", ".txt"):
                target = tmp_path / (path.relative_to(ROOT).as_posix().replace("/", "__") + ".py")
                target.write_text(
                    templatize(path.read_text(encoding="utf-8"), origin=str(path)), encoding="utf-8"
                )
                files.append(target)
    result = subprocess.run(
        ["xgettext", "--language=Python", "--from-code=UTF-8", "--output=-", *KEYWORDS, *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    return _pot_entries(result.stdout)


def german_catalogue() -> dict:
    with open(ROOT / "locale" / "de" / "LC_MESSAGES" / "django.mo", "rb") as handle:
        return gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]  # the parsed entries


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext)")
def test_every_message_of_the_surveys_has_a_german_translation(tmp_path):
    found = extracted(tmp_path)
    assert len(found) > 100  # the extraction works (the surveys have a few hundred messages)
    catalogue = german_catalogue()
    missing = []
    for context, msgid in found:
        key = f"{context}\x04{msgid}" if context else msgid
        translated = catalogue.get(key) or catalogue.get((key, 0))
        if not translated:
            missing.append(msgid)
    assert not missing, "Translate into German (locale/de/LC_MESSAGES/django.po):\n" + "\n".join(missing)


@pytest.mark.django_db
def test_the_survey_pages_speak_english_when_asked(client, town_a, staff_factory):
    from django.urls import reverse

    from tests import factories

    sample = factories.process_with_survey(town_a)
    client.force_login(staff_factory(town_a, "editor"))
    client.cookies["django_language"] = "en"
    kwargs = {"town_slug": town_a.slug, "slug": sample["slug"]}
    staff = client.get(
        reverse("surveys:staff-survey", kwargs=kwargs), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    for english in ("Download", "Results (CSV)", "Responses (XLSX)", "Questions", "Preview"):
        assert english in staff, english
    for german in ("Herunterladen", "Ergebnisse (CSV)", "Rückmeldungen (XLSX)", "Vorschau"):
        assert german not in staff, german
    results = client.get(
        reverse("surveys:results", kwargs=kwargs), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Answered by 0 people." in results and "Beantwortet" not in results
    header = client.get(reverse("surveys:staff-results-csv", kwargs=kwargs), HTTP_ACCEPT_LANGUAGE="en")
    assert header.content.decode("utf-8-sig").startswith(
        "No.;Question;Kind of question;Row;Answer;Count;Share"
    )
