"""Fragments kept per worker (smartcity5.fragments) on the idea page and in idea lists: they follow every change of
what they show, and never carry one visitor's state (reports, own comments, CSRF token, may write for the town) to
another, with the anonymous page cache on."""

import re

import pytest
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]  # private, not in django-stubs
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.services import account_delete
from municipalities.scoping import town_scope
from participation.models import Idea
from participation.services import comments as comments_services
from participation.services import flags as flags_services
from participation.services import moderation as moderation_services
from participation.services import supports as supports_services
from smartcity5 import fragments
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _caches_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def _comment(page: str, comment) -> str:
    """The comment's own article on the page (replies are articles of their own)."""
    start = page.index(f'id="comment-{comment.pk}"')
    return page[start : page.index("</article>", start)]


def test_a_comment_follows_its_author_and_moderation(client, process, arnsberg, editor_a):
    idea = factories.idea(process=process)
    author = factories.UserFactory(display_name="Erika Muster")
    comment = factories.comment(idea=idea, author=author, body="Gute **Idee**")
    # Signed in: the page is built every time (the anonymous page cache shows a new name within its lifetime).
    client.force_login(factories.UserFactory())
    page = _text(client.get(idea.get_absolute_url()))
    assert "Erika Muster" in _comment(page, comment) and "<strong>Idee</strong>" in page

    author.display_name = "Erika M."
    author.save()
    page = _text(client.get(idea.get_absolute_url()))
    assert "Erika M.</strong>" in _comment(page, comment) and "Erika Muster" not in page

    account_delete(user=author, keep_contributions=True)
    page = _text(client.get(idea.get_absolute_url()))
    assert "Gelöschtes Konto" in _comment(page, comment)

    with town_scope(arnsberg):
        moderation_services.moderation_act(
            target=comment, action="hide", by=editor_a, acting_town=arnsberg, reason="Test"
        )
    assert "Gute <strong>Idee</strong>" not in _text(client.get(idea.get_absolute_url()))


def test_languages_and_time_zones_get_their_own_fragments(client, process):
    idea = factories.idea(process=process)
    comment = factories.comment(idea=idea, body="Ja")
    with town_scope(process.municipality):
        comments_services.comment_post(
            idea=idea, author=factories.UserFactory(), body="Nein", official_for=None, parent=comment
        )
    german = _text(client.get(idea.get_absolute_url()))
    client.cookies["django_language"] = "en"
    english = _text(client.get(idea.get_absolute_url()))
    assert "2 Kommentare" in german and "2 comments" in english
    stamp = comment.created_at
    values = {"pk": 1, "official": True, "by": "A", "town": "Arnsberg", "created_at": stamp, "body": "x"}
    with translation.override("en"):
        english = fragments.render("participation/_comment.html", **values)
    with translation.override("de"):
        german = fragments.render("participation/_comment.html", **values)
    assert "A for Arnsberg" in english and "A für Arnsberg" in german


def test_two_people_never_see_each_others_state(process, arnsberg, editor_a):
    idea = factories.idea(process=process)
    erika, max_ = factories.UserFactory(display_name="Erika"), factories.UserFactory(display_name="Max")
    hers = factories.comment(idea=idea, author=erika, body="Von Erika")
    theirs = factories.comment(idea=idea, body="Von jemand anderem")
    with town_scope(arnsberg):
        flags_services.flag_submit(target=theirs, reporter=erika, reason="spam")
        supports_services.support_add(idea=idea, user=erika)
    report_hers = reverse("participation:comment-flag", kwargs={"town_slug": arnsberg.slug, "pk": hers.pk})
    report_theirs = reverse(
        "participation:comment-flag", kwargs={"town_slug": arnsberg.slug, "pk": theirs.pk}
    )
    visitors = {name: Client() for name in ("erika", "max", "editor", "anonymous")}
    visitors["erika"].force_login(erika)
    visitors["max"].force_login(max_)
    visitors["editor"].force_login(editor_a)
    # Each asks twice, in turns, so that every page after the first one is built from kept fragments.
    pages = {}
    for _ in range(2):
        for name, client in visitors.items():
            response = client.get(idea.get_absolute_url())
            pages[name] = _text(response)
            token = client.cookies.get("csrftoken")
            if name != "anonymous":
                forms = re.findall(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"', pages[name])
                assert forms and {_unmask_cipher_token(t) for t in forms} == {token.value}

    erika_page, max_page = pages["erika"], pages["max"]
    # Erika: her own comment has no report link, the one she reported says so; she supports the idea.
    assert report_hers not in erika_page and report_theirs not in erika_page
    assert "Sie haben diesen Kommentar gemeldet." in _comment(erika_page, theirs)
    assert 'value="withdraw"' in erika_page
    # Max: may report both, has reported nothing, does not support.
    assert report_hers in max_page and report_theirs in max_page
    # The link says what it does, in German (the flag's rename had put the model's name into its text).
    assert f'<a href="{report_hers}">Kommentar melden</a>' in max_page
    assert "Sie haben diesen Kommentar gemeldet." not in max_page
    assert 'value="support"' in max_page and 'value="withdraw"' not in max_page
    # Only the editor may write for the town, in the new comment's form and in each reply form.
    assert pages["editor"].count('name="official"') == 3
    assert 'name="official"' not in erika_page and 'name="official"' not in max_page
    # Anonymous visitors: no report links, no reply forms, no token of anyone else.
    assert report_hers not in pages["anonymous"] and 'name="parent"' not in pages["anonymous"]


def test_idea_cards_follow_counts_status_and_names(client, process, arnsberg, settings):
    # Without the page cache (whose shared content shows a new name or a title changed outside the services
    # within its lifetime): every list is built, from the kept cards.
    settings.PAGE_CACHE_SECONDS = 0
    author = factories.UserFactory(display_name="Ideengeberin")
    idea = factories.idea(process=process, author=author, title="Bänke am Markt")
    url = reverse("participation:ideas", kwargs={"town_slug": arnsberg.slug})
    citizen = factories.UserFactory()
    client.force_login(citizen)
    page = _text(client.get(url))
    assert "Ideengeberin" in page and "0 Unterstützungen" in page
    with town_scope(arnsberg):
        supports_services.support_add(idea=idea, user=citizen)
        factories.comment(idea=idea)
    page = _text(client.get(url))
    assert "1 Unterstützung " in page and "1 Kommentar" in page
    author.display_name = "Frau Beispiel"
    author.save()
    Idea.objects.with_scopes_disabled().filter(pk=idea.pk).update(title="Bänke am Rathaus")
    page = _text(client.get(url))
    assert "Frau Beispiel" in page and "Bänke am Rathaus" in page and "Bänke am Markt" not in page
    process_page = _text(client.get(process.get_absolute_url()))
    assert "Bänke am Rathaus" in process_page


def test_a_fragment_is_rendered_from_plain_values_only(process):
    idea = factories.idea(process=process)
    with pytest.raises(TypeError, match="plain value"):
        fragments.render("participation/_idea_card.html", idea=idea)


def test_filter_fields_are_the_form_as_rendered_and_follow_its_choices(process, arnsberg):
    from django.template import Context, Template

    from participation.forms import IdeaFilterForm

    kept = Template("{% filter_fields form %}")
    built = Template("{% for field in form.visible_fields %}{{ field.as_field_group }}{% endfor %}")
    with town_scope(arnsberg):
        for data in (
            None,
            {"sort": "supported"},
            {"q": "<b>Bank", "status": "unknown"},
            {"process": process.slug},
        ):
            expected = built.render(Context({"form": IdeaFilterForm(data)}))
            for _ in range(2):
                assert kept.render(Context({"form": IdeaFilterForm(data)})) == expected
        assert "Radwege in der Innenstadt" not in kept.render(Context({"form": IdeaFilterForm(None)}))
        factories.process(municipality=arnsberg, title="Radwege in der Innenstadt")
        assert "Radwege in der Innenstadt" in kept.render(Context({"form": IdeaFilterForm(None)}))
