"""The German catalogue holds every message of the surveys: each msgid that ``makemessages`` would extract from
``surveys/`` and ``templates/surveys/`` (``tests.helpers.messages_to_translate``: the same xgettext call and
keywords, templates through Django's ``templatize``) has a German translation in the compiled catalogue, and English pages show the msgids."""

import gettext
from pathlib import Path

import pytest
from django.conf import settings

from tests.helpers import messages_to_translate

ROOT = Path(settings.BASE_DIR)
SOURCES = [ROOT / "surveys", ROOT / "templates" / "surveys"]


def german_catalogue() -> dict:
    with open(ROOT / "locale" / "de" / "LC_MESSAGES" / "django.mo", "rb") as handle:
        return gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]  # the parsed entries


def test_every_message_of_the_surveys_has_a_german_translation(tmp_path):
    found = messages_to_translate(tmp_path, SOURCES)
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
