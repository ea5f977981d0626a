"""The staff idea page's comments (issue 16, branch `pages`): those waiting for moderation first with their
moderation forms, the newest others, all of them a link away; each comment's text new right after a write."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from municipalities.scoping import town_scope
from participation.models import Comment, Moderation
from participation.services import comments as comments_services
from participation.services import flags as flags_services
from participation.services import moderation as moderation_services
from participation.services import privacy as privacy_services
from tests import factories

pytestmark = pytest.mark.django_db


def _url(municipality, idea, query=""):
    return reverse("participation:staff-idea", kwargs={"town_slug": municipality.slug, "pk": idea.pk}) + query


def _ids(html: str, heading: str) -> list[int]:
    """The comment ids of the list under ``heading`` (its id), in page order."""
    part = html.split(f'aria-labelledby="{heading}"', 1)[1].split("</ol>", 1)[0]
    return [int(pk) for pk in re.findall(r'<li id="comment-(\d+)"', part)]


@pytest.fixture
def discussed(process):
    """An idea with 30 comments an hour apart: 26 published, one waiting for pre-moderation, one hidden after
    reports, one published with an open report, one hidden by a moderator."""
    idea = factories.idea(process=process, title="Mehr Bänke am Marktplatz")
    start = timezone.now() - datetime.timedelta(days=3)
    comments = []
    for n in range(30):
        comment = factories.comment(idea=idea, body=f"Beitrag Nummer {n}")
        Comment._base_manager.filter(pk=comment.pk).update(created_at=start + datetime.timedelta(hours=n))
        comments.append(comment)
    municipality = process.municipality
    Comment._base_manager.filter(pk=comments[3].pk).update(moderation=Moderation.PENDING)
    Comment._base_manager.filter(pk=comments[5].pk).update(moderation=Moderation.REPORTED)
    with town_scope(municipality):
        flags_services.flag_submit(target=comments[8], reporter=factories.UserFactory(), reason="spam")
        moderation_services.moderation_hide(
            target=comments[29], by=None, acting_town=municipality, reason="Beleidigung"
        )
    return idea, comments


def test_waiting_comments_come_first_then_the_newest_and_all_a_link_away(
    client, arnsberg, editor_a, discussed
):
    idea, comments = discussed
    client.force_login(editor_a)
    html = client.get(_url(arnsberg, idea)).content.decode()
    waiting = [comments[3].pk, comments[5].pk, comments[8].pk]
    assert "Warten auf Moderation (3)" in html
    assert _ids(html, "comments-waiting-heading") == waiting
    # The newest 20 of the 27 others, newest first (the hidden one too: moderators see every state).
    others = [c.pk for c in comments if c.pk not in waiting]
    assert _ids(html, "comments-latest-heading") == list(reversed(others))[:20]
    assert "Die neuesten 20 von 27, neueste zuerst." in html
    assert "Von der Moderation ausgeblendet" in html  # the hidden one's badge
    link = 'href="?kommentare=alle#comments-heading"'
    assert link in html and "Alle 27 Kommentare anzeigen, älteste zuerst" in html
    # Each waiting one has its decision on the page, and it comes back to this idea; a published one with a report
    # can be kept.
    for comment in (comments[3], comments[5], comments[8]):
        action = reverse(
            "participation:staff-moderate-comment", kwargs={"town_slug": arnsberg.slug, "pk": comment.pk}
        )
        assert html.count(f'action="{action}"') == 2 and f'id="reason-comment-{comment.pk}"' in html
    assert "1 offene Meldung" in html and "Veröffentlicht lassen" in html
    # Every comment shown has its privacy link, once.
    for pk in _ids(html, "comments-waiting-heading") + _ids(html, "comments-latest-heading"):
        edit = reverse(
            "participation:staff-privacy-edit-comment", kwargs={"town_slug": arnsberg.slug, "pk": pk}
        )
        assert html.count(f'href="{edit}"') == 1

    everything = client.get(_url(arnsberg, idea, "?kommentare=alle")).content.decode()
    assert _ids(everything, "comments-waiting-heading") == waiting
    assert _ids(everything, "comments-all-heading") == others  # oldest first, every one
    assert 'href="?#comments-heading"' in everything
    for comment in comments:
        edit = reverse(
            "participation:staff-privacy-edit-comment", kwargs={"town_slug": arnsberg.slug, "pk": comment.pk}
        )
        assert everything.count(f'href="{edit}"') == 1


def test_all_comments_are_paged(client, arnsberg, editor_a, discussed, monkeypatch):
    idea, _comments = discussed
    monkeypatch.setattr("participation.selectors.idea_page.STAFF_COMMENTS_PER_PAGE", 10)
    client.force_login(editor_a)
    seen = []
    for page in (1, 2, 3):
        html = client.get(_url(arnsberg, idea, f"?kommentare=alle&page={page}")).content.decode()
        seen += _ids(html, "comments-all-heading")
        assert f"Seite {page} von 3" in html
    assert len(seen) == 27 and len(set(seen)) == 27
    assert (
        'href="?kommentare=alle&amp;page=2#comments-heading" rel="next"'
        in client.get(_url(arnsberg, idea, "?kommentare=alle")).content.decode()
    )


def test_a_decision_from_the_page_and_an_edit_show_at_once(client, arnsberg, editor_a, discussed):
    idea, comments = discussed
    client.force_login(editor_a)
    client.get(_url(arnsberg, idea))  # the fragments are kept
    action = reverse(
        "participation:staff-moderate-comment", kwargs={"town_slug": arnsberg.slug, "pk": comments[3].pk}
    )
    response = client.post(action, {"action": "approve", "next": "idea"})
    assert response.status_code == 302 and response["Location"] == _url(arnsberg, idea)
    html = client.get(_url(arnsberg, idea)).content.decode()
    assert "Warten auf Moderation (2)" in html and comments[3].pk not in _ids(
        html, "comments-waiting-heading"
    )

    newest = comments[28]
    with town_scope(arnsberg):
        privacy_services.privacy_edit(
            target=newest,
            by=editor_a,
            acting_town=arnsberg,
            reason="Name entfernt",
            body="Beitrag ohne Namen",
        )
    html = client.get(_url(arnsberg, idea)).content.decode()
    assert "Beitrag ohne Namen" in html and "Beitrag Nummer 28" not in html

    hide = reverse(
        "participation:staff-moderate-comment", kwargs={"town_slug": arnsberg.slug, "pk": comments[8].pk}
    )
    client.post(hide, {"action": "hide", "reason": "Werbung", "next": "idea"})
    html = client.get(_url(arnsberg, idea)).content.decode()
    assert "Warten auf Moderation (1)" in html and _ids(html, "comments-waiting-heading") == [comments[5].pk]


def test_viewers_see_the_comments_without_moderation(client, arnsberg, viewer_a, discussed):
    idea, comments = discussed
    client.force_login(viewer_a)
    html = client.get(_url(arnsberg, idea)).content.decode()
    assert _ids(html, "comments-waiting-heading") == [comments[3].pk, comments[5].pk, comments[8].pk]
    assert "reason-comment-" not in html and "Text aus Datenschutzgründen bearbeiten" not in html
    assert "/moderation/kommentare/" not in html


def test_the_page_reads_the_same_number_of_queries_for_3_and_300_comments(
    client, arnsberg, editor_a, process, django_assert_max_num_queries
):
    small = factories.idea(process=process, title="Wenig besprochen")
    for n in range(3):
        factories.comment(idea=small, body=f"Kurz {n}")
    large = factories.idea(process=process, title="Viel besprochen")
    author = factories.UserFactory()
    with town_scope(arnsberg):
        for n in range(300):
            comments_services.comment_post(idea=large, author=author, body=f"Lang {n}")
    client.force_login(editor_a)
    client.get(_url(arnsberg, small))
    with django_assert_max_num_queries(26) as small_queries:
        client.get(_url(arnsberg, small))
    with django_assert_max_num_queries(len(small_queries) + 1):  # + the count of the comments left out
        html = client.get(_url(arnsberg, large)).content.decode()
    assert len(_ids(html, "comments-latest-heading")) == 20 and "Alle 300 Kommentare anzeigen" in html
