"""Who writes and changes a lessons-learned note is decided by the knowledge services (``accounts.permissions``),
not by the pages: a refused caller gets ``PermissionDenied`` (403 on the page, never a 500)."""

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Role
from knowledge import services
from knowledge.models import LessonNote
from municipalities.scoping import scopes_disabled

pytestmark = pytest.mark.django_db

FIELDS = {"title": "Gateways früh bestellen", "body": "Lieferzeiten von sechs Monaten.", "is_public": False}


def _count() -> int:
    with scopes_disabled():
        return LessonNote.objects.count()


def test_a_note_for_a_town_is_written_by_its_editors_and_for_the_region_by_moderators(
    town_a, town_b, staff_factory, citizen, moderator
):
    editor_a = staff_factory(town_a, Role.EDITOR)
    for person, town in (
        (staff_factory(town_a, Role.VIEWER), town_a),
        (citizen, town_a),
        (staff_factory(town_b, Role.EDITOR), town_a),  # Soest's editor, for Arnsberg
        (moderator, town_a),  # a moderator writes for the region, not for a town
        (editor_a, None),
    ):  # a town's editor does not write for the region
        with pytest.raises(PermissionDenied):
            services.lesson_note_create(by=person, municipality=town, fields=FIELDS)
    assert _count() == 0
    assert services.lesson_note_create(by=editor_a, municipality=town_a, fields=FIELDS).municipality == town_a
    assert services.lesson_note_create(by=moderator, municipality=None, fields=FIELDS).municipality is None


def test_the_town_a_note_is_for_follows_who_writes_it(town_a, staff_factory, moderator):
    editor = staff_factory(town_a, Role.EDITOR)
    assert services.lesson_note_write(by=editor, in_town=town_a, fields=FIELDS).municipality == town_a
    assert services.lesson_note_write(by=moderator, in_town=town_a, fields=FIELDS).municipality is None
    with pytest.raises(PermissionDenied):
        services.lesson_note_write(by=staff_factory(town_a, Role.VIEWER), in_town=town_a, fields=FIELDS)


def test_changing_a_note_is_refused_by_the_service_and_answered_403_by_the_page(
    client, town_a, town_b, staff_factory
):
    note = services.lesson_note_create(
        by=staff_factory(town_a, Role.EDITOR), municipality=town_a, fields=FIELDS
    )
    editor_b = staff_factory(town_b, Role.EDITOR)
    with pytest.raises(PermissionDenied):
        services.lesson_note_change(note=note, by=editor_b, fields={"title": "Übernommen"})
    client.force_login(editor_b)
    url = f"/soest/verwaltung/wissen/{note.pk}/bearbeiten/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"title": "Übernommen", "body": "x"}).status_code == 403
    with scopes_disabled():
        assert LessonNote.objects.get(pk=note.pk).title == FIELDS["title"]
