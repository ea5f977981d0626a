"""Processes: lists, choices, single processes, their phases, history and the scope's freshness."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import F, Prefetch, QuerySet, prefetch_related_objects

from accounts import permissions
from municipalities.scoping import compiled_in_scope
from participation.models import ParticipationEvent, Process, ProcessPhase

if TYPE_CHECKING:
    from accounts.permissions import AnyUser


def _phases() -> Prefetch[Any]:
    # The phases of processes already read in the scope: by process id, without the shared-row filter again
    # (building it cost more than the town home's other queries on the demo).
    return Prefetch("phases", queryset=ProcessPhase._base_manager.order_by("starts_on", "pk"))


def with_phases(process: Process) -> Process:
    """The process with its phases read once (``accepts_comments`` and the like ask ``phases.all()`` each time)."""
    prefetch_related_objects([process], _phases())
    return process


def process_list(*, include_unpublished: bool = False) -> QuerySet[Process]:
    qs = Process.objects.all() if include_unpublished else Process.objects.filter(is_published=True)
    return (
        qs.select_related("municipality", "field_of_action")
        .prefetch_related(_phases(), "partner_towns")
        .annotate(idea_count=F("shown_idea_count"))
        .order_by("-created_at", "title")
    )


@dataclass(frozen=True)
class ScopeFreshness:
    """The stored freshness of the scope's processes (``services.touch_processes``), read from the few process
    rows instead of every idea, comment and support: ``version`` changes with every public change (a cache key),
    ``changed_at`` is the newest change (Last-Modified), ``shown_ideas`` counts the published ideas of published
    processes (the public idea list's total)."""

    version: str
    changed_at: object
    shown_ideas: int
    #: The scope's published processes (``published_process_ids()`` from the same rows).
    published: tuple[int, ...] = ()


#: The SQL of the scope's process rows per scope (town ids), compiled once per worker: building and compiling the
#: shared-row filter cost more than running it (most of an anonymous page cache hit on the demo).
_FRESHNESS_FIELDS = (
    "pk",
    "content_version",
    "content_changed_at",
    "updated_at",
    "shown_idea_count",
    "is_published",
)


def _scope_processes() -> list[Process]:
    ((sql, params),) = compiled_in_scope(
        "participation.scope_processes", lambda: [Process.objects.order_by().only(*_FRESHNESS_FIELDS)]
    )
    return list(Process._base_manager.raw(sql, params))


def scope_freshness() -> ScopeFreshness:
    """One query over the scope's processes (own and joint; a few rows, summed here)."""
    processes = _scope_processes()
    rows: dict[str, Any] = {
        "n": len(processes),
        "ids": sum(p.pk for p in processes),
        "versions": sum(p.content_version for p in processes),
        "changed": max((p.content_changed_at for p in processes if p.content_changed_at), default=None),
        "updated": max((p.updated_at for p in processes if p.updated_at), default=None),
        "shown": sum(p.shown_idea_count for p in processes if p.is_published),
    }
    # The count and the sum of ids change when a process joins or leaves the scope; the versions with any change
    # of one; updated_at with a change of the process itself that its service did not record (the admin).
    updated = rows["updated"].timestamp() if rows["updated"] else 0
    version = f"{rows['n']}.{rows['ids'] or 0}.{rows['versions'] or 0}.{updated}"
    changed = max(
        (moment for moment in (rows["changed"], rows["updated"]) if moment is not None), default=None
    )
    return ScopeFreshness(
        version=version,
        changed_at=changed,
        shown_ideas=rows["shown"] or 0,
        published=tuple(p.pk for p in processes if p.is_published),
    )


def process_choices(*, include_unpublished: bool = False) -> QuerySet[Process]:
    """The processes a filter form offers, by title: only the columns a choice needs, no counts."""
    qs = Process.objects.all() if include_unpublished else Process.objects.filter(is_published=True)
    return qs.only("pk", "slug", "title", "municipality_id").order_by("title")


def running_processes(*, day: datetime.date | None = None) -> list[Process]:
    """Published processes in which citizens can do something today (ideas, comments, supports, votes)."""
    return [
        p
        for p in process_list()
        if p.accepts_ideas(day) or p.accepts_comments(day) or p.accepts_votes(day) or p.accepts_supports(day)
    ]


def process_get(*, slug: str) -> Process:
    return (
        Process.objects.select_related("municipality", "field_of_action")
        .prefetch_related(_phases(), "partner_towns")
        .annotate(idea_count=F("shown_idea_count"))
        .get(slug=slug)
    )


def process_for(*, slug: str, user: AnyUser, staff: bool = False) -> Process:
    """The process as ``user`` may see it: published, or unpublished for staff of its towns and moderators
    (``staff``: only for them). Raises ``Process.DoesNotExist`` otherwise. HTML pages and the API use this."""
    process = process_get(slug=slug)
    if (staff or not process.is_published) and not permissions.can_see_unpublished_process(user, process):
        raise Process.DoesNotExist
    return process


def published_process_ids() -> list[int]:
    """The scope's published processes (one query, a handful of ids), for ``idea_list(processes=…)``."""
    return list(Process.objects.filter(is_published=True).order_by().values_list("pk", flat=True))


def process_history(*, process: Process) -> QuerySet[ParticipationEvent]:
    return (
        ParticipationEvent.objects.filter(process=process)
        .select_related("actor", "acting_town", "idea")
        .order_by("-at", "-pk")
    )
