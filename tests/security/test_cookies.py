"""Every cookie the portal sets is Secure (in production), SameSite and HttpOnly: session, CSRF, language,
messages, and allauth's.

The cookie settings are read from the real production settings (``SMARTCITY5_ENV=production`` in a subprocess,
since settings.py decides at import time) and applied to this test process, which then signs in, switches the
language and signs out as a person would and looks at each Set-Cookie."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from tests import factories

# A subprocess imports the production settings (production_cookie_settings).
pytestmark = pytest.mark.slow

PROBE = """
import json, django
django.setup()
from django.conf import settings
from allauth.mfa import app_settings as mfa
names = [n for n in dir(settings) if n.endswith(("COOKIE_SECURE", "COOKIE_SAMESITE", "COOKIE_HTTPONLY"))]
values = {n: getattr(settings, n) for n in names}
values["MFA_TRUST"] = [mfa.TRUST_COOKIE_SECURE, mfa.TRUST_COOKIE_SAMESITE, mfa.TRUST_COOKIE_HTTPONLY]
values["MESSAGE_STORAGE"] = settings.MESSAGE_STORAGE
print(json.dumps(values))
"""


@pytest.fixture(scope="module")
def production_cookie_settings() -> dict:
    env = {
        **os.environ,
        "SMARTCITY5_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "smartcity5.settings",
        "SECRET_KEY": "production-probe-" + "x" * 40,
        "ALLOWED_HOSTS": "testserver",
        # Only read, never connected to: the probe imports the settings and nothing else.
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "EMAIL_URL": "smtp://127.0.0.1:9",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_production_settings_make_every_cookie_secure_samesite_and_httponly(production_cookie_settings):
    values = production_cookie_settings
    for prefix in ("SESSION", "CSRF", "LANGUAGE"):
        assert values[f"{prefix}_COOKIE_SECURE"] is True, prefix
        assert values[f"{prefix}_COOKIE_SAMESITE"] == "Lax", prefix
        assert values[f"{prefix}_COOKIE_HTTPONLY"] is True, prefix
    # allauth's "trust this browser" cookie (off today) follows the session cookie's flags.
    assert values["MFA_TRUST"] == [True, "Lax", True]
    # The messages cookie takes the session cookie's flags.
    assert values["MESSAGE_STORAGE"] == "django.contrib.messages.storage.fallback.FallbackStorage"


def test_every_cookie_the_portal_sends_in_production_is_secure_and_samesite(
    client, settings, production_cookie_settings, citizen, town_a
):
    for name, value in production_cookie_settings.items():
        if name.isupper() and "COOKIE" in name:
            setattr(settings, name, value)
    seen = {}

    def collect(response):
        for name, morsel in response.cookies.items():
            seen.setdefault(name, []).append(morsel)
        return response

    collect(client.get("/accounts/login/", secure=True))  # the CSRF cookie
    collect(client.post("/i18n/setlang/", {"language": "en", "next": "/"}, secure=True))
    signed_in = collect(
        client.post("/accounts/login/", {"login": citizen.email, "password": factories.PASSWORD}, secure=True)
    )
    assert signed_in.status_code == 302
    collect(client.get(signed_in["Location"], secure=True))  # shows and clears the "signed in" message
    collect(client.post("/accounts/logout/", secure=True))

    assert {"csrftoken", "django_language", "sessionid", "messages"} <= set(seen), seen
    for name, morsels in seen.items():
        for morsel in morsels:
            assert morsel["samesite"] == "Lax", (name, morsel.OutputString())
            if morsel["max-age"] == 0:
                continue  # a deletion: no value left to protect
            assert morsel["secure"] is True, (name, morsel.OutputString())
            assert morsel["httponly"] is True, (name, morsel.OutputString())
    assert any(morsel["max-age"] != 0 for morsel in seen["messages"])  # a message really went into the cookie
