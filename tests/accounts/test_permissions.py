"""The rules of accounts.permissions, role by role."""

import pytest

from accounts import permissions
from accounts.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

# The expected rule × role table, in the user's own town: x = allowed. Written out by hand from the rules as the
# portal states them (accounts/permissions.py's docstrings, docs), never computed from the code under test.
KINDS = ["anonymous", "citizen", Role.VIEWER, Role.EDITOR, Role.ADMIN, "moderator", "platform-admin"]
TABLE = """
                            anonymous  citizen  viewer  editor  admin  moderator  platform-admin
town.view_staff_area        .          .        x       x       x      x          .
town.edit_content           .          .        .       x       x      .          .
town.manage                 .          .        .       .       x      .          .
town.moderate               .          .        .       x       x      x          .
funding.view                .          .        x       x       x      x          .
funding.edit                .          .        .       x       x      .          .
funding.approve             .          .        .       .       x      .          .
funding.change_terms        .          .        .       .       x      .          .
participation.participate   .          x        x       x       x      x          x
knowledge.write             .          .        .       x       x      x          .
reviews.view                .          .        x       x       x      x          .
reviews.prepare             .          .        .       x       x      .          .
"""


def _table(table: str = TABLE) -> dict[str, set[str]]:
    header, *rows = [line.split() for line in table.strip().splitlines()]
    assert header == [str(kind) for kind in KINDS]
    allowed: dict[str, set[str]] = {str(kind): set() for kind in KINDS}
    for rule, *marks in rows:
        assert len(marks) == len(KINDS) and set(marks) <= {"x", "."}, rule
        for kind, mark in zip(KINDS, marks, strict=True):
            if mark == "x":
                allowed[str(kind)].add(rule)
    return allowed


RULES = [line.split()[0] for line in TABLE.strip().splitlines()[1:]]
EXPECTED = _table()


def test_the_table_names_every_rule():
    """A new rule joins the table, or this fails."""
    assert sorted(RULES) == sorted(permissions.RULES)


def _user(kind, municipality):
    from django.contrib.auth.models import AnonymousUser

    if kind == "anonymous":
        return AnonymousUser()
    if kind == "citizen":
        return factories.UserFactory()
    if kind == "moderator":
        return factories.UserFactory(is_agentur_moderator=True)
    if kind == "platform-admin":
        return factories.UserFactory(is_staff=True)
    user = factories.UserFactory()
    factories.membership(user=user, municipality=municipality, role=kind)
    return user


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_rules_in_own_town(kind, town_a):
    user = _user(kind, town_a)
    granted = {rule for rule in RULES if permissions.has_perm(user, rule, town_a)}
    assert granted == EXPECTED[str(kind)]


@pytest.mark.parametrize("kind", ["anonymous", "citizen", "moderator", "platform-admin"], ids=str)
def test_rules_without_a_town_role_are_the_same_in_every_town(kind, town_a, town_b):
    user = _user(kind, town_a)
    granted = {rule for rule in RULES if permissions.has_perm(user, rule, town_b)}
    assert granted == EXPECTED[kind]


@pytest.mark.parametrize(
    ("kind", "allowed"),
    [
        ("anonymous", False),
        ("citizen", False),
        (Role.VIEWER, False),
        (Role.EDITOR, False),
        (Role.ADMIN, False),
        ("moderator", True),
        ("platform-admin", False),
    ],
    ids=str,
)
def test_only_moderators_review_progress_reports(kind, allowed, town_a):
    assert permissions.can_review_progress_reports(_user(kind, town_a)) is allowed


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


# The object rules a funding page asks (``{% may "grant.change" grant %}``) and its services check
# (``funding.services.grant_for_change`` …), on a grant of the user's own town.
GRANT_TABLE = """
                            anonymous  citizen  viewer  editor  admin  moderator  platform-admin
grant.change                .          .        .       x       x      .          .
grant.submit                .          .        .       .       x      .          .
grant.change_terms          .          .        .       .       x      .          .
"""
GRANT_RULES = [line.split()[0] for line in GRANT_TABLE.strip().splitlines()[1:]]
GRANT_EXPECTED = _table(GRANT_TABLE)


def _grant_rules_granted(user, grant, request_town) -> set[str]:
    return {rule for rule in GRANT_RULES if permissions.object_allows(user, rule, grant, request_town)}


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_grant_rules_in_own_town(kind, town_a):
    user = _user(kind, town_a)
    grant = factories.grant(municipality=town_a)
    assert _grant_rules_granted(user, grant, town_a) == GRANT_EXPECTED[str(kind)]
    assert _grant_rules_granted(user, grant, None) == GRANT_EXPECTED[str(kind)]  # a service: no request town


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_grant_rules_give_another_towns_staff_nothing(role, town_a, town_b):
    user = _user(role, town_b)
    grant = factories.grant(municipality=town_a)
    assert _grant_rules_granted(user, grant, town_a) == set()
    assert _grant_rules_granted(user, grant, town_b) == set()


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_templates_ask_the_town_rules_of_a_town_through_may(kind, town_a, town_b):
    """``{% may "town.edit_content" municipality %}``: the table above, in the town asked about only."""
    user = _user(kind, town_a)
    assert {rule for rule in RULES if permissions.object_allows(user, rule, town_a)} == EXPECTED[str(kind)]
    elsewhere = {rule for rule in RULES if permissions.object_allows(user, rule, town_b)}
    if kind in Role.values:
        assert elsewhere == {"participation.participate"}
    else:
        assert elsewhere == EXPECTED[str(kind)]


# The rules a template asks about the person alone (``{% may "account.api_tokens" as shows_api_tokens %}``), for
# people who have set up their second factor (TOTP).
USER_TABLE = """
                            anonymous  citizen  viewer  editor  admin  moderator  platform-admin
agentur.enter               .          .        .       .       .      x          .
account.api_tokens          .          .        x       x       x      x          x
"""
USER_RULES = [line.split()[0] for line in USER_TABLE.strip().splitlines()[1:]]
USER_EXPECTED = _table(USER_TABLE)


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_rules_about_the_person_alone(kind, town_a):
    user = _user(kind, town_a)
    if user.is_authenticated:
        factories.activate_totp(user)
        user = type(user).objects.get(pk=user.pk)
    assert {rule for rule in USER_RULES if permissions.object_allows(user, rule, None)} == USER_EXPECTED[
        str(kind)
    ]


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_the_api_tokens_page_needs_the_second_factor(kind, town_a):
    assert not permissions.object_allows(_user(kind, town_a), "account.api_tokens", None)


def test_the_api_tokens_page_stays_open_to_revoke_tokens_after_the_role_is_gone(town_a):
    from accounts import services
    from accounts.models import Membership

    user = _user(Role.VIEWER, town_a)
    factories.activate_totp(user)
    services.api_token_create(user=user, name="Abgleich", lifetime_days=30)
    Membership.objects.with_scope(municipality=town_a.pk).filter(user=user).delete()
    user = type(user).objects.get(pk=user.pk)
    assert not permissions.can_use_api_tokens(user)
    assert permissions.object_allows(user, "account.api_tokens", None)


@pytest.mark.parametrize(
    ("visibility", "file_public", "for_everyone"),
    [("public", True, True), ("public", False, False), ("internal", True, False), ("internal", False, False)],
)
def test_a_project_file_is_for_everyone_only_when_both_are_public(
    visibility, file_public, for_everyone, town_a
):
    from projects.models import ProjectFile

    project = factories.project(municipality=town_a, visibility=visibility)
    item = ProjectFile(project=project, municipality=town_a, is_public=file_public)
    assert permissions.is_project_file_for_everyone(project, item) is for_everyone
