"""Project-wide guarantees: production settings pass the deploy check, migrations are complete, the
German catalogue holds every message of the code and templates, translated and compiled, the demo data loads
idempotently."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.core.management import call_command

from accounts.models import Membership, User
from municipalities.models import Consortium, Municipality

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args, env_extra=None):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "MFA_TOTP_INSECURE_BYPASS_CODE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deploy_check():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "SMARTCITY5_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "portal.example",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "EMAIL_URL": "smtp://mail.example:587",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secrets():
    result = _manage("check", env_extra={"SMARTCITY5_ENV": "production"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.parametrize("po_path", sorted(ROOT.glob("locale*/de/LC_MESSAGES/django.po")), ids=str)
def test_german_catalogue_is_complete_and_compiled(po_path):
    with po_path.open("rb") as f:
        catalog = read_po(f)
    missing = [
        m.id
        for m in catalog
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert missing == [] and fuzzy == []
    with po_path.with_suffix(".mo").open("rb") as f:
        compiled = read_mo(f)

    def entries(messages):
        return {
            (m.context, tuple(m.id) if isinstance(m.id, (list, tuple)) else m.id): (
                tuple(m.string) if isinstance(m.string, (list, tuple)) else m.string
            )
            for m in messages
            if m.id
        }

    # The compiled catalogue is the .po as it stands: the same messages with the same translations.
    assert entries(catalog) == entries(compiled), "run scripts/compile_messages.py"


def test_german_catalogue_holds_every_message_of_the_project(tmp_path):
    """Every message ``makemessages`` would extract (Python and templates, the whole project but tests) is in
    locale/de/LC_MESSAGES/django.po with a German translation that is not fuzzy (and so in the compiled .mo,
    which the test above compares). A few seconds: xgettext over the sources, no ``makemessages`` run."""
    from tests.helpers import messages_to_translate

    found = messages_to_translate(tmp_path)
    assert len(found) > 2000  # the extraction works (the portal has a few thousand messages)
    with (ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po").open("rb") as f:
        catalog = read_po(f)
    missing = []
    for context, msgid in dict.fromkeys(found):
        message = catalog.get(msgid, context=context)
        strings = message.string if message is not None and isinstance(message.string, tuple) else None
        if message is None or message.fuzzy or not (all(strings) if strings else message.string):
            missing.append(msgid if context is None else f"{context}: {msgid}")
    assert missing == [], (
        "Append these to the end of locale/de/LC_MESSAGES/django.po with their German translation, then run "
        "scripts/compile_messages.py:\n" + "\n".join(missing)
    )


@pytest.mark.django_db
def test_load_demo_is_idempotent_and_creates_one_account_per_role(demo, capsys):
    # Loaded on top of the demo that is loaded once per run (tests/conftest.py): twice more, nothing new.
    call_command("load_demo")
    counts = (
        Consortium.objects.count(),
        Municipality.objects.count(),
        User.objects.count(),
        Membership.objects.with_scopes_disabled().count(),
    )
    call_command("load_demo")
    assert counts == (
        Consortium.objects.count(),
        Municipality.objects.count(),
        User.objects.count(),
        Membership.objects.with_scopes_disabled().count(),
    )
    assert counts[:2] == (1, 5)
    assert counts[3] == 15  # viewer, editor, admin in each of five towns
    assert Municipality.objects.get(is_lead=True).slug == "arnsberg"
    # Every demo account signs in with the printed password (hashed once per load for all of them).
    staff = User.objects.filter(email__endswith="@demo.smartcity5.example").exclude(
        email__startswith="buerger-"
    )
    assert staff.count() == 18 and all(user.check_password("Demo-Passwort-2026") for user in staff)
    output = capsys.readouterr().out
    assert "Demo-Passwort-2026" in output and "arnsberg-editor@" in output
    for town in Municipality.objects.all():
        town.full_clean()  # demo data obeys the model's own rules (contrast, slugs)
    # Lessons-learned notes: some per town and one of the Agentur, each about a project, public and internal ones,
    # created once however often the demo is loaded.
    from knowledge.models import LessonNote

    notes = list(LessonNote._base_manager.select_related("project", "author"))
    assert len(notes) == 8 and all(note.project is not None and note.author is not None for note in notes)
    assert {note.is_public for note in notes} == {True, False}
    assert any(note.municipality_id is None for note in notes)


@pytest.mark.django_db
def test_a_test_without_the_demo_does_not_see_it():
    """The demo is loaded once per run for the tests that ask for it (tests/conftest.py) and rolled back after them."""
    assert (Consortium.objects.count(), Municipality.objects.count(), User.objects.count()) == (0, 0, 0)


@pytest.mark.django_db
def test_demo_accounts_are_never_created_in_production(settings, capsys):
    # From scratch, not on top of the demo (which has its accounts already): a production load creates none.
    settings.PRODUCTION = True
    call_command("load_demo")
    assert Municipality.objects.count() == 5
    assert User.objects.count() == 0
    assert "Demo-Passwort" not in capsys.readouterr().out


def test_vendored_assets_are_local_and_licensed():
    vendor = ROOT / "static" / "vendor"
    for path in (
        "kern/kern.min.css",
        "kern/fonts/fira-sans.css",
        "kern/LICENSE.md",
        "htmx/htmx.min.js",
        "htmx/LICENSE",
    ):
        assert (vendor / path).is_file(), path
    notices = (ROOT / "THIRD_PARTY_NOTICES.md").read_text()
    for name in ("KERN", "htmx", "Fira Sans", "axe-core"):
        assert name in notices


def test_every_beat_job_names_a_registered_task():
    from django.conf import settings

    from smartcity5.celery import app

    app.loader.import_default_modules()  # the apps' tasks modules, as a worker imports them
    missing = [
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] not in app.tasks
    ]
    assert missing == []
