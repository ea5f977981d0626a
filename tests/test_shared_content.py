"""The main content of pages that show nothing about the visitor (town page, process list and page, idea list,
project list), kept in the cache for signed-in people too (smartcity5/page_cache.py ``shared_content``,
smartcity5/templatetags/page_cache.py): each gets it inside their own page (header, notifications, CSRF token,
messages), and a change the services make shows at once."""

import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]  # private, not in django-stubs
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from municipalities.scoping import town_scope
from notifications.services import notify
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
    factories.idea(process=process, title="Bänke am Markt")
    return [
        reverse("municipalities:home", kwargs={"town_slug": town_a.slug}),
        reverse("participation:processes", kwargs={"town_slug": town_a.slug}),
        reverse("participation:process", kwargs={"town_slug": town_a.slug, "slug": process.slug}),
        reverse("participation:ideas", kwargs={"town_slug": town_a.slug}),
        reverse("participation:ideas", kwargs={"town_slug": town_a.slug}) + "?sort=supported",
        reverse("projects:list", kwargs={"town_slug": town_a.slug}),
    ]


def _main(response) -> str:
    html = response.content.decode()
    return html[html.index('<main id="main"') : html.index("</main>")]


def _tokens(response) -> set[str]:
    found = re.findall(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"', response.content.decode())
    return {_unmask_cipher_token(token) for token in found}


def test_signed_in_people_share_the_content_and_keep_their_own_page(pages, town_a):
    erika, max_ = factories.UserFactory(), factories.UserFactory()
    with town_scope(town_a):
        notify(
            municipality=town_a, recipients=[erika], kind="idea.comment", key="k1", title="Neu", email=False
        )
        notify(
            municipality=town_a, recipients=[erika], kind="idea.comment", key="k2", title="Neu", email=False
        )
    first, second = Client(), Client()
    first.force_login(erika)
    second.force_login(max_)
    for url in pages:
        built = first.get(url)
        assert built.status_code == 200 and HEADER not in built, url
        shared = second.get(url)
        assert shared.status_code == 200 and shared[HEADER] == "content", url
        assert _main(shared) == _main(built)
        # The header is each person's own: Erika's unread notifications are not Max's, nor her token.
        assert "(2 ungelesen)" in built.content.decode() and "ungelesen" not in shared.content.decode()
        assert _tokens(built) == {first.cookies["csrftoken"].value}
        assert _tokens(shared) == {second.cookies["csrftoken"].value}
    # Anonymous visitors still get (and fill) the page cache apart from the shared content.
    assert Client().get(pages[3])[HEADER] == "miss"


def test_a_change_shows_at_once_and_messages_stay_the_visitors(pages, process, citizen):
    client = Client()
    client.force_login(citizen)
    client.get(pages[3])
    assert client.get(pages[3])[HEADER] == "content"
    factories.idea(process=process, title="Ein Brunnen im Park")
    fresh = client.get(pages[3])
    assert HEADER not in fresh and "Ein Brunnen im Park" in fresh.content.decode()
    assert client.get(pages[3])[HEADER] == "content"
    # A message waiting for this person: shown in their page around the shared content, once.
    storage, response = CookieStorage(RequestFactory().get("/")), HttpResponse()
    storage._store([Message(constants.SUCCESS, "Danke für Ihre Unterstützung!")], response)
    client.cookies[storage.cookie_name] = response.cookies[storage.cookie_name].value
    with_message = client.get(pages[3])
    assert (
        with_message[HEADER] == "content" and "Danke für Ihre Unterstützung!" in with_message.content.decode()
    )
    assert "Danke für Ihre Unterstützung!" not in client.get(pages[3]).content.decode()


def test_the_idea_page_is_never_shared(pages, process, citizen):
    idea = factories.idea(process=process)
    client = Client()
    client.force_login(citizen)
    for _ in range(2):
        assert HEADER not in client.get(idea.get_absolute_url())


def test_content_with_a_token_is_never_stored(rf, citizen):
    request = rf.get("/arnsberg/")
    request.user = citizen
    request._shared_content_key = "content:test"
    template = Template(
        "{% load page_cache %}{% shared_content %}<form>{% csrf_token %}</form>{% endshared_content %}"
    )
    html = template.render(Context({"request": request, "csrf_token": "a" * 64}))
    assert "csrfmiddlewaretoken" in html and not hasattr(request, "_shared_content_built")
    plain = Template("{% load page_cache %}{% shared_content %}<p>Für alle</p>{% endshared_content %}")
    assert plain.render(Context({"request": request})) == "<p>Für alle</p>"
    assert request._shared_content_built == "<p>Für alle</p>"


def test_an_unpublished_process_is_never_shared_with_who_may_not_see_it(process, town_a, editor_a, citizen):
    hidden = factories.process(municipality=town_a, title="Entwurf: Haushalt 2027", is_published=False)
    url = reverse("participation:process", kwargs={"town_slug": town_a.slug, "slug": hidden.slug})
    staff, other = Client(), Client()
    staff.force_login(editor_a)
    other.force_login(citizen)
    # Either order: the citizen gets a plain 404 (never the staff's content), the editor the process.
    for first, second in ((staff, other), (other, staff)):
        cache.clear()
        responses = {client: client.get(url) for client in (first, second)}
        assert (
            responses[staff].status_code == 200
            and "Entwurf: Haushalt 2027" in responses[staff].content.decode()
        )
        assert responses[other].status_code == 404
        assert "Entwurf: Haushalt 2027" not in responses[other].content.decode()
