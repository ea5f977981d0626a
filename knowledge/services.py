"""Writes of the knowledge app: lessons-learned notes. Each checks who may write (``accounts.permissions``;
``by=None`` is the portal: demo data, commands) and refuses others with ``PermissionDenied`` (403)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import permissions
from municipalities.models import Municipality
from projects.models import FieldOfAction, Project, Tag

from .models import LessonNote

if TYPE_CHECKING:
    from accounts.models import User

NOTE_FIELDS = ("title", "body", "is_public")


@transaction.atomic
def lesson_note_create(
    *,
    by: User,
    municipality: Municipality | None,
    fields: dict[str, Any],
    project: Project | None = None,
    fields_of_action: Iterable[FieldOfAction] = (),
    tags: Iterable[Tag] = (),
) -> LessonNote:
    """A new note of ``municipality`` (written by its editors), or of the Agentur when ``municipality`` is None
    (written by a moderator)."""
    permissions.require(
        by is None or permissions.can_write_lesson_note(by, municipality),
        _("Only the town's editors write notes for the town, and the Agentur for the region."),
    )
    note = LessonNote(
        municipality=municipality,
        author=by,
        updated_by=by,
        project=project,
        **{name: fields[name] for name in NOTE_FIELDS if name in fields},
    )
    note.full_clean(exclude=["municipality", "project", "author", "updated_by"])
    note.save()
    note.fields_of_action.set(fields_of_action)
    note.tags.set(tags)
    return note


def lesson_note_write(
    *,
    by: User,
    in_town: Municipality,
    fields: dict[str, Any],
    project: Project | None = None,
    fields_of_action: Iterable[FieldOfAction] = (),
    tags: Iterable[Tag] = (),
) -> LessonNote:
    """A note written in ``in_town``'s staff area: for the town when its editor writes it, for the region when a
    moderator who is not among its editors does (``permissions.lesson_note_town``)."""
    return lesson_note_create(
        by=by,
        municipality=permissions.lesson_note_town(by, in_town),
        fields=fields,
        project=project,
        fields_of_action=fields_of_action,
        tags=tags,
    )


def lesson_note_for_change(*, note: LessonNote, by: User) -> LessonNote:
    """``note`` if ``by`` may change it (its author, editors of the town that wrote it, moderators), else
    ``PermissionDenied``: asked by the edit page before it shows the form, and by :func:`lesson_note_change`."""
    permissions.require(
        by is None or permissions.can_edit_lesson_note(by, note),
        _("Only the author, editors of the town that wrote it and the Agentur may change this note."),
    )
    return note


@transaction.atomic
def lesson_note_change(
    *,
    note: LessonNote,
    by: User,
    fields: dict[str, Any],
    project: Project | None = None,
    fields_of_action: list[FieldOfAction] | None = None,
    tags: list[Tag] | None = None,
) -> LessonNote:
    """Change a note; the town that wrote it and its author stay, ``updated_by`` records who changed it."""
    lesson_note_for_change(note=note, by=by)
    for name in NOTE_FIELDS:
        if name in fields:
            setattr(note, name, fields[name])
    note.project = project
    note.updated_by = by
    note.full_clean(exclude=["municipality", "project", "author", "updated_by"])
    note.save()
    if fields_of_action is not None:
        note.fields_of_action.set(fields_of_action)
    if tags is not None:
        note.tags.set(tags)
    return note
