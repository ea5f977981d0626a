"""Redis stopped or frozen (SIGSTOP) under the cache: citizens and staff keep working, limits keep counting in
the process, and the shared cache is used again once Redis is back (smartcity5.cache)."""

import json
import logging
import time

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import DataExport, Session
from municipalities.scoping import town_scope
from participation.models import Ballot, Comment, Idea, OfficialAnswer, Process, Support
from participation.services import ideas as ideas_services
from participation.services import processes as processes_services
from tests import factories, helpers

from .conftest import use_as_cache

pytestmark = pytest.mark.django_db

# Loose: a request that waits for a frozen Redis without a short socket timeout takes 5 s per cache call.
HANG = 2.5


@pytest.fixture
def arnsberg(town_a):
    town_a.map_south, town_a.map_west, town_a.map_north, town_a.map_east = 51.30, 7.95, 51.50, 8.20
    town_a.save()
    return town_a


@pytest.fixture
def process(arnsberg, catalogue):
    return factories.process(municipality=arnsberg, title="Ideen für Arnsberg")


@pytest.fixture
def vote(arnsberg):
    today = helpers.today()
    process = factories.process(municipality=arnsberg, votes_per_person=2)
    ideas = [factories.idea(process=process, title=f"Vorschlag {n}") for n in range(2)]
    with town_scope(arnsberg):
        for idea in ideas:
            ideas_services.idea_set_shortlisted(idea=idea, shortlisted=True, by=None, acting_town=arnsberg)
        processes_services.process_change(
            process=Process.objects.get(pk=process.pk),
            by=None,
            acting_town=arnsberg,
            fields={},
            phases=[{"kind": "vote", "starts_on": today, "ends_on": today}],
        )
    return process, ideas


def _url(name, municipality, **kwargs):
    return reverse(f"participation:{name}", kwargs={"town_slug": municipality.slug, **kwargs})


def _timed(call):
    started = time.monotonic()
    response = call()
    elapsed = time.monotonic() - started
    assert response.status_code < 500, response.content[:500]
    assert elapsed < HANG, f"held for {elapsed:.1f} s"
    return response


def _cut(server, outage: str) -> None:
    if outage == "stopped":
        server.stop()
    else:
        server.freeze()


@pytest.mark.parametrize("outage", ["stopped", "frozen"])
def test_citizens_and_staff_keep_working_while_redis_is_down(
    outage, client, private_redis, settings, caplog, arnsberg, process, vote, citizen, editor_a
):
    use_as_cache(settings, private_redis, retry_seconds=30)
    idea = factories.idea(process=process, title="Mehr Grün")
    # With Redis up, the API's throttle counts there.
    assert client.get(reverse("api:towns")).status_code == 200
    assert any(":throttle_anon_" in key for key in private_redis.keys())  # noqa: SIM118 - Redis KEYS, not a dict
    _cut(private_redis, outage)
    caplog.set_level(logging.INFO, logger="smartcity5.cache")

    # Pages, and a wrong and a right password.
    assert _timed(lambda: client.get(idea.get_absolute_url())).status_code == 200
    wrong = _timed(lambda: client.post("/accounts/login/", {"login": citizen.email, "password": "falsch"}))
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    right = _timed(
        lambda: client.post("/accounts/login/", {"login": citizen.email, "password": factories.PASSWORD})
    )
    assert right.status_code == 302 and client.session["_auth_user_id"] == str(citizen.pk)
    assert Session.objects.filter(
        session_key=client.session.session_key
    ).exists()  # sessions live in the database

    # The citizen's writes.
    created = _timed(
        lambda: client.post(
            _url("idea-create", arnsberg, slug=process.slug),
            {
                "title": "Trinkbrunnen am Steinweg",
                "body": "Im Sommer fehlt Wasser.",
                "location_label": "Steinweg",
                "latitude": "51,396",
                "longitude": "8,064",
                "consent": "on",
                "homepage": "",
            },
        )
    )
    assert created.status_code == 302
    assert Idea.objects.with_scopes_disabled().filter(title="Trinkbrunnen am Steinweg").exists()
    assert (
        _timed(
            lambda: client.post(_url("comment-create", arnsberg, pk=idea.pk), {"body": "Sehr dafür"})
        ).status_code
        == 302
    )
    assert Comment.objects.with_scopes_disabled().filter(idea=idea, body="Sehr dafür").exists()
    assert (
        _timed(
            lambda: client.post(_url("idea-support", arnsberg, pk=idea.pk), {"action": "support"})
        ).status_code
        == 302
    )
    assert Support.objects.with_scopes_disabled().filter(idea=idea, user=citizen).exists()
    vote_process, shortlisted = vote
    assert (
        _timed(
            lambda: client.post(
                _url("vote", arnsberg, slug=vote_process.slug), {f"idea_{shortlisted[0].pk}": "on"}
            )
        ).status_code
        == 302
    )
    assert Ballot.objects.with_scopes_disabled().filter(process=vote_process, user=citizen).exists()
    assert _timed(lambda: client.post(reverse("accounts:data"))).status_code == 302
    assert DataExport.objects.filter(user=citizen).exists()

    # The API: an anonymous read and a citizen's write.
    anonymous = Client()  # a second, signed-out browser
    assert _timed(lambda: anonymous.get(reverse("api:towns"))).status_code == 200
    api_idea = _timed(
        lambda: client.post(
            reverse("api:process-ideas", kwargs={"town_slug": arnsberg.slug, "slug": process.slug}),
            data=json.dumps({"title": "Bänke am Markt", "body": "Zum Ausruhen.", "consent": True}),
            content_type="application/json",
        )
    )
    assert api_idea.status_code == 201, api_idea.content

    # A staff answer.
    client.force_login(editor_a)
    assert (
        _timed(
            lambda: client.post(
                _url("staff-idea-answer", arnsberg, pk=idea.pk),
                {"to": "accepted", "body": "Wir setzen das 2027 um."},
            )
        ).status_code
        == 302
    )
    assert OfficialAnswer.objects.with_scopes_disabled().filter(idea=idea).exists()

    # One warning for the outage, not one per call.
    warnings = [r for r in caplog.records if r.name == "smartcity5.cache" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()


def test_failed_logins_still_lock_out_with_redis_down(
    client, private_redis, settings, citizen, process, arnsberg
):
    use_as_cache(settings, private_redis, retry_seconds=30)
    private_redis.stop()
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": citizen.email, "password": "falsch"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"login": citizen.email, "password": factories.PASSWORD})
    assert response.status_code in (200, 429) and "_auth_user_id" not in client.session
    assert "Zu viele" in response.text or "Too many" in response.text
    # Our own limits count in the process too: never unlimited.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": [(2, 600, "user")]}
    client.force_login(citizen)
    idea = factories.idea(process=process)
    url = _url("comment-create", arnsberg, pk=idea.pk)
    assert [client.post(url, {"body": f"Kommentar {n}"}).status_code for n in range(3)] == [302, 302, 429]


def test_the_shared_cache_is_used_again_after_redis_returns(
    client, private_redis, settings, caplog, citizen, process, arnsberg
):
    use_as_cache(settings, private_redis, retry_seconds=0.5)
    caplog.set_level(logging.INFO, logger="smartcity5.cache")
    client.force_login(citizen)
    idea = factories.idea(process=process)
    url = _url("comment-create", arnsberg, pk=idea.pk)
    private_redis.freeze()
    assert client.post(url, {"body": "Während der Störung"}).status_code == 302
    private_redis.thaw()
    private_redis.stop()
    private_redis.start()  # empty again: nothing was saved
    assert not [key for key in private_redis.keys() if ":rl:comment:" in key]  # noqa: SIM118 - Redis KEYS, not a dict
    time.sleep(0.6)
    assert client.post(url, {"body": "Danach"}).status_code == 302
    assert [key for key in private_redis.keys() if ":rl:comment:" in key]  # noqa: SIM118 - Redis KEYS, not a dict
    messages = [r.getMessage() for r in caplog.records if r.name == "smartcity5.cache"]
    assert any("unreachable" in m for m in messages) and any("reachable again" in m for m in messages)


def test_a_frozen_redis_costs_one_short_wait_not_one_per_call(private_redis, settings, caplog):
    from django.core.cache import cache

    use_as_cache(settings, private_redis, retry_seconds=30)
    cache.set("greeting", "hallo")
    assert private_redis.keys("*greeting")  # in Redis while it answers
    private_redis.freeze()
    caplog.set_level(logging.WARNING, logger="smartcity5.cache")
    started = time.monotonic()
    for number in range(200):
        cache.set(f"key{number}", number)
        assert cache.get(f"key{number}") == number
        assert cache.add(f"counter{number}", 0) and cache.incr(f"counter{number}") == 1
    assert time.monotonic() - started < HANG  # one socket timeout, then the process's memory
    assert cache.redis_is_down
    assert cache.get("greeting") is None  # what only Redis holds is a miss, not an error
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


def test_the_warning_names_redis_without_its_password(private_redis, settings, caplog):
    from django.core.cache import cache

    private_redis.stop()
    settings.CACHES = {
        "default": {
            "BACKEND": "smartcity5.cache.FallbackRedisCache",
            "RETRY_SECONDS": 30,
            "LOCATION": f"redis://cache:geheim@127.0.0.1:{private_redis.port}/0",
        }
    }
    caplog.set_level(logging.WARNING, logger="smartcity5.cache")
    assert cache.get_or_set("answer", 42) == 42
    [warning] = [r.getMessage() for r in caplog.records if r.name == "smartcity5.cache"]
    assert f"redis://***@127.0.0.1:{private_redis.port}/0" in warning and "geheim" not in warning
