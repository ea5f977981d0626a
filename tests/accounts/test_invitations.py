"""Staff invitations: admins invite by e-mail; the person accepts with an account of their own (made on the way if
need be) and TOTP set up before the role is given; links expire, can be sent again and withdrawn."""

import datetime
import re
from urllib.parse import unquote

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from accounts import permissions, services
from accounts.models import Membership, Role, StaffInvitation, User
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "Rathaus-Fenster-2026"


def _invitations(municipality):
    return StaffInvitation.objects.with_scope(municipality=municipality.pk)


def _role(municipality, email):
    membership = (
        Membership.objects.with_scope(municipality=municipality.pk).filter(user__email__iexact=email).first()
    )
    return membership.role if membership else None


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/einladung/[^/\s]+/)", message.body).group(1)


@pytest.fixture
def invite(admin_a, town_a, django_capture_on_commit_callbacks):
    def run(email="neu@example.org", role=Role.EDITOR, town=None, by=None):
        with django_capture_on_commit_callbacks(execute=True):
            invitation = services.invitation_create(
                municipality=town or town_a, email=email, role=role, by=by or admin_a
            )
        return invitation, _link(mail.outbox[-1])

    return run


def test_the_invitation_mail_names_town_role_and_a_link_valid_for_seven_days(
    invite, town_a, admin_a, settings
):
    invitation, link = invite(email="Neu@Example.org")
    message = mail.outbox[-1]
    assert message.to == ["neu@example.org"]
    assert message.subject == "Einladung ins Team des Smart-City-Portals von Arnsberg"
    assert (
        f"{admin_a.display_name} lädt Sie in das Team des Smart-City-Portals der {town_a.official_name} ein"
        in message.body
    )
    assert "„Redaktion“" in message.body or "„Bearbeitung“" in message.body or "Rolle" in message.body
    assert f"{settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{settings.SITE_HOST}{link}" in message.body
    html = message.alternatives[0][0]
    assert f'href="{settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{settings.SITE_HOST}{link}"' in html
    assert town_a.official_name in html
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=7)
    assert invitation.invited_by == admin_a and invitation.accepted_at is None
    assert _role(town_a, "neu@example.org") is None


def test_only_the_towns_admins_invite(town_a, town_b, editor_a):
    admin_b = factories.staff_member(municipality=town_b, role=Role.ADMIN)
    for who in (editor_a, admin_b, factories.UserFactory()):
        with pytest.raises(PermissionDenied):
            services.invitation_create(municipality=town_a, email="x@example.org", role=Role.VIEWER, by=who)
    admin_without_mfa = factories.staff_member(
        municipality=town_a, role=Role.ADMIN, email="ohne@example.org", mfa=False
    )
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            municipality=town_a, email="x@example.org", role=Role.VIEWER, by=admin_without_mfa
        )
    assert not _invitations(town_a).exists()


def test_a_member_or_a_pending_address_is_not_invited_twice(invite, town_a, admin_a, editor_a):
    invite(email="neu@example.org")
    with pytest.raises(ValidationError) as pending:
        services.invitation_create(municipality=town_a, email="NEU@example.org", role=Role.VIEWER, by=admin_a)
    assert pending.value.error_dict["email"][0].code == "pending"
    with pytest.raises(ValidationError) as member:
        services.invitation_create(municipality=town_a, email=editor_a.email, role=Role.VIEWER, by=admin_a)
    assert member.value.error_dict["email"][0].code == "member"


def test_a_new_person_creates_an_account_sets_up_totp_and_then_gets_the_role(client, invite, town_a):
    invitation, link = invite(email="neu@example.org", role=Role.EDITOR)
    page = client.get(link)
    assert page.status_code == 200 and page.context["step"] == "create"
    assert "Konto anlegen" in page.text

    # The passwords must match; what was typed stays.
    wrong = client.post(
        link,
        {
            "display_name": "Nina Neu",
            "password1": PASSWORD,
            "password2": "anders-2026-x",
            "privacy_consent": "on",
        },
    )
    assert wrong.status_code == 400 and 'value="Nina Neu"' in wrong.text
    assert not User.objects.filter(email="neu@example.org").exists()

    response = client.post(
        link,
        {"display_name": "Nina Neu", "password1": PASSWORD, "password2": PASSWORD, "privacy_consent": "on"},
    )
    assert response.status_code == 302 and response["Location"] == link
    user = User.objects.get(email="neu@example.org")
    assert user.check_password(PASSWORD) and user.privacy_consent_at is not None
    assert EmailAddress.objects.filter(
        user=user, email="neu@example.org", verified=True, primary=True
    ).exists()
    # Signed in, but no role before the second factor.
    assert _role(town_a, "neu@example.org") is None
    with pytest.raises(ValidationError) as refused:
        services.invitation_accept(invitation=invitation, user=user)
    assert refused.value.code == "mfa"

    step = client.get(link)
    assert step.status_code == 200 and step.context["step"] == "mfa"
    assert step.context["totp_svg_data_uri"].startswith("data:image/svg+xml;base64,")
    bad = client.post(link, {"code": "000000"})
    assert bad.status_code == 400 and _role(town_a, "neu@example.org") is None

    done = client.post(link, {"code": factories.totp_code(step.context["totp_secret"], valid_for=3)})
    assert done.status_code == 302 and done["Location"] == "/accounts/2fa/recovery-codes/"
    assert permissions.has_totp(user)
    assert _role(town_a, "neu@example.org") == Role.EDITOR
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None

    # The link is used up.
    again = client.get(link)
    assert again.status_code == 410 and "bereits angenommen" in again.text


def test_a_person_with_an_account_signs_in_and_accepts(
    client, invite, town_a, town_b, django_capture_on_commit_callbacks
):
    # Staff of another town already has TOTP: signing in and one click.
    person = factories.staff_member(municipality=town_b, role=Role.VIEWER, email="soest@example.org")
    _invitation, link = invite(email="soest@example.org", role=Role.VIEWER)
    page = client.get(link)
    assert page.context["step"] == "sign_in"
    assert page.context["login_url"].startswith("/accounts/login/?next=/einladung/")
    client.force_login(person)
    assert client.get(link).context["step"] == "accept"
    outbox = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link)
    assert response.status_code == 302 and response["Location"] == "/arnsberg/verwaltung/"
    assert _role(town_a, person.email) == Role.VIEWER
    assert len(mail.outbox) == outbox  # no second mail about the role they just took


def test_a_citizen_account_is_asked_for_its_password_again_before_totp(client, invite, town_a):
    citizen = factories.UserFactory(email="buerger@example.org")
    _invitation, link = invite(email="buerger@example.org")
    client.force_login(citizen)
    response = client.get(link)
    assert response.status_code == 302
    assert unquote(response["Location"]).startswith("/accounts/reauthenticate/?next=/einladung/")
    assert _role(town_a, citizen.email) is None


def test_another_signed_in_account_cannot_accept(client, invite, town_a, citizen):
    invitation, link = invite(email="neu@example.org")
    client.force_login(citizen)
    page = client.get(link)
    assert page.context["step"] == "other_account" and "citizen@example.org" in page.text
    assert client.post(link).status_code == 200
    assert _role(town_a, citizen.email) is None
    with pytest.raises(ValidationError):
        services.invitation_accept(invitation=invitation, user=citizen)


def test_expired_withdrawn_broken_and_superseded_links_say_so(
    client, invite, admin_a, django_capture_on_commit_callbacks
):
    invitation, link = invite(email="neu@example.org")
    assert client.get("/einladung/12345-abc/").status_code == 404
    assert client.get(link[:-3] + "xx/").status_code == 404

    StaffInvitation.objects.with_scopes_disabled().filter(pk=invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    expired = client.get(link)
    assert expired.status_code == 410 and "abgelaufen" in expired.text
    # Sent again: a new link, valid for another 7 days; the old one is dead.
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(invitation=invitation, by=admin_a)
    new_link = _link(mail.outbox[-1])
    assert new_link != link
    assert client.get(link).status_code == 404
    assert client.get(new_link).status_code == 200

    services.invitation_revoke(invitation=invitation, by=admin_a)
    withdrawn = client.get(new_link)
    assert withdrawn.status_code == 410 and "zurückgezogen" in withdrawn.text
    with pytest.raises(ValidationError):
        services.invitation_resend(invitation=invitation, by=admin_a)


def test_team_page_lists_invitations_and_sends_again_and_withdraws(
    client, invite, admin_a, town_a, town_b, django_capture_on_commit_callbacks
):
    invitation, _unused = invite(email="neu@example.org")
    client.force_login(admin_a)
    page = client.get("/arnsberg/verwaltung/team/")
    assert "neu@example.org" in page.text and "Erneut senden" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/arnsberg/verwaltung/team/einladungen/{invitation.pk}/erneut-senden/", follow=True
        )
    assert "erneut gesendet" in response.text
    assert len(mail.outbox) == 2
    invitation.refresh_from_db()
    assert invitation.send_count == 2
    response = client.post(
        f"/arnsberg/verwaltung/team/einladungen/{invitation.pk}/zurueckziehen/", follow=True
    )
    assert "zurückgezogen" in response.text
    invitation.refresh_from_db()
    assert invitation.revoked_by == admin_a and invitation.revoked_at is not None
    # The history stays on the page, without buttons.
    page = client.get("/arnsberg/verwaltung/team/")
    assert "zurückgezogen am" in page.text
    # Another town's invitation is not found through this town's team page.
    admin_b = factories.staff_member(municipality=town_b, role=Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        other = services.invitation_create(
            municipality=town_b, email="s@example.org", role=Role.VIEWER, by=admin_b
        )
    assert client.post(f"/arnsberg/verwaltung/team/einladungen/{other.pk}/zurueckziehen/").status_code == 404


@override_settings(RATE_LIMITS={"staff_invite": [(2, 3600, "user")]})
def test_invitations_are_rate_limited(client, admin_a, town_a, django_capture_on_commit_callbacks):
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(2):
            assert (
                client.post(
                    "/arnsberg/verwaltung/team/", {"email": f"p{number}@example.org", "role": "viewer"}
                ).status_code
                == 302
            )
        refused = client.post("/arnsberg/verwaltung/team/", {"email": "p9@example.org", "role": "viewer"})
    assert refused.status_code == 400 and "sehr oft" in refused.text
    assert _invitations(town_a).count() == 2 and len(mail.outbox) == 2


def test_team_page_query_count_does_not_grow_with_invitations(
    client, admin_a, town_a, django_assert_max_num_queries
):
    for number in range(12):
        services.invitation_create(
            municipality=town_a, email=f"p{number}@example.org", role=Role.VIEWER, by=admin_a
        )
    client.force_login(admin_a)
    with django_assert_max_num_queries(16):
        assert client.get("/arnsberg/verwaltung/team/").status_code == 200


def test_invitations_nobody_accepted_are_forgotten_after_the_retention(invite, admin_a, town_a, settings):
    from accounts.tasks import staff_invitations_purge

    settings.STAFF_INVITATION_RETENTION_DAYS = 90
    old = timezone.now() - datetime.timedelta(days=91)
    expired, _ = invite(email="alt@example.org")
    withdrawn, _ = invite(email="weg@example.org")
    recent, _ = invite(email="neu@example.org")
    accepted, _ = invite(email="da@example.org")
    rows = StaffInvitation.objects.with_scopes_disabled()
    rows.filter(pk=expired.pk).update(expires_at=old)
    rows.filter(pk=withdrawn.pk).update(revoked_at=old, revoked_by=admin_a)
    rows.filter(pk=accepted.pk).update(expires_at=old, accepted_at=old)
    assert staff_invitations_purge() == 2
    assert set(_invitations(town_a).values_list("email", flat=True)) == {"neu@example.org", "da@example.org"}
    assert recent.pk in set(_invitations(town_a).values_list("pk", flat=True))
