"""The anonymous page cache (smartcity5/page_cache.py) on the public participation pages, with the real cache
(Redis): served to anonymous visitors only, new after every write of the services, never sharing a CSRF token, a
nonce, messages or a language between visitors."""

import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]  # private, not in the stubs
from django.test import Client
from django.urls import reverse

from municipalities.scoping import town_scope
from participation.services import moderation as moderation_services
from smartcity5.page_cache import HEADER
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


@pytest.fixture
def process(town_a):
    return factories.process(municipality=town_a, title="Ideen für Arnsberg")


@pytest.fixture
def pages(town_a, process):
    idea = factories.idea(process=process, title="Bänke am Markt")
    return [
        reverse("participation:processes", kwargs={"town_slug": town_a.slug}),
        reverse("participation:process", kwargs={"town_slug": town_a.slug, "slug": process.slug}),
        reverse("participation:ideas", kwargs={"town_slug": town_a.slug}),
        reverse("participation:idea", kwargs={"town_slug": town_a.slug, "pk": idea.pk}),
    ]


def _tokens(content: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', content)) | set(
        re.findall(r'"X-CSRFToken": "([^"]+)"', content)
    )


def test_anonymous_visitors_get_the_page_from_the_cache(client, pages):
    for url in pages:
        first = client.get(url)
        assert first.status_code == 200 and first[HEADER] == "miss", url
        second = client.get(url)
        assert second.status_code == 200 and second[HEADER] == "hit", url
        if url != pages[0]:  # the process list names processes, not ideas
            assert "Bänke am Markt" in second.content.decode()


def test_the_hit_path_costs_few_queries(client, pages, django_assert_max_num_queries):
    for url in pages:
        client.get(url)
        # The town and the version of its processes (and the request's savepoint and its release, ATOMIC_REQUESTS
        # inside the test's transaction); nothing about ideas, comments or supports.
        with django_assert_max_num_queries(4):
            assert client.get(url)[HEADER] == "hit"


def test_a_new_idea_shows_at_once(client, pages, process, town_a, editor_a):
    for url in pages[:3]:
        client.get(url)
    factories.idea(process=process, title="Neuer Brunnen")
    assert client.get(pages[0])[HEADER] == "miss"
    for url in pages[1:3]:
        response = client.get(url)
        assert response[HEADER] == "miss" and "Neuer Brunnen" in response.content.decode(), url
    # A comment on the idea, and hiding it, are on the idea page at once too.
    detail = pages[3]
    client.get(detail)
    from participation.models import Idea

    idea = Idea._base_manager.get(title="Bänke am Markt")
    factories.comment(idea=idea, body="Sehr gern mehr davon")
    assert "Sehr gern mehr davon" in client.get(detail).content.decode()
    with town_scope(town_a):
        moderation_services.moderation_hide(target=idea, by=editor_a, acting_town=town_a, reason="Werbung")
    assert client.get(detail).status_code == 404
    assert "Bänke am Markt" not in client.get(pages[2]).content.decode()


def test_signed_in_people_never_get_a_cached_page_nor_fill_the_cache(client, pages, citizen):
    client.force_login(citizen)
    for url in pages:
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200
            # Never the page (a hit or a stored miss); the idea lists' content may be shared (test_shared_content).
            assert response.get(HEADER) in (None, "content"), url
    client.logout()
    assert client.get(pages[0])[HEADER] == "miss"  # nothing was stored for the signed-in person
    anonymous_page = client.get(pages[3]).content.decode()
    client.force_login(citizen)
    own = client.get(pages[3])
    assert HEADER not in own
    assert "Sign out" in own.content.decode() or "Abmelden" in own.content.decode()
    assert "Abmelden" not in anonymous_page and "Sign out" not in anonymous_page


def test_no_csrf_token_or_nonce_is_shared_between_visitors(pages):
    first, second = Client(), Client()
    url = pages[3]
    miss = first.get(url)
    hit = second.get(url)
    assert miss[HEADER] == "miss" and hit[HEADER] == "hit"
    first_secret = first.cookies["csrftoken"].value
    second_secret = second.cookies["csrftoken"].value  # the hit sets the visitor's own CSRF cookie
    assert first_secret != second_secret
    hit_tokens = _tokens(hit.content.decode())
    assert hit_tokens
    assert all(_unmask_cipher_token(token) == second_secret for token in hit_tokens)
    assert not any(_unmask_cipher_token(token) == first_secret for token in hit_tokens)
    for response in (miss, hit):
        nonce = re.search(r'<style nonce="([^"]+)"', response.content.decode()).group(1)
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert re.search(r'<style nonce="([^"]+)"', miss.content.decode()).group(1) != re.search(
        r'<style nonce="([^"]+)"', hit.content.decode()
    ).group(1)
    # The cached page's token works: the language switcher posts with it.
    token = next(iter(hit_tokens))
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.cookies = second.cookies
    assert (
        csrf_client.post(
            reverse("set_language"), {"language": "en", "next": url, "csrfmiddlewaretoken": token}
        ).status_code
        == 302
    )


def test_messages_are_never_cached_nor_served_from_the_cache(client, pages, rf):
    url = pages[0]
    client.get(url)
    # A visitor with a message waiting: the page is built for them (and shows it), and is not stored.
    request = rf.get(url)
    storage = CookieStorage(request)
    from django.contrib.messages.storage.base import Message
    from django.http import HttpResponse

    response = HttpResponse()
    storage._store([Message(constants.SUCCESS, "Nur für Sie bestimmt")], response)
    client.cookies[storage.cookie_name] = response.cookies[storage.cookie_name].value
    with_message = client.get(url)
    assert HEADER not in with_message
    assert "Nur für Sie bestimmt" in with_message.content.decode()
    other = Client().get(url)
    assert other[HEADER] == "hit" and "Nur für Sie bestimmt" not in other.content.decode()


def test_languages_are_cached_apart(pages, settings):
    german, english = Client(), Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = pages[2]
    assert german.get(url)[HEADER] == "miss"
    response = english.get(url)
    assert response[HEADER] == "miss" and '<html lang="en"' in response.content.decode()
    again = english.get(url)
    assert again[HEADER] == "hit" and '<html lang="en"' in again.content.decode()
    assert '<html lang="de"' in german.get(url).content.decode()


def test_htmx_and_posts_are_not_cached(client, pages):
    client.get(pages[1])
    response = client.get(pages[1], HTTP_HX_REQUEST="true")
    assert HEADER not in response


def test_pages_work_while_redis_is_down(pages, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "smartcity5.cache.FallbackRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "RETRY_SECONDS": 60,
        }
    }
    client = Client()
    assert client.get(pages[2]).status_code == 200
    second = client.get(pages[2])  # from this process's memory
    assert second.status_code == 200 and "Bänke am Markt" in second.content.decode()
