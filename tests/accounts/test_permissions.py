"""The rules of accounts.permissions, role by role."""

import pytest

from accounts import permissions
from accounts.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

RULES = ["town.view_staff_area", "town.edit_content", "town.manage", "town.moderate",
         "funding.view", "funding.edit", "funding.approve", "participation.participate"]

# Expected outcome in the user's own town, by role.
EXPECTED = {
    "anonymous": set(),
    "citizen": {"participation.participate"},
    Role.VIEWER: {"town.view_staff_area", "funding.view", "participation.participate"},
    Role.EDITOR: {"town.view_staff_area", "town.edit_content", "town.moderate", "funding.view", "funding.edit",
                  "participation.participate"},
    Role.ADMIN: set(RULES),
    "moderator": {"town.view_staff_area", "town.moderate", "funding.view", "participation.participate"},
}


def _user(kind, town):
    from django.contrib.auth.models import AnonymousUser

    if kind == "anonymous":
        return AnonymousUser()
    if kind == "citizen":
        return factories.UserFactory()
    if kind == "moderator":
        return factories.UserFactory(is_agentur_moderator=True)
    user = factories.UserFactory()
    factories.membership(user=user, municipality=town, role=kind)
    return user


@pytest.mark.parametrize("kind", list(EXPECTED), ids=str)
def test_rules_in_own_town(kind, town_a):
    user = _user(kind, town_a)
    granted = {rule for rule in RULES if permissions.has_perm(user, rule, town_a)}
    assert granted == EXPECTED[kind]


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_staff_have_no_rights_in_another_town(role, town_a, town_b):
    user = _user(role, town_a)
    granted = {rule for rule in RULES if permissions.has_perm(user, rule, town_b)}
    assert granted == {"participation.participate"}


def test_moderators_never_edit_funding(town_a, town_b):
    moderator = _user("moderator", town_a)
    for town in (town_a, town_b):
        assert permissions.can_view_funding(moderator, town)
        assert not permissions.can_edit_funding(moderator, town)
        assert not permissions.can_approve_funding(moderator, town)


def test_unverified_user_is_not_a_citizen(town_a):
    user = factories.UserFactory(verified=False)
    assert not permissions.has_perm(user, "participation.participate", town_a)


def test_a_user_may_serve_several_towns_with_different_roles(town_a, town_b):
    user = factories.UserFactory()
    factories.membership(user=user, municipality=town_a, role=Role.ADMIN)
    factories.membership(user=user, municipality=town_b, role=Role.VIEWER)
    assert permissions.can_manage_town(user, town_a)
    assert not permissions.can_manage_town(user, town_b)
    assert permissions.can_view_staff_area(user, town_b)


def test_privileged_accounts_need_mfa(town_a):
    staff = _user(Role.VIEWER, town_a)
    assert permissions.needs_mfa_setup(staff)
    factories.activate_totp(staff)
    staff = type(staff).objects.get(pk=staff.pk)
    assert not permissions.needs_mfa_setup(staff)
    assert not permissions.needs_mfa_setup(factories.UserFactory())
    assert permissions.needs_mfa_setup(factories.UserFactory(is_agentur_moderator=True))
    assert permissions.needs_mfa_setup(factories.UserFactory(is_staff=True))
