"""Stored freshness and counts of processes (``Process.shown_idea_count``, ``content_version``,
``content_changed_at``), kept by the write services, and what reads them: the API's Last-Modified, the lists' page
counts and the map's cached points. Real PostgreSQL (or the configured database) and Redis."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from accounts import services as account_services
from municipalities.scoping import town_scope
from participation.models import Idea, Process
from participation.services import answers as answers_services
from participation.services import flags as flags_services
from participation.services import ideas as ideas_services
from participation.services import moderation as moderation_services
from participation.services import privacy as privacy_services
from participation.services import processes as processes_services
from participation.services import supports as supports_services
from tests import factories

pytestmark = pytest.mark.django_db


def _stored(process) -> Process:
    return Process._base_manager.get(pk=process.pk)


def _real_count(process) -> int:
    return Idea._base_manager.filter(process=process, moderation="published").count()


class Watch:
    """Checks after each write: the stored count equals the real one, and the version moved on."""

    def __init__(self, process):
        self.process = process
        self.version = _stored(process).content_version

    def changed(self):
        stored = _stored(self.process)
        assert stored.shown_idea_count == _real_count(self.process)
        assert stored.content_version > self.version, "the write did not change the stored version"
        assert stored.content_changed_at is not None
        self.version = stored.content_version
        return stored


def test_every_kind_of_write_keeps_the_stored_count_and_version(process, arnsberg, citizen, editor_a):
    watch = Watch(process)
    idea = factories.idea(process=process, title="Bänke")
    assert watch.changed().shown_idea_count == 1
    other = factories.idea(process=process, title="Bäume")
    assert watch.changed().shown_idea_count == 2
    with town_scope(arnsberg):
        comment = factories.comment(idea=idea)
        watch.changed()
        assert supports_services.support_add(idea=idea, user=citizen)
        watch.changed()
        assert supports_services.support_withdraw(idea=idea, user=citizen)
        watch.changed()
        answers_services.idea_answer(
            idea=idea, by=editor_a, acting_town=arnsberg, body="Wir prüfen das.", to=Idea.Status.UNDER_REVIEW
        )
        watch.changed()
        moderation_services.moderation_hide(target=other, by=editor_a, acting_town=arnsberg, reason="Werbung")
        assert watch.changed().shown_idea_count == 1
        moderation_services.moderation_approve(target=other, by=editor_a, acting_town=arnsberg)
        assert watch.changed().shown_idea_count == 2
        moderation_services.moderation_hide(
            target=comment, by=editor_a, acting_town=arnsberg, reason="Beleidigung"
        )
        watch.changed()
        privacy_services.privacy_edit(
            target=idea, by=editor_a, acting_town=arnsberg, reason="Name", title="Sitzbänke"
        )
        watch.changed()
        ideas_services.idea_enter_offline(
            process=process,
            by=editor_a,
            acting_town=arnsberg,
            fields={"title": "Postkarte", "body": "Mehr Licht."},
            source="Postkarte",
        )
        assert watch.changed().shown_idea_count == 3
        processes_services.process_change(
            process=process, by=editor_a, acting_town=arnsberg, fields={"summary": "Neu."}
        )
        watch.changed()


def test_reports_that_hide_an_idea_take_it_out_of_the_count(process, arnsberg):
    idea = factories.idea(process=process)
    watch = Watch(process)
    with town_scope(arnsberg):
        for _ in range(3):  # the default threshold
            flags_services.flag_submit(target=idea, reporter=factories.UserFactory(), reason="spam")
    assert watch.changed().shown_idea_count == 0


def test_pre_moderated_ideas_count_once_approved(process, arnsberg, editor_a):
    with town_scope(arnsberg):
        processes_services.settings_change(municipality=arnsberg, by=editor_a, fields={"moderation": "pre"})
    idea = factories.idea(process=process)
    assert _stored(process).shown_idea_count == 0 == _real_count(process)
    watch = Watch(process)
    with town_scope(arnsberg):
        moderation_services.moderation_approve(target=idea, by=editor_a, acting_town=arnsberg)
    assert watch.changed().shown_idea_count == 1


@pytest.mark.parametrize("keep", [True, False])
def test_account_deletion_keeps_the_stored_figures_right(process, arnsberg, keep):
    author = factories.UserFactory()
    idea = factories.idea(process=process, author=author)
    factories.idea(process=process)
    factories.comment(idea=idea, author=author)
    watch = Watch(process)
    account_services.account_delete(user=author, keep_contributions=keep)
    assert watch.changed().shown_idea_count == (2 if keep else 1)


def test_api_last_modified_follows_a_new_comment_and_answers_304_otherwise(client, process, arnsberg):
    idea = factories.idea(process=process)
    earlier = timezone.now() - datetime.timedelta(minutes=5)
    Process._base_manager.filter(pk=process.pk).update(content_changed_at=earlier)
    Process._base_manager.filter(pk=process.pk).update(updated_at=earlier)
    url = reverse("api:ideas", kwargs={"town_slug": arnsberg.slug})
    first = client.get(url)
    assert first.status_code == 200
    assert first["Last-Modified"] == http_date(int(earlier.timestamp()))
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    factories.comment(idea=idea, body="Neu")
    second = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert second.status_code == 200
    assert second["Last-Modified"] != first["Last-Modified"]
    assert second.json()["results"][0]["comment_count"] == 1


def test_api_last_modified_is_one_cheap_query(client, process, arnsberg, django_assert_max_num_queries):
    for n in range(3):
        factories.idea(process=process, title=f"Idee {n}")
    url = reverse("api:ideas", kwargs={"town_slug": arnsberg.slug})
    client.get(url)
    with django_assert_max_num_queries(9):
        assert client.get(url).status_code == 200


def test_page_counts_are_the_stored_ones_and_match_the_real_count(client, process, arnsberg, editor_a):
    ideas = [factories.idea(process=process, title=f"Idee Nummer {n}") for n in range(23)]
    with town_scope(arnsberg):
        moderation_services.moderation_hide(
            target=ideas[0], by=editor_a, acting_town=arnsberg, reason="Werbung"
        )
    real = _real_count(process)
    assert real == 22
    for url in (
        reverse("participation:ideas", kwargs={"town_slug": arnsberg.slug}),
        reverse("participation:process", kwargs={"town_slug": arnsberg.slug, "slug": process.slug}),
    ):
        text = re.sub(r"\s+", " ", client.get(url).content.decode())
        assert f"{real} Ideen gefunden" in text or f"{real} ideas found" in text, url
    api = client.get(reverse("api:ideas", kwargs={"town_slug": arnsberg.slug})).json()
    assert api["count"] == real
    assert (
        client.get(
            reverse("api:process-ideas", kwargs={"town_slug": arnsberg.slug, "slug": process.slug})
        ).json()["count"]
        == real
    )
    # A filter is counted for real.
    filtered = client.get(reverse("api:ideas", kwargs={"town_slug": arnsberg.slug}), {"q": "Nummer 1"}).json()
    assert filtered["count"] == len([i for i in ideas[1:] if "1" in i.title])


def _map_titles(client, url) -> set[str]:
    page = client.get(url).content.decode()
    places = re.search(r'<ul class="sc5-plain-list sc5-map-list">(.*?)</ul>', page, re.S)
    return set(re.findall(r'<a href="[^"]*">([^<]*)</a>', places.group(1))) if places else set()


def test_the_cached_map_follows_new_and_hidden_ideas(client, process, arnsberg, editor_a, settings):
    settings.PAGE_CACHE_SECONDS = 0  # the map's own cache, not the page's
    factories.idea(process=process, title="Brunnen", latitude="51.4", longitude="8.05")
    url = reverse("participation:process", kwargs={"town_slug": arnsberg.slug, "slug": process.slug})
    town_list = reverse("participation:ideas", kwargs={"town_slug": arnsberg.slug})
    assert _map_titles(client, url) == {"Brunnen"} == _map_titles(client, town_list)
    new = factories.idea(process=process, title="Spielplatz", latitude="51.41", longitude="8.06")
    assert _map_titles(client, url) == {"Brunnen", "Spielplatz"} == _map_titles(client, town_list)
    with town_scope(arnsberg):
        moderation_services.moderation_hide(target=new, by=editor_a, acting_town=arnsberg, reason="Werbung")
    assert _map_titles(client, url) == {"Brunnen"} == _map_titles(client, town_list)


def test_map_points_link_to_their_ideas(client, process, arnsberg, settings):
    settings.PAGE_CACHE_SECONDS = 0
    idea = factories.idea(process=process, title="Brunnen", latitude="51.4", longitude="8.05")
    page = client.get(
        reverse("participation:process", kwargs={"town_slug": arnsberg.slug, "slug": process.slug})
    )
    href = reverse("participation:idea", kwargs={"town_slug": arnsberg.slug, "pk": idea.pk})
    assert f'<a href="{href}">Brunnen</a>' in page.content.decode()
