"""Public town pages, the accessibility feedback channel and the staff inbox."""

import pytest
from django.core import mail

from municipalities.models import AccessibilityFeedback
from tests import factories

pytestmark = pytest.mark.django_db


def _feedback(municipality):
    return list(AccessibilityFeedback.objects.with_scope(municipality=municipality.pk).all())


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/impressum/",
        "/datenschutz/",
        "/barrierefreiheit/",
        "/arnsberg/",
        "/arnsberg/impressum/",
        "/arnsberg/datenschutz/",
        "/arnsberg/barrierefreiheit/",
    ],
)
def test_public_pages_render_with_legal_links(client, town_a, path):
    response = client.get(path)
    assert response.status_code == 200
    for link in ("impressum/", "datenschutz/", "barrierefreiheit/"):
        assert link in response.text


def test_town_pages_carry_the_town_brand(client, town_a, town_b):
    response = client.get("/soest/")
    assert f".sc5{{--sc5-brand:{town_b.brand_colour}}}" in response.text  # in base.html's nonce'd <style>
    assert town_b.official_name in response.text


def test_feedback_is_stored_and_mailed_to_the_town(
    client, town_a, town_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/arnsberg/barrierefreiheit/",
            {
                "message": "Das Formular ist mit der Tastatur nicht erreichbar.",
                "page_url": "/arnsberg/",
                "email": "hinweis@example.org",
            },
        )
    assert response.status_code == 302
    [item] = _feedback(town_a)
    assert item.email == "hinweis@example.org"
    assert item.forwarded_at is not None
    assert _feedback(town_b) == []
    [message] = mail.outbox
    assert message.to == [town_a.accessibility_contact_email]
    assert "Tastatur" in message.body


def test_invalid_feedback_keeps_the_input_and_explains(client, town_a):
    response = client.post(
        "/arnsberg/barrierefreiheit/", {"message": "", "email": "kein-mail", "page_url": "/arnsberg/karte/"}
    )
    assert response.status_code == 200
    assert {"message", "email"} <= set(response.context["form"].errors)
    assert 'value="/arnsberg/karte/"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert _feedback(town_a) == []


def test_feedback_honeypot(client, town_a):
    client.post("/arnsberg/barrierefreiheit/", {"message": "Spam", "homepage": "x"})
    assert _feedback(town_a) == []


def test_inbox_lists_and_filters_with_bounded_queries(
    client, town_a, viewer_a, django_assert_max_num_queries
):
    for i in range(30):
        factories.feedback(municipality=town_a, message=f"Meldung {i}")
    client.force_login(viewer_a)
    with django_assert_max_num_queries(12):
        response = client.get("/arnsberg/verwaltung/barrierefreiheit/?status=new")
    assert response.status_code == 200
    assert response.text.count("Meldung ") == 25  # first page
    assert "Seite 1 von 2" in response.text or "Page 1 of 2" in response.text


def test_viewer_reads_but_cannot_mark_handled(client, town_a, viewer_a, editor_a):
    item = factories.feedback(municipality=town_a)
    client.force_login(viewer_a)
    assert client.post(f"/arnsberg/verwaltung/barrierefreiheit/{item.pk}/erledigt/").status_code == 403
    client.force_login(editor_a)
    assert client.post(f"/arnsberg/verwaltung/barrierefreiheit/{item.pk}/erledigt/").status_code == 302
    [item] = _feedback(town_a)
    assert item.status == "handled" and item.handled_by == editor_a


def test_staff_link_only_for_people_who_may_use_it(client, town_a, town_b, viewer_a, citizen):
    assert "/arnsberg/verwaltung/" not in client.get("/arnsberg/").text
    client.force_login(citizen)
    assert "/arnsberg/verwaltung/" not in client.get("/arnsberg/").text
    client.force_login(viewer_a)
    assert "/arnsberg/verwaltung/" in client.get("/arnsberg/").text
    assert "/soest/verwaltung/" not in client.get("/soest/").text
