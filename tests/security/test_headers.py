"""Security headers (smartcity5.headers): the CSP and Permissions-Policy on every answer, no inline script or
style in what we serve, no caching of what signed-in people see, and the API's public/private caching."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.urls import path, reverse

from accounts import services as account_services
from smartcity5.headers import content_security_policy, map_tile_source
from tests import factories

TEMPLATES = Path(django_settings.BASE_DIR) / "templates"
# Rendered into files, never served by the portal: the PDF reports (WeasyPrint) and the HTML page inside the
# personal data export (opened from the person's own disk).
NOT_SERVED = (
    "reports/pdf/",
    "participation/letters/",
    "accounts/export/",
    "email/",
)  # PDFs and mails: no CSP

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)
PERMISSIONS = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), serial=(), usb=()"
)


@pytest.fixture(autouse=True)
def _no_map(settings):
    settings.MAP_TILE_URL = ""  # POLICY is the policy without a tile server


class InlineCode(HTMLParser):
    """Collects what a strict CSP refuses in a page: inline scripts, on*= handlers, javascript: URLs, style
    attributes, and <style> elements without the response's nonce."""

    def __init__(self, nonce: str = ""):
        super().__init__()
        self.nonce = nonce
        self.found: list[str] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:…>")
        if "style" in attributes:
            self.found.append(f"<{tag} style=…>")
        if tag == "style" and (not self.nonce or attributes.get("nonce") != self.nonce):
            self.found.append("<style> without the nonce")
        if tag == "script":
            self._script = attributes

    def handle_data(self, data):
        script = self._script
        if (
            script is not None
            and "src" not in script
            and data.strip()
            and script.get("type") not in ("application/json", "application/ld+json")
        ):
            self.found.append(f"inline <script>: {data.strip()[:40]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def inline_code(html: str, nonce: str = "") -> list[str]:
    parser = InlineCode(nonce)
    parser.feed(html)
    return parser.found


def served_templates() -> list[Path]:
    return [
        p
        for p in sorted(TEMPLATES.rglob("*.html"))
        if not str(p.relative_to(TEMPLATES)).startswith(NOT_SERVED)
    ]


# Template tags are replaced by a neutral word so that the parser sees the markup around them.
TAG = re.compile(r"{% comment %}.*?{% endcomment %}|{%.*?%}|{{.*?}}|{#.*?#}", re.S)


def test_the_checker_finds_what_the_csp_refuses():
    page = (
        '<body onload="go()"><a href="javascript:alert(1)">x</a><p style="color:red">x</p>'
        '<style>p{}</style><script>alert(1)</script><script src="/static/a.js"></script>'
        '<script type="application/json" id="d">{"a": 1}</script></body>'
    )
    assert inline_code(page) == [
        "<body onload=…>",
        "<a href=javascript:…>",
        "<p style=…>",
        "<style> without the nonce",
        "inline <script>: alert(1)",
    ]
    assert inline_code('<style nonce="abc">p{}</style>', nonce="abc") == []


def test_no_served_template_holds_inline_script_handlers_or_style_attributes():
    templates = served_templates()
    assert len(templates) > 50 and TEMPLATES / "base.html" in templates
    found = {}
    for template in templates:
        text = template.read_text()
        # A <style> is allowed only with the request's nonce, printed by the template itself.
        text = text.replace('nonce="{{ request.csp_nonce }}"', 'nonce="NONCE"')
        problems = inline_code(TAG.sub("x", text), nonce="NONCE")
        if problems:
            found[str(template.relative_to(TEMPLATES))] = problems
    assert found == {}


# --- The headers on every kind of answer ------------------------------------------------------------------------


def _boom(request):
    raise RuntimeError("a bug")


def _plain(request):
    return HttpResponse("plain", content_type="text/plain")


urlpatterns = [path("boom/", _boom), path("plain/", _plain)]


def _nonce(response) -> str:
    match = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    return match.group(1) if match else ""


def _without_nonce(policy: str) -> str:
    return re.sub(r" 'nonce-[^']+'", "", policy)


@pytest.fixture
def region(town_a, town_b):
    project = factories.project(municipality=town_a, title="Sensoren")
    factories.project(municipality=town_b, title="Parkleitsystem")
    return project


@pytest.mark.parametrize(
    "address",
    [
        "/",
        "/arnsberg/",
        "/arnsberg/projekte/",
        "/projekte/",
        "/beteiligung/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/arnsberg/barrierefreiheit/",
        "/offene-daten/",
        "/api/docs/",
        "/gibt-es-nicht/",
        "/arnsberg/gibt-es-nicht/",
    ],
)
def test_pages_carry_the_policy_and_no_inline_code(client, region, address):
    response = client.get(address)
    assert response.status_code in (200, 404)
    nonce = _nonce(response)
    assert _without_nonce(response["Content-Security-Policy"]) == POLICY
    assert response["Permissions-Policy"] == PERMISSIONS
    html = response.content.decode()
    # The only inline style is the brand colours' <style>, allowed by this answer's nonce (and Swagger UI's).
    assert nonce and f'<style nonce="{nonce}">' in html
    assert inline_code(html, nonce) == []


def test_the_brand_colours_come_from_the_nonced_style(client, region, town_a, town_b):
    response = client.get("/projekte/")
    html = response.content.decode()
    style = re.search(r"<style nonce=\"[^\"]+\">(.*?)</style>", html).group(1)
    assert f".sc5-town--arnsberg{{--town-colour:{town_a.brand_colour}}}" in style
    assert f".sc5-town--soest{{--town-colour:{town_b.brand_colour}}}" in style
    assert "sc5-town--arnsberg" in html.split("</style>", 1)[1]
    town_page = client.get("/arnsberg/").content.decode()
    assert f".sc5{{--sc5-brand:{town_a.brand_colour}}}" in town_page


def test_two_answers_have_different_nonces(client, region):
    assert _nonce(client.get("/")) != _nonce(client.get("/"))


@pytest.mark.urls(__name__)
def test_answers_without_a_template_carry_the_headers_and_no_nonce(db):
    from django.test import Client

    client = Client(raise_request_exception=False)
    for address, status in (("/plain/", 200), ("/boom/", 500)):
        response = client.get(address)
        assert response.status_code == status
        assert response["Content-Security-Policy"] == POLICY, address
        assert response["Permissions-Policy"] == PERMISSIONS
    # The 500 page styles itself from a static file, not inline.
    page = client.get("/boom/").content.decode()
    assert inline_code(page) == [] and '<link rel="stylesheet" href="/static/css/error-page.css">' in page
    assert (Path(django_settings.BASE_DIR) / "static/css/error-page.css").exists()


def test_api_answers_redirects_and_health_carry_the_headers(client, region, town_a):
    for address in (
        reverse("api:projects", kwargs={"town_slug": town_a.slug}),
        "/api/v1/unknown/",
        reverse("api:agentur-towns"),
        "/healthz",
        "/konto/",
        "/arnsberg/verwaltung/",
    ):
        response = client.get(address)
        assert response.status_code in (200, 302, 401, 404), address
        assert response["Content-Security-Policy"] == POLICY, address
        assert response["Permissions-Policy"] == PERMISSIONS
    docs_script = client.get("/api/docs/?script=")
    assert docs_script.status_code == 200 and docs_script["Content-Type"].startswith("application/javascript")


@pytest.mark.urls(__name__)
def test_the_cache_rule_costs_no_query_where_nobody_is_signed_in(client, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/plain/")
    # ATOMIC_REQUESTS wraps the view in a savepoint inside the test's transaction; nothing else may run.
    assert [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]] == []
    assert response.status_code == 200 and "Cache-Control" not in response
    assert response["Content-Security-Policy"] == POLICY


def test_csrf_failure_carries_the_policy(region):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/i18n/setlang/", {"language": "en"})
    assert response.status_code == 403
    assert _without_nonce(response["Content-Security-Policy"]) == POLICY


def test_the_map_tile_server_is_allowed_for_images(client, settings, region):
    settings.MAP_TILE_URL = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tile.openstreetmap.org;" in policy
    assert "script-src 'self';" in policy and "connect-src 'self';" in policy


@pytest.mark.parametrize(
    "url, source",
    [
        ("", ""),
        ("/static/tiles/{z}/{x}/{y}.png", ""),  # our own host: 'self'
        ("https://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org"),
        ("https://{s}.tile.example.org:8443/{z}/{x}/{y}.png", "https://*.tile.example.org:8443"),
        ("https://tile.{s}.example.org/{z}/{x}/{y}.png", ""),  # not expressible: no tile server at all
        ("javascript:alert(1)//{z}", ""),
    ],
)
def test_map_tile_source(url, source):
    assert map_tile_source(url) == source


def test_a_nonce_appears_only_in_style_src(settings):
    policy = content_security_policy("abc")
    assert "style-src 'self' 'nonce-abc';" in policy and policy.count("nonce") == 1
    assert content_security_policy("") == POLICY


# --- Caching ------------------------------------------------------------------------------------------------------


def _never_stored(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives and "public" not in directives


def test_anonymous_public_pages_may_be_cached(client, region):
    response = client.get("/arnsberg/projekte/")
    assert response.status_code == 200 and not _never_stored(response)


@pytest.mark.parametrize(
    "address",
    [
        "/konto/",
        "/arnsberg/",
        "/arnsberg/verwaltung/",
        "/konto/api-tokens/",
        "/accounts/email/",
        "/accounts/2fa/",
        "/api/v1/towns/",
    ],
)
def test_every_answer_to_a_signed_in_person_is_never_stored(client, region, viewer_a, address):
    client.force_login(viewer_a)
    response = client.get(address)
    assert response.status_code == 200, address
    assert _never_stored(response), response.get("Cache-Control")


def test_the_totp_set_up_page_is_never_stored(client, staff_factory, town_a):
    staff = staff_factory(town_a, "editor", mfa=False)
    response = client.post("/accounts/login/", {"login": staff.email, "password": factories.PASSWORD})
    assert response["Location"] == "/accounts/2fa/totp/activate/" and _never_stored(response)
    # allauth asks for the password again before it shows the secret.
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302 and _never_stored(response)
    client.post(response["Location"], {"password": factories.PASSWORD})
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200 and 'name="code"' in response.text and _never_stored(response)


def test_public_files_are_not_stored_for_signed_in_people(client, town_a, citizen):
    idea = factories.idea(process=factories.process(municipality=town_a), image=factories.image_upload())
    url = reverse("participation:idea-image", kwargs={"town_slug": town_a.slug, "pk": idea.pk})
    anonymous = client.get(url)
    assert anonymous.status_code == 200 and anonymous["Cache-Control"] == "public, max-age=3600"
    client.force_login(citizen)
    signed_in = client.get(url)
    assert signed_in.status_code == 200 and signed_in["Cache-Control"] == "private, no-store"


def test_api_public_lists_are_public_for_anonymous_callers_only(client, region, town_a, viewer_a):
    url = reverse("api:projects", kwargs={"town_slug": town_a.slug})
    anonymous = client.get(url)
    assert anonymous.status_code == 200
    assert anonymous["Cache-Control"] == "public, max-age=60"
    assert {"Cookie", "Authorization"} <= {v.strip() for v in anonymous["Vary"].split(",")}

    _, secret = account_services.api_token_create(user=viewer_a, name="Abgleich", lifetime_days=30)
    token = client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert token.status_code == 200 and _never_stored(token) and "max-age=60" not in token["Cache-Control"]
    assert "Authorization" in token["Vary"]

    client.force_login(viewer_a)
    session = client.get(url)
    assert session.status_code == 200 and _never_stored(session) and "public" not in session["Cache-Control"]


def test_api_errors_vary_on_credentials_and_a_wrong_token_is_no_500(client, region, town_a):
    url = reverse("api:projects", kwargs={"town_slug": town_a.slug})
    wrong = client.get(url, HTTP_AUTHORIZATION="Bearer sc5_wrong")
    assert wrong.status_code == 401 and "Authorization" in wrong["Vary"]
    assert "public" not in wrong.get("Cache-Control", "")
    # An error raised before authentication (406) with a wrong token: the answer itself must not fail.
    refused = client.get(url, HTTP_AUTHORIZATION="Bearer sc5_wrong", HTTP_ACCEPT="text/csv")
    assert refused.status_code in (401, 406)
    unauthorised = client.get(reverse("api:agentur-towns"))
    assert unauthorised.status_code == 401 and "Cookie" in unauthorised["Vary"]
