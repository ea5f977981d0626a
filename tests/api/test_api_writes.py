"""Writes through the API: the same forms, services, rules and rate limits as the pages; bad input is a 400 with
field errors, and nothing of another town is reachable."""

import io
import json
import time

import pytest
from django.urls import reverse

from accounts.models import Role
from municipalities.scoping import scopes_disabled, town_scope
from participation.models import Comment, Idea, Moderation, Support
from tests import factories

pytestmark = pytest.mark.django_db


def _url(name, municipality, **kwargs):
    return reverse(f"api:{name}", kwargs={"town_slug": municipality.slug, **kwargs})


def _post(client, url, data=None, method="post"):
    return getattr(client, method)(url, data=json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def process_a(town_a, catalogue):
    return factories.process(municipality=town_a)


def test_a_citizen_submits_an_idea_and_bad_input_is_a_400(client, town_a, process_a, citizen):
    url = _url("process-ideas", town_a, slug=process_a.slug)
    idea = {"title": "Mehr Bänke am Neheimer Markt", "body": "Zum Ausruhen.", "consent": True}
    assert _post(client, url, idea).status_code == 401
    client.force_login(citizen)
    response = _post(client, url, {**idea, "consent": False})
    assert response.status_code == 400 and "consent" in response.json()
    response = _post(client, url, {**idea, "title": ""})
    assert response.status_code == 400 and "title" in response.json()
    assert _post(client, url, ["not", "an", "object"]).status_code == 400
    response = _post(client, url, idea)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["title"] == idea["title"] and body["moderation"] == "published"
    assert body["author_name"] == citizen.display_name and "email" not in json.dumps(body)
    with town_scope(town_a):
        assert Idea.objects.get(pk=body["id"]).author == citizen
    listed = client.get(url).json()
    assert [i["id"] for i in listed["results"]] == [body["id"]]


def test_an_idea_with_an_image_is_sent_as_multipart(client, town_a, process_a, citizen):
    from PIL import Image

    url = _url("process-ideas", town_a, slug=process_a.slug)
    client.force_login(citizen)

    def photo():
        buffer = io.BytesIO()
        exif = Image.Exif()
        exif[0x010F] = "GeheimKamera"  # the camera's make: metadata that must not be published
        Image.new("RGB", (60, 40), "red").save(buffer, format="JPEG", exif=exif)
        buffer.seek(0)
        buffer.name = "IMG_2041 Familie Müller.jpg"
        return buffer

    idea = {"title": "Trinkbrunnen am Markt", "body": "Im Sommer wäre das eine Hilfe.", "consent": "true"}
    # Multipart goes through the same form: an image needs its description, a fake image is refused.
    refused = client.post(url, {**idea, "image_upload": photo()})
    assert refused.status_code == 400 and "image_alt" in refused.json()
    fake = io.BytesIO(b"<?php echo 1; ?>")
    fake.name = "bild.png"
    refused = client.post(url, {**idea, "image_upload": fake, "image_alt": "x"})
    assert refused.status_code == 400 and "image_upload" in refused.json()
    with scopes_disabled():
        assert not Idea.objects.exists()

    response = client.post(url, {**idea, "image_upload": photo(), "image_alt": "Ein roter Platz"})
    assert response.status_code == 201, response.json()
    image = response.json()["image"]
    assert image["alt"] == "Ein roter Platz" and image["url"].startswith("http://testserver/arnsberg/ideen/")
    served = b"".join(client.get(image["url"]).streaming_content)
    assert served[:2] == b"\xff\xd8" and b"GeheimKamera" not in served
    with scopes_disabled():
        assert "Müller" not in Idea.objects.get().image.name
    # The lists show the image too; an idea without one has null.
    factories.idea(process=process_a, title="Ohne Bild")
    listed = {i["title"]: i["image"] for i in client.get(url).json()["results"]}
    assert listed["Ohne Bild"] is None and listed["Trinkbrunnen am Markt"]["url"] == image["url"]
    # JSON stays the default: another media type is refused with 415.
    assert client.post(url, data="title=x", content_type="text/plain").status_code == 415


def test_comments_replies_and_their_list(client, town_a, process_a, citizen):
    idea = factories.idea(process=process_a)
    url = _url("idea-comments", town_a, pk=idea.pk)
    client.force_login(citizen)
    first = _post(client, url, {"body": "Gute Idee."})
    assert first.status_code == 201
    reply = _post(client, url, {"body": "Finde ich auch.", "parent": first.json()["id"]})
    assert reply.status_code == 201 and reply.json()["parent"] == first.json()["id"]
    assert (
        _post(client, url, {"body": "Antwort auf Antwort", "parent": reply.json()["id"]}).status_code == 400
    )
    assert _post(client, url, {"body": ""}).status_code == 400
    # Writing "for the town" is for editors of the process's towns only.
    assert _post(client, url, {"body": "Amtlich", "official": True}).status_code == 403
    comments = client.get(url).json()["results"]
    assert [c["body"] for c in comments] == ["Gute Idee."]
    assert [r["body"] for r in comments[0]["replies"]] == ["Finde ich auch."]


def test_support_is_given_withdrawn_and_counted(client, town_a, process_a, citizen):
    idea = factories.idea(process=process_a)
    url = _url("idea-support", town_a, pk=idea.pk)
    assert _post(client, url, method="put").status_code == 401
    client.force_login(citizen)
    assert _post(client, url, method="put").json() == {"supported": True, "support_count": 1}
    assert _post(client, url, method="put").json() == {"supported": True, "support_count": 1}  # idempotent
    assert client.get(url).json()["supported"] is True
    assert _post(client, url, method="delete").json() == {"supported": False, "support_count": 0}
    with town_scope(town_a):
        assert not Support.objects.filter(idea=idea).exists()


def test_reports_reach_the_moderation_queue_and_moderators_act(client, town_a, process_a, citizen, moderator):
    idea = factories.idea(process=process_a, title="Unsinn")
    comment = factories.comment(idea=idea)
    client.force_login(citizen)
    assert _post(client, _url("idea-report", town_a, pk=idea.pk), {"reason": "erfunden"}).status_code == 400
    assert _post(client, _url("idea-report", town_a, pk=idea.pk), {"reason": "spam"}).status_code == 202
    assert _post(client, _url("comment-report", town_a, pk=comment.pk), {"reason": "spam"}).status_code == 202
    # A citizen is not a moderator; the town's viewer is staff without the role.
    assert client.get(_url("moderation", town_a)).status_code == 404
    viewer = factories.staff_member(municipality=town_a, role=Role.VIEWER, email="api-mod-viewer@example.org")
    client.force_login(viewer)
    assert client.get(_url("moderation", town_a)).status_code == 403
    client.force_login(moderator)
    queue = client.get(_url("moderation", town_a)).json()["results"]
    assert {(item["kind"], item["id"]) for item in queue} == {("idea", idea.pk), ("comment", comment.pk)}
    url = _url("moderate-idea", town_a, pk=idea.pk)
    assert _post(client, url, {"action": "hide"}).status_code == 400  # a reason is required
    assert _post(client, url, {"action": "explode"}).status_code == 400
    response = _post(client, url, {"action": "hide", "reason": "Kein Beitrag zum Thema."})
    assert response.json() == {"id": idea.pk, "moderation": Moderation.HIDDEN}
    assert (
        _post(client, _url("moderate-comment", town_a, pk=comment.pk), {"action": "approve"}).status_code
        == 200
    )
    assert (
        _post(client, _url("moderate-comment", town_a, pk=comment.pk), {"action": "retitle"}).status_code
        == 400
    )
    assert client.get(_url("idea", town_a, pk=idea.pk)).status_code == 404


def test_official_answers_are_for_editors_of_the_towns(client, town_a, town_b, process_a, editor_a):
    idea = factories.idea(process=process_a)
    url = _url("idea-answers", town_a, pk=idea.pk)
    viewer = factories.staff_member(
        municipality=town_a, role=Role.VIEWER, email="api-answer-viewer@example.org"
    )
    client.force_login(viewer)
    assert _post(client, url, {"to": "accepted", "body": "Ja"}).status_code == 403
    client.force_login(
        factories.staff_member(municipality=town_b, role=Role.ADMIN, email="api-answer-b@example.org")
    )
    assert _post(client, url, {"to": "accepted", "body": "Ja"}).status_code == 404
    client.force_login(editor_a)
    response = _post(client, url, {"to": "rejected"})
    assert response.status_code == 400 and "body" in response.json()
    response = _post(client, url, {"to": idea.status, "body": "Wir prüfen das."})
    assert response.status_code == 201 and response.json()["body"] == "Wir prüfen das."


def test_no_write_reaches_another_towns_idea(client, town_a, town_b, catalogue, citizen):
    idea_b = factories.idea(process=factories.process(municipality=town_b))
    client.force_login(citizen)
    for name, method in (("idea-comments", "post"), ("idea-support", "put"), ("idea-report", "post")):
        response = _post(
            client, _url(name, town_a, pk=idea_b.pk), {"body": "x", "reason": "spam"}, method=method
        )
        assert response.status_code == 404, name
    with scopes_disabled():
        assert not Comment.objects.filter(idea=idea_b).exists()


def test_write_rate_limits_answer_429_with_retry_after(client, town_a, process_a, citizen, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": [(2, 600, "user")]}
    idea = factories.idea(process=process_a)
    client.force_login(citizen)
    url = _url("idea-comments", town_a, pk=idea.pk)
    assert [_post(client, url, {"body": f"Nr. {n}"}).status_code for n in range(2)] == [201, 201]
    response = _post(client, url, {"body": "Zu viel"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_session_writes_need_the_csrf_token(town_a, process_a, citizen):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen)
    idea = factories.idea(process=process_a)
    response = _post(client, _url("idea-comments", town_a, pk=idea.pk), {"body": "Ohne Token"})
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_own_notifications(client, town_a, citizen, editor_a):
    from notifications.services import notify

    with town_scope(town_a):
        notify(
            municipality=town_a, recipients=[citizen], kind="idea.status", key="api-test-1", title="Antwort"
        )
        notify(
            municipality=town_a, recipients=[editor_a], kind="idea.status", key="api-test-2", title="Andere"
        )
    url = reverse("api:notifications")
    assert client.get(url).status_code == 401
    client.force_login(citizen)
    items = client.get(url).json()["results"]
    assert [n["title"] for n in items] == ["Antwort"] and items[0]["is_read"] is False
    other = client.get(url, {"unread": "true"}).json()["count"]
    assert other == 1
    with scopes_disabled():
        from notifications.models import Notification

        foreign = Notification.objects.get(key="api-test-2")
    assert client.post(reverse("api:notification-read", kwargs={"pk": foreign.pk})).status_code == 404
    assert (
        client.post(reverse("api:notification-read", kwargs={"pk": items[0]["id"]})).json()["is_read"] is True
    )
    assert client.post(reverse("api:notifications-read-all")).json() == {"marked": 0}


def test_public_lists_answer_conditional_gets(client, town_a, process_a):
    factories.project(municipality=town_a, title="Bedingt")
    factories.idea(process=process_a)
    for name in ("projects", "ideas", "processes"):
        url = _url(name, town_a)
        first = client.get(url)
        assert first.status_code == 200 and first["ETag"], name
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304, name
        if name != "processes":
            assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304, name
    url = _url("projects", town_a)
    etag = client.get(url)["ETag"]
    factories.project(municipality=town_a, title="Neu dazu")
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_withdrawn_support_moves_last_modified_of_the_idea_list(client, town_a, process_a, citizen):
    from participation.services import supports as supports_services

    idea = factories.idea(process=process_a)
    url = _url("ideas", town_a)
    with town_scope(town_a):
        supports_services.support_add(idea=idea, user=citizen)
    supported = client.get(url)
    time.sleep(1.1)  # Last-Modified has a resolution of one second
    with town_scope(town_a):
        assert supports_services.support_withdraw(idea=idea, user=citizen)
    # The support leaves no row behind; the recount dates the change.
    withdrawn = client.get(url, HTTP_IF_MODIFIED_SINCE=supported["Last-Modified"])
    assert withdrawn.status_code == 200 and withdrawn["Last-Modified"] != supported["Last-Modified"]
    assert withdrawn.json()["results"][0]["support_count"] == 0


def test_the_docs_page_loads_its_assets_from_our_host(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()


def test_the_agentur_overview_is_for_moderators_and_audited(
    client, town_a, town_b, citizen, moderator, viewer_a
):
    from municipalities.models import AuditEntry

    factories.project(municipality=town_a)
    url = reverse("api:agentur-towns")
    assert client.get(url).status_code == 401
    for user in (citizen, viewer_a):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(factories.UserFactory(email="api-mod-nomfa@example.org", is_agentur_moderator=True))
    assert client.get(url).status_code == 403
    client.force_login(moderator)
    body = client.get(url).json()
    assert [t["town"] for t in body["towns"]] == ["arnsberg", "soest"]
    from projects.models import Project

    assert sum(body["towns"][0]["figures"][f"projects_{status}"] for status in Project.Status.values) == 1
    assert set(body["figures"]) == set(body["towns"][0]["figures"])
    with scopes_disabled():
        assert AuditEntry.objects.filter(user=moderator, purpose="agentur:towns-overview").count() == 1
