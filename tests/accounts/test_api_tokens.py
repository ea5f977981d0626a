"""Personal API tokens: made and revoked on the account page by staff and moderators with TOTP, shown once, stored
as a digest only, accepted by the API as ``Authorization: Bearer …`` while usable, part of the data export and gone
with the account."""

import datetime
import hashlib
import io
import json
import re
import zipfile

import pytest
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from accounts import exports, services
from accounts.decorators import PERSONAL
from accounts.models import ApiToken, Membership, Role
from accounts.views import api_token_revoke, api_tokens
from municipalities.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db

PAGE = "/konto/api-tokens/"
SECRET_INPUT = re.compile(r'id="new-token-secret"[^>]*value="([^"]+)"')


def _projects_url(municipality) -> str:
    return reverse("api:projects", kwargs={"town_slug": municipality.slug})


@pytest.fixture(autouse=True)
def _english(client, settings):
    """The reasons are checked in English; the portal speaks German until the visitor picks English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def internal_project(town_a):
    return factories.project(municipality=town_a, title="Intern Arnsberg", visibility="internal")


def _token(user, **kwargs) -> tuple[ApiToken, str]:
    kwargs.setdefault("name", "Open-Data-Abgleich")
    kwargs.setdefault("lifetime_days", 90)
    return services.api_token_create(user=user, **kwargs)


def _slugs(response) -> set[str]:
    return {project["slug"] for project in response.json()["results"]}


# --- The account page -------------------------------------------------------------------------------------------


def test_the_page_shows_the_new_secret_once_and_stores_only_its_digest(client, viewer_a):
    client.force_login(viewer_a)
    response = client.post(PAGE, {"name": "Ratsinformationssystem", "lifetime_days": "30"})

    assert response.status_code == 200
    secret = SECRET_INPUT.search(response.content.decode()).group(1)
    assert secret.startswith("sc5_") and ApiToken.is_well_formed(secret)
    assert "no-store" in response["Cache-Control"]
    assert secret not in str(response.cookies)  # not in a message cookie either

    token = ApiToken.objects.get(user=viewer_a)
    assert token.name == "Ratsinformationssystem"
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12] and secret not in {token.digest, token.prefix, token.name}
    assert token.expires_at - token.created_at == datetime.timedelta(days=30)

    again = client.get(PAGE).content.decode()
    assert secret not in again and 'id="new-token-secret"' not in again
    assert f"{token.prefix}…" in again and f'id="token-{token.pk}"' in again


def test_the_page_lists_tokens_with_their_state(client, viewer_a):
    active, _ = _token(viewer_a, name="Aktiv")
    revoked, _ = _token(viewer_a, name="Widerrufen")
    services.api_token_revoke(token=revoked, by=viewer_a)
    expired, _ = _token(viewer_a, name="Abgelaufen", lifetime_days=30)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    client.force_login(viewer_a)

    page = client.get(PAGE).content.decode()

    for token, state in ((active, "active"), (revoked, "revoked"), (expired, "expired")):
        assert f'id="token-{token.pk}" data-state="{state}"' in page
    # Only the active token has a revoke button.
    revoke_forms = re.findall(r'action="/konto/api-tokens/(\d+)/widerrufen/"', page)
    assert revoke_forms == [str(active.pk)]


def test_the_default_lifetime_is_90_days_and_the_form_offers_the_others(client, moderator):
    client.force_login(moderator)
    page = client.get(PAGE)
    form = page.context["form"]
    assert form.fields["lifetime_days"].initial == 90
    assert [value for value, _label in form.fields["lifetime_days"].choices] == [30, 90, 365]
    token, _secret = _token(moderator, name="Agentur-Auswertung")
    assert token.expires_at - token.created_at == datetime.timedelta(days=90)


def test_the_form_refuses_a_missing_name_and_an_unoffered_lifetime(client, viewer_a):
    client.force_login(viewer_a)
    response = client.post(PAGE, {"name": "  ", "lifetime_days": "7"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "lifetime_days"}
    assert not ApiToken.objects.exists()


def test_a_citizen_sees_an_explanation_and_cannot_make_a_token(client, citizen):
    client.force_login(citizen)
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="api-tokens-refusal"' in text and 'id="api-token-form"' not in text

    assert client.post(PAGE, {"name": "Versuch", "lifetime_days": "90"}).status_code == 403
    assert not ApiToken.objects.exists()
    with pytest.raises(ValidationError) as refused:
        _token(citizen)
    assert refused.value.code == "not_allowed"


def test_staff_without_totp_are_told_to_set_it_up(client, town_a):
    user = factories.staff_member(municipality=town_a, role=Role.EDITOR, mfa=False)
    client.force_login(user)
    text = client.get(PAGE).content.decode()
    assert 'id="api-token-form"' not in text and reverse("mfa_activate_totp") in text
    assert client.post(PAGE, {"name": "Versuch", "lifetime_days": "90"}).status_code == 403
    with pytest.raises(ValidationError):
        _token(user)


def test_the_page_needs_a_login_and_is_labelled_personal(client):
    assert client.get(PAGE).status_code == 302
    assert api_tokens.access == PERSONAL and api_token_revoke.access == PERSONAL


def test_the_overview_links_to_the_page_for_people_who_may_use_tokens(client, viewer_a, citizen):
    link = f'href="{PAGE}"'
    client.force_login(viewer_a)
    assert link in client.get(reverse("accounts:overview")).content.decode()
    client.force_login(citizen)
    assert link not in client.get(reverse("accounts:overview")).content.decode()


def test_revoking_asks_first_then_revokes(client, town_a, viewer_a):
    token, secret = _token(viewer_a)
    client.force_login(viewer_a)
    url = reverse("accounts:api-token-revoke", kwargs={"pk": token.pk})

    confirmation = client.post(url)
    assert confirmation.status_code == 200 and 'id="revoke-confirmation"' in confirmation.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None

    assert client.post(url, {"confirm": "yes"}).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    assert client.get(_projects_url(town_a), **_bearer(secret)).status_code == 401


def test_another_persons_token_cannot_be_revoked(client, viewer_a, moderator):
    token, _secret = _token(viewer_a)
    client.force_login(moderator)
    url = reverse("accounts:api-token-revoke", kwargs={"pk": token.pk})
    assert client.post(url, {"confirm": "yes"}).status_code == 404
    assert client.get(url).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None
    with pytest.raises(ValidationError):
        services.api_token_revoke(token=token, by=moderator)


def test_at_most_ten_usable_tokens(client, viewer_a):
    tokens = [_token(viewer_a, name=f"Token {n}")[0] for n in range(ApiToken.MAX_ACTIVE)]
    with pytest.raises(ValidationError) as refused:
        _token(viewer_a)
    assert refused.value.code == "limit"

    client.force_login(viewer_a)
    response = client.post(PAGE, {"name": "Einer zu viel", "lifetime_days": "90"})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert ApiToken.objects.filter(user=viewer_a).count() == ApiToken.MAX_ACTIVE

    # Revoked and expired tokens do not count.
    services.api_token_revoke(token=tokens[0], by=viewer_a)
    ApiToken.objects.filter(pk=tokens[1].pk).update(expires_at=timezone.now())
    _token(viewer_a, name="Neu 1")
    _token(viewer_a, name="Neu 2")
    with pytest.raises(ValidationError):
        _token(viewer_a)


# --- The API ----------------------------------------------------------------------------------------------------


def test_a_token_reads_the_api_as_its_owner(client, town_a, viewer_a, internal_project):
    _token_row, secret = _token(viewer_a)
    assert internal_project.slug not in _slugs(client.get(_projects_url(town_a)))  # anonymous

    response = client.get(_projects_url(town_a), **_bearer(secret))

    assert response.status_code == 200
    assert internal_project.slug in _slugs(response)  # as with the viewer's session


def test_a_moderators_token_is_audited_like_the_session(client, town_a, moderator, internal_project):
    _token_row, secret = _token(moderator)
    audited = AuditEntry.objects.filter(
        user=moderator, purpose="agentur:town-staff-page", municipality_slugs=[town_a.slug]
    )
    client.force_login(moderator)
    client.get(_projects_url(town_a))
    by_session = audited.count()
    client.logout()

    response = client.get(_projects_url(town_a), **_bearer(secret))

    assert internal_project.slug in _slugs(response)
    assert by_session >= 1 and audited.count() == 2 * by_session


def _expect_401(response, reason: str | None = None):
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    if reason:
        assert reason in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer sc5_x y",
        "Bearer kein-token",
        "Bearer sc5_" + "a" * 42,
        "bearer sc5_" + "ä" * 43,
    ],
)
def test_malformed_tokens_are_401(client, town_a, header):
    with translation.override("en"):
        _expect_401(client.get(_projects_url(town_a), HTTP_AUTHORIZATION=header))


def test_unknown_revoked_and_expired_tokens_are_401_with_the_reason(client, town_a, viewer_a):
    unknown = "sc5_" + "A" * 43
    revoked, revoked_secret = _token(viewer_a, name="Widerrufen")
    services.api_token_revoke(token=revoked, by=viewer_a)
    expired, expired_secret = _token(viewer_a, name="Abgelaufen")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with translation.override("en"):
        _expect_401(client.get(_projects_url(town_a), **_bearer(unknown)), "Unknown")
        _expect_401(client.get(_projects_url(town_a), **_bearer(revoked_secret)), "revoked")
        _expect_401(client.get(_projects_url(town_a), **_bearer(expired_secret)), "expired")


def test_a_token_stops_working_when_its_owner_loses_the_right(client, town_a, viewer_a):
    _row, secret = _token(viewer_a)
    assert client.get(_projects_url(town_a), **_bearer(secret)).status_code == 200

    Authenticator.objects.filter(user=viewer_a).delete()
    _expect_401(client.get(_projects_url(town_a), **_bearer(secret)))

    factories.activate_totp(viewer_a)
    assert client.get(_projects_url(town_a), **_bearer(secret)).status_code == 200
    Membership.objects.with_scopes_disabled().filter(user=viewer_a).delete()
    _expect_401(client.get(_projects_url(town_a), **_bearer(secret)))


def test_a_token_of_a_deactivated_account_is_401(client, town_a, viewer_a):
    _row, secret = _token(viewer_a)
    viewer_a.is_active = False
    viewer_a.save(update_fields=["is_active"])
    with translation.override("en"):
        _expect_401(client.get(_projects_url(town_a), **_bearer(secret)), "deactivated")


def test_a_bad_token_is_refused_even_with_a_session(client, town_a, viewer_a):
    client.force_login(viewer_a)
    _expect_401(client.get(_projects_url(town_a), **_bearer("sc5_" + "B" * 43)))


def test_other_authorization_schemes_fall_through_to_the_session(client, town_a, viewer_a, internal_project):
    client.force_login(viewer_a)
    response = client.get(_projects_url(town_a), HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert response.status_code == 200 and internal_project.slug in _slugs(response)


def test_last_use_is_written_at_most_once_a_minute(client, town_a, viewer_a):
    token, secret = _token(viewer_a)
    assert token.last_used_at is None

    client.get(_projects_url(town_a), **_bearer(secret))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None

    client.get(_projects_url(town_a), **_bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: no write

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    client.get(_projects_url(town_a), **_bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at > first


def test_the_schema_offers_the_bearer_scheme(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    scheme = schema["components"]["securitySchemes"]["personalToken"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    projects = schema["paths"]["/api/v1/towns/{town_slug}/projects/"]["get"]
    assert {"personalToken": []} in projects["security"]


# --- DSGVO and admin --------------------------------------------------------------------------------------------


def test_the_data_export_lists_tokens_without_their_digest(viewer_a):
    token, secret = _token(viewer_a, name="Export-Test")
    services.api_token_revoke(token=token, by=viewer_a)

    data = exports.user_data(user=viewer_a)
    [row] = data["account"]["api_tokens"]
    assert row["name"] == "Export-Test" and row["prefix"] == token.prefix
    assert row["created_at"] and row["revoked_at"] and "expires_at" in row and "last_used_at" in row
    assert "digest" not in row
    text = json.dumps(data, default=str)
    assert token.digest not in text and secret not in text

    with zipfile.ZipFile(io.BytesIO(exports.data_export_archive(user=viewer_a, language="de"))) as archive:
        page = archive.read("daten.html").decode()
    assert "Persönliche API-Token" in page and "Export-Test" in page and f"{token.prefix}…" in page
    assert token.digest not in page and secret not in page


def test_the_delete_page_names_the_tokens(client, viewer_a):
    client.force_login(viewer_a)
    assert "your personal API tokens" in client.get(reverse("accounts:delete")).content.decode()


def test_deleting_the_account_deletes_its_tokens(viewer_a, django_capture_on_commit_callbacks):
    _token(viewer_a)
    _token(viewer_a, name="Zweiter")
    user_pk = viewer_a.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.account_delete(user=viewer_a)
    assert not ApiToken.objects.filter(user_id=user_pk).exists()


def test_platform_admins_see_and_revoke_tokens_without_the_digest(client, viewer_a):
    token, _secret = _token(viewer_a, name="Admin-Test")
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    factories.activate_totp(admin)
    client.force_login(admin)

    listing = client.get("/admin/accounts/apitoken/")
    assert listing.status_code == 200 and "Admin-Test" in listing.content.decode()
    change = client.get(f"/admin/accounts/apitoken/{token.pk}/change/")
    assert change.status_code == 200 and token.digest not in change.content.decode()
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403

    client.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
