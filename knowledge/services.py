"""Writes of the knowledge app: lessons-learned notes."""

from django.db import transaction

from municipalities.models import Municipality
from projects.models import FieldOfAction, Project, Tag

from .models import LessonNote

NOTE_FIELDS = ("title", "body", "is_public")


@transaction.atomic
def lesson_note_create(*, by, municipality: Municipality | None, fields: dict, project: Project | None = None,
                       fields_of_action=(), tags: list[Tag] = ()) -> LessonNote:
    """A new note of ``municipality`` (written by its staff), or of the Agentur when ``municipality`` is None."""
    note = LessonNote(municipality=municipality, author=by, updated_by=by, project=project,
                      **{name: fields[name] for name in NOTE_FIELDS if name in fields})
    note.full_clean(exclude=["municipality", "project", "author", "updated_by"])
    note.save()
    note.fields_of_action.set(fields_of_action)
    note.tags.set(tags)
    return note


@transaction.atomic
def lesson_note_change(*, note: LessonNote, by, fields: dict, project: Project | None = None,
                       fields_of_action: list[FieldOfAction] | None = None, tags: list[Tag] | None = None
                       ) -> LessonNote:
    """Change a note; the town that wrote it and its author stay, ``updated_by`` records who changed it."""
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
