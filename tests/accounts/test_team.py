"""Town admins manage their team; a town always keeps an administrator."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Membership, Role
from tests import factories

pytestmark = pytest.mark.django_db


def _members(municipality):
    return {
        m.user.email: m.role
        for m in Membership.objects.with_scope(municipality=municipality.pk).select_related("user")
    }


def test_admin_invites_a_person_who_gets_the_link_by_mail(
    client, admin_a, town_a, django_capture_on_commit_callbacks
):
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/arnsberg/verwaltung/team/", {"email": "NEU@example.org", "role": "editor"})
    assert response.status_code == 302
    assert "neu@example.org" not in _members(town_a)  # the role comes with the acceptance
    assert [m.to for m in mail.outbox] == [["neu@example.org"]]
    assert "/einladung/" in mail.outbox[0].body


def test_a_bad_address_shows_a_form_error(client, admin_a):
    client.force_login(admin_a)
    response = client.post("/arnsberg/verwaltung/team/", {"email": "niemand@", "role": "editor"})
    assert response.status_code == 400
    assert "email" in response.context["form"].errors
    assert 'value="niemand@"' in response.text


def test_role_change_and_removal(client, admin_a, editor_a, town_a):
    client.force_login(admin_a)
    membership = Membership.objects.with_scope(municipality=town_a.pk).get(user=editor_a)
    client.post(f"/arnsberg/verwaltung/team/{membership.pk}/rolle/", {"role": "viewer"})
    assert _members(town_a)[editor_a.email] == "viewer"
    client.post(f"/arnsberg/verwaltung/team/{membership.pk}/entfernen/")
    assert editor_a.email not in _members(town_a)


def test_the_last_admin_cannot_leave(client, admin_a, town_a):
    client.force_login(admin_a)
    membership = Membership.objects.with_scope(municipality=town_a.pk).get(user=admin_a)
    response = client.post(f"/arnsberg/verwaltung/team/{membership.pk}/entfernen/", follow=True)
    assert _members(town_a)[admin_a.email] == "admin"
    assert "mindestens" in response.text or "at least one" in response.text
    with pytest.raises(ValidationError):
        services.membership_grant(municipality=town_a, user=admin_a, role=Role.EDITOR)


def test_editor_cannot_manage_the_team(client, editor_a):
    client.force_login(editor_a)
    assert client.get("/arnsberg/verwaltung/team/").status_code == 403


def test_team_page_query_count_does_not_grow_with_members(
    client, admin_a, town_a, django_assert_max_num_queries
):
    for _ in range(15):
        factories.membership(user=factories.UserFactory(), municipality=town_a, role="viewer")
    client.force_login(admin_a)
    with django_assert_max_num_queries(14):
        assert client.get("/arnsberg/verwaltung/team/").status_code == 200
