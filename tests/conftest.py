"""Shared fixtures: towns, one user per role, service checks."""

import os
import shutil

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from accounts.models import Role
from smartcity5.celery import app as celery_app

from . import factories

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_SERVICES = os.environ.get("SMARTCITY5_REQUIRE_SERVICES") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip when a service is missing on a developer machine; fail in CI, where it must be there."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"Required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _isolate(settings, tmp_path_factory):
    # Rate-limit counters and other cache entries must not leak from one test into the next.
    cache.clear()
    # Hashing a password properly takes most of a second; tests create hundreds of accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Uploaded files go to a temporary directory, never into the working copy's media/.
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path_factory.mktemp("media"))}}}
    # Ordinary tests run tasks inline; tests that claim to test tasks use a real worker (tests/tasks).
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = django_settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture
def town_a(db):
    return factories.MunicipalityFactory(name="Arnsberg", slug="arnsberg", is_lead=True)


@pytest.fixture
def town_b(db):
    return factories.MunicipalityFactory(name="Soest", slug="soest")


def _staff(town, role, *, mfa=True):
    return factories.staff_member(municipality=town, role=role, mfa=mfa)


@pytest.fixture
def viewer_a(town_a):
    return _staff(town_a, Role.VIEWER)


@pytest.fixture
def editor_a(town_a):
    return _staff(town_a, Role.EDITOR)


@pytest.fixture
def admin_a(town_a):
    return _staff(town_a, Role.ADMIN)


@pytest.fixture
def citizen(db):
    return factories.UserFactory(email="citizen@example.org")


@pytest.fixture
def moderator(db):
    user = factories.UserFactory(email="moderator@example.org", is_agentur_moderator=True)
    factories.activate_totp(user)
    return user


@pytest.fixture
def staff_factory():
    return _staff


@pytest.fixture
def town_c(db):
    return factories.MunicipalityFactory(name="Olpe", slug="olpe")


@pytest.fixture
def catalogue(db):
    """The seeded fields of action. Transactional tests flush the database, seeded rows included, so
    tests that need the catalogue ask for it instead of relying on the data migration having run."""
    import importlib

    from django.apps import apps

    importlib.import_module("projects.migrations.0002_seed_fields_of_action").seed(apps, None)


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own (tests/servers.py), to stop, freeze and thaw for real."""
    from .servers import started_redis

    need(shutil.which("redis-server") is not None, "redis-server must be installed for the fault tests")
    yield from started_redis(tmp_path)
