"""The client's address behind zero or more reverse proxies (TRUSTED_PROXY_COUNT): one reading for our rate
limits, allauth's login limits and DRF's throttles; a spoofed X-Forwarded-For never picks the address."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from api.throttling import AnonRateThrottle, UserRateThrottle
from smartcity5.clientip import client_ip
from tests import factories
from tests.helpers import sign_in

PROXY = "192.0.2.1"  # the reverse proxy's address, as the app sees it


def _request(forwarded=None, remote=PROXY):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_a_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("203.0.113.7", remote="198.51.100.3")) == "198.51.100.3"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a client-written entry on the left is ignored
        ("evil, 203.0.113.7", "203.0.113.7"),
        ("203.0.113.7:51234", "203.0.113.7"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("2001:db8::7", "2001:db8::7"),
        ("", PROXY),  # not through the proxy (e.g. a health check from inside): the peer
        ("not-an-address", PROXY),
    ],
)
def test_behind_one_proxy_the_last_forwarded_address_is_the_client(settings, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(forwarded)) == expected


def test_behind_two_proxies_the_second_address_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("6.6.6.6, 203.0.113.7, 10.0.0.5")) == "203.0.113.7"
    assert client_ip(_request("203.0.113.7")) == PROXY  # too short: not through both


def test_drf_throttles_and_allauth_read_the_same_address(settings):
    from allauth.account.adapter import get_adapter

    settings.TRUSTED_PROXY_COUNT = 1
    request = _request("6.6.6.6, 203.0.113.7")
    assert AnonRateThrottle().get_ident(request) == "203.0.113.7"
    assert UserRateThrottle().get_ident(request) == "203.0.113.7"
    assert get_adapter(request).get_client_ip(request) == "203.0.113.7"
    settings.TRUSTED_PROXY_COUNT = 0
    # DRF's own reading would take the whole header, a new identity for every spoofed value.
    assert AnonRateThrottle().get_ident(_request("6.6.6.6")) == PROXY


# --- Through the pages ---------------------------------------------------------------------------------------


@pytest.fixture
def idea(town_a):
    return factories.idea(process=factories.process(municipality=town_a))


def _comment(client, idea, forwarded):
    url = reverse("participation:comment-create", kwargs={"town_slug": idea.municipality.slug, "pk": idea.pk})
    client.force_login(factories.UserFactory())
    return client.post(
        url, {"body": "Gute Idee"}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
    ).status_code


@pytest.mark.django_db
def test_citizens_behind_the_same_proxy_are_limited_separately(settings, idea):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": [(100, 600, "user"), (2, 600, "ip")]}
    client = Client()
    assert [_comment(client, idea, "203.0.113.7") for _ in range(3)] == [302, 302, 429]
    assert _comment(client, idea, "198.51.100.9") == 302  # another citizen behind the same proxy
    assert _comment(client, idea, "198.51.100.9, 203.0.113.7") == 429  # a spoofed entry does not help


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_header_does_not_escape_the_limit(settings, idea):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": [(100, 600, "user"), (2, 600, "ip")]}
    client = Client()
    assert [_comment(client, idea, f"203.0.113.{n}") for n in range(3)] == [302, 302, 429]


def _login(client, email, password, forwarded):
    sign_in(client, email, password, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    return "_auth_user_id" in client.session


@pytest.mark.django_db
@pytest.mark.parametrize(("proxies", "locked_out"), [(1, False), (0, True)])
def test_ten_wrong_passwords_from_one_address_lock_out_only_that_address(
    settings, citizen, proxies, locked_out
):
    """allauth allows 10 failed logins per minute and address: behind the proxy, one attacker's address; without
    TRUSTED_PROXY_COUNT, the proxy's address, and so every citizen (the bug this setting fixes)."""
    settings.TRUSTED_PROXY_COUNT = proxies
    attacker = Client()
    for n in range(10):
        assert not _login(attacker, f"person{n}@example.org", "falsch", "203.0.113.66")
    assert not _login(
        attacker, citizen.email, factories.PASSWORD, "203.0.113.66"
    )  # the attacker's address is locked
    assert _login(Client(), citizen.email, factories.PASSWORD, "198.51.100.20") is not locked_out
