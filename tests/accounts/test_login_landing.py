"""Where people land after signing in: staff in their town's staff area, Agentur moderators on /agentur/,
citizens on their account page; a link they followed (``next``) always wins."""

import pytest

from accounts.models import Role
from tests import factories
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def _landing(client, user, secret=None, next_url=""):
    response = sign_in(client, user.email, secret=secret, next_url=next_url)
    assert response.status_code == 302
    return response["Location"]


def test_staff_land_in_the_staff_area_of_the_town_where_they_hold_the_highest_role(client, town_a, town_b):
    staff = factories.UserFactory(email="team@example.org")
    factories.membership(user=staff, municipality=town_a, role=Role.VIEWER)
    factories.membership(user=staff, municipality=town_b, role=Role.EDITOR)
    secret = factories.activate_totp(staff)
    assert _landing(client, staff, secret) == "/soest/verwaltung/"


def test_agentur_moderators_land_on_the_agentur_overview(client, town_a):
    moderator = factories.UserFactory(email="agentur@example.org", is_agentur_moderator=True)
    assert _landing(client, moderator, factories.activate_totp(moderator)) == "/agentur/"


def test_a_followed_link_wins_over_the_staff_area(client, town_a, town_b):
    staff = factories.UserFactory(email="team@example.org")
    factories.membership(user=staff, municipality=town_a, role=Role.ADMIN)
    secret = factories.activate_totp(staff)
    assert _landing(client, staff, secret, next_url="/soest/projekte/") == "/soest/projekte/"


def test_citizens_land_on_their_account_page(client, citizen, town_a):
    assert _landing(client, citizen) == "/konto/"
