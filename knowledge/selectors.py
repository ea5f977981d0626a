"""Reads of the knowledge app: lessons-learned notes of all towns, for staff and (public notes) for everyone.

Notes are written *for the staff of every town*: the author knows, and the form says, that all towns' staff
and the Agentur read them. So a note list spans all active towns without an audit entry
(:func:`shared_knowledge_scope`), which is not a cross-town read of one town's internal data. It is the one
scope of this kind and reads ``LessonNote`` rows only; a linked project is shown through
:func:`visible_project`, so an internal project of another town never leaks through a note.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django_scopes import scope

from accounts import permissions
from municipalities.models import Municipality
from projects.models import Project

from .models import LessonNote

if TYPE_CHECKING:
    from accounts.permissions import AnyUser

AGENTUR = "agentur"  # the town filter's value for the Agentur's own notes


@contextmanager
def shared_knowledge_scope() -> Iterator[None]:
    """All active towns (and the Agentur's notes), without an audit entry: for LessonNote reads only."""
    towns = list(Municipality.objects.active().values_list("pk", flat=True))
    with scope(municipality=towns):
        yield


@dataclass(frozen=True)
class NoteFilters:
    q: str = ""
    tag: str = ""  # Tag.slug
    field: str = ""  # FieldOfAction.slug
    town: str = ""  # Municipality.slug, or AGENTUR


def _notes(filters: NoteFilters, *, public_only: bool) -> QuerySet[LessonNote]:
    qs = LessonNote.objects.all()
    if public_only:
        qs = qs.filter(is_public=True)
    if filters.q:
        for word in filters.q.split()[:8]:
            qs = qs.filter(Q(title__icontains=word) | Q(body__icontains=word))
    if filters.tag:
        qs = qs.filter(
            pk__in=LessonNote.tags.through.objects.filter(tag__slug=filters.tag).values("lessonnote")
        )
    if filters.field:
        qs = qs.filter(
            pk__in=LessonNote.fields_of_action.through.objects.filter(
                fieldofaction__slug=filters.field
            ).values("lessonnote")
        )
    if filters.town == AGENTUR:
        qs = qs.filter(municipality__isnull=True)
    elif filters.town:
        qs = qs.filter(municipality__slug=filters.town)
    return (
        qs.select_related("municipality", "author", "updated_by", "project__municipality")
        .prefetch_related("tags", "fields_of_action", "project__partner_towns")
        .order_by("-updated_at", "-pk")
    )


def note_page(
    *,
    filters: NoteFilters = NoteFilters(),
    page: str | int | None = None,
    per_page: int = 20,
    public_only: bool = False,
) -> Page[LessonNote]:
    """One page of notes of all towns, newest change first; ``object_list`` is evaluated (a list)."""
    with shared_knowledge_scope():
        page_obj = Paginator(_notes(filters, public_only=public_only), per_page).get_page(page)
        page_obj.object_list = list(page_obj.object_list)
    return page_obj


def note_get(*, pk: int, public_only: bool = False) -> LessonNote:
    """One note of any town; raises ``LessonNote.DoesNotExist``."""
    with shared_knowledge_scope():
        return _notes(NoteFilters(), public_only=public_only).get(pk=pk)


def notes_for_project(*, project: Project, public_only: bool = False, limit: int = 10) -> list[LessonNote]:
    """Notes about one project, newest change first, for the project's pages: every note on the staff page (all
    towns' staff read all notes), the public ones on the public page. Two queries (the towns, the notes)."""
    with shared_knowledge_scope():
        qs = LessonNote.objects.filter(project=project)
        if public_only:
            qs = qs.filter(is_public=True)
        return list(qs.select_related("municipality").order_by("-updated_at", "-pk")[:limit])


def visible_project(note: LessonNote, user: AnyUser, *, public_page: bool = False) -> Project | None:
    """The note's project if the reader may see it: public, or (staff pages) internal and theirs to see."""
    project = note.project
    if project is None:
        return None
    if project.visibility == Project.Visibility.PUBLIC:
        return project
    if not public_page and permissions.can_view_internal_project(user, project):
        return project
    return None


def project_choices(*, user: AnyUser, municipality: Municipality) -> dict[int, Project]:
    """Projects a note written in ``municipality``'s staff area may link to: the town's own and joint projects
    (internal ones too) for its staff, the public projects of all towns for moderators from elsewhere."""
    if permissions.membership_for(user, municipality) is not None:
        qs = Project.objects.all()  # the request's town scope
    else:
        from municipalities.scoping import public_region_scope

        with public_region_scope():
            return {
                p.pk: p for p in Project.objects.public().select_related("municipality").order_by("title")
            }
    return {p.pk: p for p in qs.select_related("municipality").order_by("title")}
