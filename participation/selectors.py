"""Reads of the participation app. Everything public goes through ``visible()``: hidden, reported and waiting
contributions never reach a list, a search, a map or a count."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts import permissions
from municipalities.scoping import compiled_in_scope
from projects.models import FieldOfAction, Project
from smartcity5 import search
from smartcity5.search import search_words, stored_text_condition

from .models import (
    Ballot,
    Comment,
    ContentFlag,
    Feasibility,
    Idea,
    Moderation,
    OfficialAnswer,
    ParticipationEvent,
    Process,
    ProcessPhase,
    Support,
    Vote,
    VotingCodeBatch,
)

if TYPE_CHECKING:
    from django.db.models import Model

    from accounts.models import User
    from accounts.permissions import AnyUser
    from municipalities.models import Municipality

SORTS = {
    "new": ("-created_at", "-pk"),
    "supported": ("-support_count", "-created_at", "-pk"),
    "discussed": ("-comment_count", "-created_at", "-pk"),
}


def _count(model: type[Model], *conditions: Q, **filters: Any) -> Coalesce:
    """A correlated count of rows hanging off the outer idea. The base manager is used on purpose: the
    subquery only reaches rows of ideas that the scoped outer query admitted."""
    rows = (
        model._base_manager.filter(*conditions, idea=OuterRef("pk"), **filters)
        .order_by()
        .values("idea")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


#: The comments the idea page shows: published ones, and replies only under a published comment.
SHOWN_COMMENTS = Q(moderation=Moderation.PUBLISHED) & (
    Q(parent__isnull=True) | Q(parent__moderation=Moderation.PUBLISHED)
)


def count_expressions() -> dict[str, Any]:
    """How an idea's stored counts are computed (``services.refresh_counts``): all supports, and the comments
    its page shows."""
    return {"support_count": _count(Support), "comment_count": _count(Comment, SHOWN_COMMENTS)}


def answered_at() -> Subquery:
    """How ``Idea.answered_at`` is derived: the moment of the idea's latest official answer, ``NULL`` while it has
    none. ``services.idea_answer`` stores it with each answer; ``manage.py idea_facts_refresh`` checks and
    repairs it (and the data migration that added the column filled it the same way)."""
    latest = (
        OfficialAnswer._base_manager.filter(idea=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values("created_at")
    )
    return Subquery(latest[:1], output_field=DateTimeField())


def answered(yes: bool = True) -> Q:
    """The one rule for "this idea has an official answer" (``yes``) or has none, wherever ideas are listed,
    counted or filtered (the lists, their capped counts and maps, the API, the key figures): the stored
    ``Idea.answered_at``, a column of the row, instead of looking for an answer row per idea."""
    return Q(answered_at__isnull=not yes)


def idea_facts() -> dict[str, Any]:
    """Every stored fact of an idea and how it is derived: the counts and the latest answer."""
    return {**count_expressions(), "answered_at": answered_at()}


def ideas_with_stale_facts(qs: QuerySet[Idea]) -> list[int]:
    """The ids of the ideas of ``qs`` whose stored facts differ from :func:`idea_facts` (none while every write
    goes through the services; ``manage.py idea_facts_refresh --check``)."""
    derived = idea_facts()
    rows = (
        qs.order_by("pk")
        .annotate(**{f"derived_{name}": expression for name, expression in derived.items()})
        .values_list("pk", *derived, *(f"derived_{name}" for name in derived))
    )
    width = len(derived)
    return [row[0] for row in rows if row[1 : 1 + width] != row[1 + width :]]


# --- Processes -------------------------------------------------------------------------------------------


def _published_idea_count() -> Coalesce:
    ideas = (
        Idea._base_manager.filter(process=OuterRef("pk"), moderation=Moderation.PUBLISHED)
        .order_by()
        .values("process")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(ideas, output_field=IntegerField()), Value(0))


def shown_idea_count() -> Coalesce:
    """How ``Process.shown_idea_count`` is computed (``services.touch_processes``): its published ideas."""
    return _published_idea_count()


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


# --- Ideas -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdeaFilters:
    q: str = ""
    status: str = ""
    field_of_action: FieldOfAction | None = None
    process: Process | None = None
    sort: str = "new"
    shortlisted: bool = False
    answered: bool | None = None
    # Staff list only: True for the ideas in the processes ``lead_town`` (a Municipality pk) runs, False for those
    # in the joint processes a partner town runs, as the key figures count them (``agentur.figures``; an
    # idea's municipality is its process's town, so the condition is one indexed column).
    lead: bool | None = None
    lead_town: int | None = None


#: The columns the text search looks in (smartcity5.search), stored together in capitals as ``Idea.search_text``
#: (its expression names them; a trigram index on PostgreSQL).
SEARCH_COLUMNS = ("title", "body", "location_label")


def filter_ideas(qs: QuerySet[Idea], filters: IdeaFilters) -> QuerySet[Idea]:
    if filters.q:
        for word in search_words(filters.q):
            qs = qs.filter(stored_text_condition(word, "search_text"))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.field_of_action is not None:
        qs = qs.filter(field_of_action=filters.field_of_action)
    if filters.process is not None:
        qs = qs.filter(process=filters.process)
    if filters.shortlisted:
        qs = qs.filter(is_shortlisted=True)
    if filters.answered is not None:
        qs = qs.filter(answered(filters.answered))
    if filters.lead is not None and filters.lead_town:
        own = Q(municipality_id=filters.lead_town)
        qs = qs.filter(own) if filters.lead else qs.exclude(own)
    return qs.order_by(*SORTS.get(filters.sort, SORTS["new"]))


def published_process_ids() -> list[int]:
    """The scope's published processes (one query, a handful of ids), for ``idea_list(processes=…)``."""
    return list(Process.objects.filter(is_published=True).order_by().values_list("pk", flat=True))


def idea_list(*, filters: IdeaFilters = IdeaFilters(), processes: list[int] | None = None) -> QuerySet[Idea]:
    """Published ideas of published processes in the current scope, with their counts.

    ``processes``: the scope's published processes as read by :func:`published_process_ids`, for the town-wide
    lists (pages and API). Named as a list, PostgreSQL knows how few ideas that is and reads them by index
    (``idea_process_…``) instead of walking the region's sort index past every other town's ideas: it cannot
    estimate how many rows the tenant filter's OR admits (at 50 towns a search's map points read 200,000 index
    entries, bench/README.md). The same rows: an idea in the scope belongs to a process in the scope."""
    qs = Idea.objects.visible()
    qs = qs.filter(process__in=processes) if processes is not None else qs.filter(process__is_published=True)
    qs = qs.select_related("author", "process", "field_of_action", "municipality")
    return filter_ideas(qs, filters)


#: The idea's own columns an idea card shows (``participation_tags.idea_card``), with its list's sort keys and the
#: keys of the rows whose one column it shows (:func:`idea_cards` reads those as ``card_*``).
CARD_FIELDS = (
    "id",
    "municipality_id",
    "process_id",
    "author_id",
    "field_of_action_id",
    "title",
    "body",
    "status",
    "is_shortlisted",
    "is_offline",
    "location_label",
    "created_at",
    "support_count",
    "comment_count",
)


def idea_cards(qs: QuerySet[Idea]) -> QuerySet[Idea]:
    """``qs`` (an :func:`idea_list`) reading only what the idea cards show: the idea's :data:`CARD_FIELDS` and, as
    ``card_town``, ``card_process``, ``card_author`` and ``card_field``, the one column of its town, process,
    author and field of action that a card shows, instead of every column of those four rows (their dates alone
    were a fifth of the demo's idea list, converted for nothing). Its rows' names are unique, so that its SQL can
    also be run as compiled once (:class:`IdeaPages`, ``compiled_key``)."""
    return (
        qs.select_related(None)
        .only(*CARD_FIELDS)
        .annotate(
            card_town=F("municipality__slug"),
            card_process=F("process__title"),
            card_author=F("author__display_name"),
            card_field=F("field_of_action__name"),
        )
    )


def shortlist(*, process: Process) -> list[Idea]:
    """The process's shortlisted published ideas, most supported first, as its page lists them: title and address
    (the town's slug), not every column of the idea and its author, process and field of action."""
    qs = idea_list(filters=IdeaFilters(process=process, shortlisted=True, sort="supported"))
    return list(
        qs.select_related(None).select_related("municipality").only("id", "title", "municipality__slug")
    )


#: The columns of each sort, in the order of :data:`SORTS` (all descending), as the per-process indexes hold them.
SORT_KEYS = {
    "new": ("created_at", "id"),
    "supported": ("support_count", "created_at", "id"),
    "discussed": ("comment_count", "created_at", "id"),
}


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)


class IdeaPages:
    """A public idea list (``idea_list(…)``, filtered or not) that the paginators slice like a queryset
    (``pages[20:40]``), reading each page the way that costs least at scale (docs/ARCHITECTURE.md, "How the
    public idea lists read their pages"):

    - the first page of an unfiltered list: the plain query (``ORDER BY … LIMIT 20``);
    - a deeper page: each process's first ``offset + 20`` rows in the order of its index (``idea_process_*``),
      merged: ``(SELECT … WHERE process = p1 … LIMIT n) UNION ALL (…) ORDER BY … OFFSET … LIMIT …`` as the ids of
      the page's one query, so neither the region's other towns nor the town's size enter the cost; with
      ``after`` (the sort values of the row before, :meth:`cursor`) each part starts right after it, at any depth;
    - a filtered list, once :meth:`matches` was read (by its paginator, for the capped count): from those ids
      (cached under ``version`` when given: a search's deeper pages cost what its first does).
    """

    def __init__(
        self,
        qs: QuerySet[Idea],
        *,
        processes: list[int],
        sort: str = "new",
        after: tuple[Any, ...] | None = None,
        version: str | None = None,
        cards: bool = False,
        compiled_key: str | None = None,
    ) -> None:
        self.qs = qs
        self.version = version
        # The pages' rows as the idea cards read them (idea_cards); the counts, matches and positions from ``qs``.
        self.cards = cards
        self.compiled_key = compiled_key if cards else None
        self.processes = list(processes)
        self.sort = sort if sort in SORTS else "new"
        self.keys = SORT_KEYS[self.sort]
        self.after = after
        self._matches: list[tuple[int, bool]] | None = None
        # The scope's published ideas, taken now (in the caller's scope) for :meth:`by_ids`.
        self._visible = Idea.objects.visible()

    def matches(self, cap: int) -> list[tuple[int, bool]]:
        """A filtered list's first ``cap + 1`` rows in its order, as (id, has a place): one query (PostgreSQL picks
        the index that suits the filter, e.g. the trigram indexes for a search) from which the capped count, every
        page (they end at the cap) and the map's points are taken, instead of three queries that each searched
        again (a common word's trigram scan was 70 ms each at 50 towns). With ``version`` (the stored version of
        the scope's processes, :func:`scope_freshness`) they are kept in the cache under it and the query
        (smartcity5.search.capped_matches): the next pages of a search and the same search again read no idea."""
        if self._matches is None:
            rows = self.qs.select_related(None).values_list("id", "latitude")
            self._matches = search.capped_matches(rows, cap, version=self.version)
        return self._matches

    def located(self, limit: int) -> list[int] | None:
        """The ids of the first ``limit`` matches with a place (the map's points), or ``None`` when the matches
        were not read (an unfiltered list)."""
        if self._matches is None:
            return None
        return [pk for pk, has_place in self._matches if has_place][:limit]

    def by_ids(self, ids: list[int]) -> QuerySet[Idea]:
        """The scope's published ideas of ``ids`` (taken from :meth:`matches`), with the list's related rows and
        order, without its filters again: the ids are the filtered list's own, and a search's conditions beside
        ``id IN (…)`` made PostgreSQL read the search's trigram index for a page of 20 (it cannot tell how few rows
        the ids leave)."""
        rows = self._visible.filter(pk__in=ids)
        rows.query.select_related = self.qs.query.select_related
        return rows.order_by(*self.qs.query.order_by) if self.qs.query.order_by else rows

    def _parts(self, limit: int) -> list[QuerySet[Any, Any]]:
        base = self._from_cursor(self.qs.select_related(None).order_by(*SORTS[self.sort]))
        return [base.filter(process_id=p).values_list(*self.keys)[:limit] for p in self.processes]

    def _from_cursor(self, base: QuerySet[Idea]) -> QuerySet[Idea]:
        if self.after is not None:
            # A row comparison, which the index answers by starting at the cursor (all its columns descend).
            table = connection.ops.quote_name(Idea._meta.db_table)
            row = ", ".join(f"{table}.{connection.ops.quote_name(key)}" for key in self.keys)
            placeholders = ", ".join(["%s"] * len(self.keys))
            params = [
                connection.ops.adapt_datetimefield_value(value)
                if isinstance(value, datetime.datetime)
                else value
                for value in self.after
            ]  # as the database stores a date (SQLite: UTC text)
            base = base.extra(where=[f"({row}) < ({placeholders})"], params=params)
        return base

    def page_ids(self, offset: int, limit: int) -> RawSQL | None:
        """The ids of rows ``offset`` to ``offset + limit`` of the merged list, as a subquery (``None``: none)."""
        parts = self._parts(offset + limit)
        if not parts or limit <= 0:
            return None
        if len(parts) == 1:
            merged = parts[0][offset : offset + limit]
        else:
            order = [f"-{key}" for key in self.keys]
            merged = parts[0].union(*parts[1:], all=True).order_by(*order)[offset : offset + limit]
        # Compiled on its own, so that the cursor's condition names this query's table, not an outer alias.
        sql, params = merged.query.sql_with_params()
        return RawSQL(
            f"SELECT merged.id FROM ({sql}) AS merged", params
        )  # SQL Django compiled, with its params

    def __getitem__(self, key: slice) -> list[Idea]:
        if not isinstance(key, slice):
            raise TypeError("IdeaPages is read by slices")
        start, stop = key.start or 0, key.stop
        if start == 0 and self.after is None and self._matches is None and self.compiled_key is not None:
            return self._compiled_first(stop)
        rows = idea_cards(self.qs) if self.cards else self.qs
        if self._matches is not None and self.after is None:
            ids = [pk for pk, _ in self._matches[start:stop]]
            if not ids:
                return []
            page = self.by_ids(ids)  # in the list's order (its own sort)
            return list(idea_cards(page) if self.cards else page)
        if start == 0 and self.after is None:
            # The first page: the plain query stops after its rows of the sort index.
            return list(rows[:stop])
        if not connection.features.supports_slicing_ordering_in_compound:
            # SQLite (the demo) cannot limit the parts of a UNION: one plain query, from the cursor if any.
            return list(self._from_cursor(rows)[start:stop])
        id_sql = self.page_ids(start, stop - start)
        # One query: the page's rows by primary key, in the list's order (the same keys).
        return [] if id_sql is None else list(rows.filter(pk__in=id_sql))

    def _compiled_first(self, stop: int) -> list[Idea]:
        """The first page by SQL the ORM compiled once per worker and scope (``compiled_key`` names everything the
        query holds besides the scope: the sort, the process or processes): compiling it cost five times running it
        on the demo's idea list. Read as raw rows of :func:`idea_cards` (whose columns have unique names): the idea's
        columns converted as the ORM does, the ``card_*`` ones as they are."""
        if stop <= 0:
            return []  # an empty list's page (no SQL: the ORM refuses to compile LIMIT 0)
        try:
            ((sql, params),) = compiled_in_scope(
                f"participation.first_page:{self.compiled_key}:{self.sort}:{stop}",
                lambda: [idea_cards(self.qs)[:stop]],
            )
        except EmptyResultSet:  # a condition that admits no row (as the ORM's own execution answers it)
            return []
        return list(Idea._base_manager.raw(sql, params))

    def count(self) -> int:
        return self.qs.order_by().count()

    @staticmethod
    def cursor(idea: Idea, sort: str) -> str:
        """The position after ``idea`` in the list sorted by ``sort``, for a "next page" link (``?nach=…``)."""
        values: list[str] = []
        for key in SORT_KEYS[sort if sort in SORTS else "new"]:
            value = getattr(idea, key)
            values.append(str((value - _EPOCH) // _MICROSECOND) if key == "created_at" else str(value))
        return "_".join(values)

    @staticmethod
    def parse_cursor(text: str, sort: str) -> tuple[Any, ...] | None:
        """The sort values of a cursor made by :meth:`cursor`, or ``None`` when ``text`` is not one."""
        keys = SORT_KEYS[sort if sort in SORTS else "new"]
        parts = text.split("_")
        if len(parts) != len(keys):
            return None
        values: list[Any] = []
        if not all(part.isascii() and part.isdigit() for part in parts):
            return None
        try:
            for key, part in zip(keys, parts, strict=True):
                if key == "created_at":
                    microseconds = int(part)
                    if not 0 <= microseconds < 10**17:
                        return None
                    values.append(_EPOCH + microseconds * _MICROSECOND)
                else:
                    number = int(part)
                    if not 0 <= number < 2**63:
                        return None
                    values.append(number)
        except ValueError:
            return None
        return tuple(values)


def is_unfiltered(filters: IdeaFilters) -> bool:
    """No filter but the sort and the process: the stored counts and versions of the processes apply."""
    return (
        not filters.q
        and not filters.status
        and filters.field_of_action is None
        and not filters.shortlisted
        and filters.answered is None
        and filters.lead is None
    )


def stored_total(filters: IdeaFilters) -> int | None:
    """How many ideas ``idea_list(filters=filters)`` holds, from the stored counts when the filters allow it (none
    but the sort, or a published process): the process's ``shown_idea_count``, or the scope's sum of them (one
    query over the processes). ``None``: filtered, to be counted."""
    if not is_unfiltered(filters):
        return None
    if filters.process is not None:
        return filters.process.shown_idea_count if filters.process.is_published else None
    return scope_freshness().shown_ideas


def staff_idea_list(*, filters: IdeaFilters = IdeaFilters(), moderation: str = "") -> QuerySet[Idea]:
    """All ideas in the scope, whatever their moderation state, for staff.

    An idea is in a town's scope exactly when its process is (its own town's, or a joint one with the town as a
    partner), so the list also asks for the scope's processes by id: the same rows, but a condition that the
    index on the process answers. The scope's own condition (``municipality = <town> OR EXISTS …``) gives the
    planner no estimate, and at 200,000 ideas it read the whole table for one town's 4,000 (200 ms per query,
    twice per page with the paginator's count). One query more, for the scope's few processes."""
    processes = list(Process.objects.order_by().values_list("pk", flat=True))
    # The related rows in queries of their own, for the page's 50 ideas only: joined, PostgreSQL joined all the
    # town's ideas (and hashed every account of the region) before sorting them.
    qs = Idea.objects.filter(process_id__in=processes).prefetch_related(
        "author", "process", "field_of_action", "municipality"
    )
    if moderation:
        qs = qs.filter(moderation=moderation)
    return filter_ideas(qs, filters)


def idea_get(*, pk: int, include_hidden: bool = False) -> Idea:
    qs = Idea.objects.all() if include_hidden else Idea.objects.visible().filter(process__is_published=True)
    return qs.select_related(
        "author",
        "process",
        "process__municipality",
        "field_of_action",
        "municipality",
        "project",
        "project__municipality",
        "merged_into",
    ).get(pk=pk)


def idea_for(*, pk: int, user: AnyUser) -> Idea:
    """A published idea of a published process; its author and the staff of the process's towns also reach
    it while it is not. Raises ``Idea.DoesNotExist`` otherwise. HTML pages and the API use this."""
    idea = idea_get(pk=pk, include_hidden=True)
    own = user.is_authenticated and idea.author_id == user.pk
    visible = idea.is_visible and idea.process.is_published
    if not visible and not own and not permissions.can_see_unpublished_process(user, idea.process):
        raise Idea.DoesNotExist
    return idea


def flag_target_idea(*, pk: int, user: AnyUser) -> Idea:
    """An idea a visitor may report to the moderators: a published one they can reach (``idea_for``). Raises
    ``Idea.DoesNotExist`` otherwise. The report page and the API use this."""
    idea = idea_for(pk=pk, user=user)
    if not idea.is_visible:
        raise Idea.DoesNotExist
    return idea


def flag_target_comment(*, pk: int, user: AnyUser) -> Comment:
    """A published comment on an idea the visitor can reach; raises ``Comment.DoesNotExist`` otherwise."""
    comment = Comment.objects.visible().filter(pk=pk).first()
    if comment is None:
        raise Comment.DoesNotExist
    try:
        comment.idea = idea_for(pk=comment.idea_id, user=user)
    except Idea.DoesNotExist:
        raise Comment.DoesNotExist from None
    return comment


def moderation_comment(*, pk: int) -> Comment:
    """A comment of the scope in any moderation state, with its idea, for the moderators' actions."""
    return Comment.objects.select_related("idea", "idea__process").get(pk=pk)


def comment_parent(*, idea: Idea, pk: int | None) -> Comment | None:
    """The published comment of ``idea`` a reply answers, or None (the model refuses replies to replies)."""
    if not pk:
        return None
    return Comment.objects.visible().select_related("parent").filter(pk=pk, idea=idea).first()


def comments_of(*, idea: Idea) -> list[Comment]:
    """Published top-level comments of an idea, oldest first, with their published replies
    (``comment.replies.all()``), in one query."""
    shown = list(
        Comment.objects.visible().filter(idea=idea).select_related("author").order_by("created_at", "pk")
    )
    replies: dict[int, list[Comment]] = {}
    for comment in shown:
        if comment.parent_id is not None:
            replies.setdefault(comment.parent_id, []).append(comment)
    top = [comment for comment in shown if comment.parent_id is None]
    # Filled in as prefetch_related would, without its per-comment filter on the scoped queryset (building and
    # cloning that cost more than the rest of a page with 200 comments). A reply always belongs to its parent's
    # idea, and a reply under a comment that is not published is not shown (SHOWN_COMMENTS). The cached
    # querysets are empty ones: filtering one further yields nothing rather than rows of another scope.
    empty = Comment._base_manager.none()
    cache_name = Comment.replies.field.remote_field.cache_name
    for comment in top:
        # Also as a plain list, for the page's comment threads (participation_tags.comment_threads): asking the
        # related manager for it 200 times cost more than the query.
        comment.shown_replies = replies.get(comment.pk, [])
        own = empty._chain()  # type: ignore[attr-defined]  # a private QuerySet method, see above
        own._result_cache = comment.shown_replies
        own._prefetch_done = True
        comment._prefetched_objects_cache = {cache_name: own}
    return top


#: The staff idea page: how many of the comments that wait for moderation it lists (the queue has all of them),
#: how many of the newest others it shows before "show all", and how many a page of "show all" holds.
STAFF_WAITING_SHOWN = 50
STAFF_LATEST_SHOWN = 20
STAFF_COMMENTS_PER_PAGE = 100


@dataclass(frozen=True)
class StaffComments:
    """The comments of the staff idea page (:func:`staff_comments`): those waiting for a moderator first (oldest
    first, with their open reports; at most :data:`STAFF_WAITING_SHOWN` of ``waiting_count``), then the others
    (``others`` of them): either the newest (``latest``, newest first) or, when every comment was asked for, a page
    of them oldest first (``page``)."""

    waiting: Sequence[Comment]
    waiting_count: int
    latest: list[Comment]
    page: Page[Comment] | None
    others: int

    @property
    def total(self) -> int:
        return self.waiting_count + self.others

    @property
    def more(self) -> bool:
        """Whether some of the others are not in ``latest``."""
        return self.page is None and self.others > len(self.latest)


def staff_comments(*, idea: Idea, everything: bool = False, page: str | None = None) -> StaffComments:
    """The staff idea page's comments (:class:`StaffComments`): those that wait (:func:`waiting_for_moderation`)
    and the newest :data:`STAFF_LATEST_SHOWN` others, not every comment with its links (most of the page's time
    at 378 comments, bench/README.md); ``everything`` pages through the others. Three queries (the ids with open
    reports, the waiting ones with their open reports counted, the newest others), one more to count the others
    when there are more than shown, and one more when more wait than are shown."""
    comments = Comment.objects.filter(idea=idea)
    waiting_condition = waiting_for_moderation(Comment)
    waiting = list(
        comments.filter(waiting_condition)
        .annotate(open_flags=_flag_count("comment"))
        .select_related("author")
        .order_by("created_at", "pk")[: STAFF_WAITING_SHOWN + 1]
    )
    waiting_count = len(waiting)
    if waiting_count > STAFF_WAITING_SHOWN:
        waiting_count = comments.filter(waiting_condition).count()
        waiting = waiting[:STAFF_WAITING_SHOWN]
    others = comments.exclude(waiting_condition).select_related("author")
    if everything:
        shown = Paginator(others.order_by("created_at", "pk"), STAFF_COMMENTS_PER_PAGE).get_page(page)
        return StaffComments(
            waiting=waiting, waiting_count=waiting_count, latest=[], page=shown, others=shown.paginator.count
        )
    latest = list(others.order_by("-created_at", "-pk")[:STAFF_LATEST_SHOWN])
    count = len(latest) if len(latest) < STAFF_LATEST_SHOWN else others.count()
    return StaffComments(waiting=waiting, waiting_count=waiting_count, latest=latest, page=None, others=count)


#: Stand-ins for the idea's and the person's id in the SQL of :func:`_viewer_state` (within bigint's range, so the
#: ORM compiles them as values; no row has such an id).
_IDEA_ID, _USER_ID = 9_000_000_000_000_000_011, 9_000_000_000_000_000_013


def _viewer_state(*, idea: Idea, user: User) -> tuple[bool, list[tuple[int | None, int | None]]]:
    """Whether ``user`` supports ``idea``, and the (idea_id, comment_id) of their reports on it and its comments
    (SQL compiled once per scope: building the two scoped queries cost more than running them)."""
    compiled = compiled_in_scope(
        "participation.viewer_state",
        lambda: [
            Support.objects.filter(idea_id=_IDEA_ID, user_id=_USER_ID).order_by().values("pk")[:1],
            ContentFlag.objects.filter(reporter_id=_USER_ID)
            .filter(Q(idea_id=_IDEA_ID) | Q(comment__idea_id=_IDEA_ID))
            .order_by()
            .values_list("idea_id", "comment_id"),
        ],
    )
    ids = {_IDEA_ID: idea.pk, _USER_ID: user.pk}
    results = []
    with connection.cursor() as cursor:
        for sql, params in compiled:
            cursor.execute(sql, tuple(ids.get(p, p) if isinstance(p, int) else p for p in params))
            results.append(cursor.fetchall())
    return bool(results[0]), [tuple(row) for row in results[1]]


def idea_page_related(*, idea: Idea, user: AnyUser) -> dict[str, Any]:
    """What the idea page shows besides the idea: published comments with their published replies, the
    official answers, and the visitor's own support and reports."""
    comments = comments_of(idea=idea)
    answers = list(
        OfficialAnswer.objects.filter(idea=idea).select_related("answering_town").order_by("created_at", "pk")
    )
    supported = reported_idea = False
    reported_comments: set[int] = set()
    if user.is_authenticated:
        supported, reports = _viewer_state(idea=idea, user=user)
        for idea_id, comment_id in reports:
            if comment_id:
                reported_comments.add(comment_id)
            elif idea_id:
                reported_idea = True
    return {
        "comments": comments,
        "answers": answers,
        "supported": supported,
        "reported_idea": reported_idea,
        "reported_comments": reported_comments,
        "comment_total": sum(1 + len(c.shown_replies) for c in comments),  # type: ignore[attr-defined,misc]  # set by comments_of
    }


def ideas_for_project(*, project: Project) -> list[Idea]:
    """The published ideas a project came from (for the project page)."""
    return list(
        Idea.objects.visible()
        .filter(project=project, process__is_published=True)
        .select_related("municipality")
        .order_by("created_at")
    )


def merge_candidates(*, idea: Idea) -> QuerySet[Idea]:
    """Ideas the idea can be merged into: other published ideas of its process that were not merged themselves."""
    return (
        Idea.objects.visible()
        .filter(process=idea.process)
        .exclude(pk=idea.pk)
        .exclude(status=Idea.Status.MERGED)
        .order_by("title")
    )


#: How many merge targets the staff idea page offers at once; a search finds the others (a process can hold
#: thousands of open ideas, and a select of all of them was most of the page's weight and time).
MERGE_CHOICES_SHOWN = 30


def merge_choices(*, idea: Idea, query: str = "", keep: int | str | None = None) -> list[Idea]:
    """The merge targets offered on the staff idea page: those matching ``query`` (the idea's number, or every word
    in its title), else the most supported; at most :data:`MERGE_CHOICES_SHOWN`, plus ``keep`` (the pk already
    chosen) so that a page shown again keeps the choice. Validation still accepts every merge candidate."""
    candidates = merge_candidates(idea=idea).only("pk", "title", "support_count")
    query = query.strip()
    if query.isdigit():
        shown = candidates.filter(pk=int(query))
    else:
        shown = candidates
        for word in query.split()[:8]:
            shown = shown.filter(title__icontains=word)
    rows = list(shown.order_by("-support_count", "title", "pk")[:MERGE_CHOICES_SHOWN])
    if keep and str(keep).isdigit() and all(row.pk != int(keep) for row in rows):
        rows += list(candidates.filter(pk=int(keep)))
    return rows


def project_choices(*, idea: Idea) -> QuerySet[Project]:
    """Projects of the towns that run the idea's process."""
    towns = [idea.process.municipality_id, *idea.process.partner_towns.values_list("pk", flat=True)]
    return Project.objects.filter(municipality__in=towns).order_by("title")


#: How many projects the staff idea page's project link offers at once; a search finds the others (a town can run
#: hundreds of projects, and a select of all of them was most of the page's rendering time).
PROJECT_CHOICES_SHOWN = 30


def project_link_choices(
    *, idea: Idea, query: str = "", keep: object = None, candidates: QuerySet[Project] | None = None
) -> list[Project]:
    """The projects offered for the idea's project link: those matching ``query`` (every word in the title, or the
    project's address), else the newest; at most :data:`PROJECT_CHOICES_SHOWN`, by title, plus ``keep`` (the pk
    already chosen or linked) so that a page shown again keeps the choice. Validation still accepts every project
    of :func:`project_choices` (``candidates``, when already built)."""
    candidates = (candidates if candidates is not None else project_choices(idea=idea)).only(
        "pk", "title", "slug", "municipality_id"
    )
    query = query.strip()
    shown = candidates
    if query:
        words = Q()
        for word in query.split()[:8]:
            words &= Q(title__icontains=word)
        shown = shown.filter(words | Q(slug=query.strip("/").rsplit("/", 1)[-1].lower()))
    rows = sorted(
        shown.order_by("-created_at", "-pk")[:PROJECT_CHOICES_SHOWN], key=lambda p: (p.title.casefold(), p.pk)
    )
    kept = str(keep) if keep else ""
    if kept.isdigit() and all(row.pk != int(kept) for row in rows):
        rows = list(candidates.filter(pk=int(kept))) + rows
    return rows


# --- Votes -----------------------------------------------------------------------------------------------


def ballot_votes(*, process: Process, user: AnyUser) -> dict[int, int]:
    """The person's current votes in the process: idea id → votes."""
    if not user.is_authenticated:
        return {}
    return dict(
        Vote.objects.filter(ballot__process=process, ballot__user=user).values_list("idea_id", "count")
    )


def ballot_ideas(*, process: Process) -> QuerySet[Idea]:
    """What the vote is about: the published shortlisted ideas, or in a participatory budget the published
    proposals the town found feasible (they have the town's cost; a check constraint keeps it so)."""
    ideas = Idea.objects.visible().filter(process=process)
    if process.is_budget:
        return ideas.filter(feasibility=Feasibility.FEASIBLE, cost_estimate__isnull=False)
    return ideas.filter(is_shortlisted=True)


def paper_ballot_count(*, process: Process) -> int:
    return Ballot.objects.filter(process=process, is_paper=True).count()


#: The rule of a participatory budget's winners, as the results page states it.
BUDGET_RULE = _(
    "The proposals are taken in the order of their votes, most first; a proposal wins if its cost still fits "
    "into what is left of the budget, otherwise the next one is looked at. Of proposals with equal votes the "
    "cheaper one comes first (so that more of them fit), then the one submitted earlier. A proposal without "
    "a vote does not win."
)


def budget_winners(ideas: Sequence[Any], cap: Decimal) -> Decimal:
    """Mark the winners of a participatory budget (``idea.wins``) among ``ideas``, in the order of the results
    (:data:`BUDGET_RULE`), with what is left after each (``idea.left_after``); returns the total spent."""
    spent = Decimal(0)
    for idea in ideas:
        cost = idea.cost_estimate or Decimal(0)
        idea.wins = bool(idea.vote_total) and spent + cost <= cap
        if idea.wins:
            spent += cost
        idea.left_after = cap - spent
    return spent


def vote_results(*, process: Process) -> dict[str, Any]:
    """Votes per idea on the ballot (most first; equal votes share a rank) and the number of ballots that gave a
    vote to one of them, in two queries; in a participatory budget also the winners within the budget."""
    votes = (
        Vote._base_manager.filter(idea=OuterRef("pk"))
        .order_by()
        .values("idea")
        .annotate(total=Sum("count"))
        .values("total")
    )
    shortlist = ballot_ideas(process=process)
    order = (
        ("-vote_total", "cost_estimate", "created_at", "pk")
        if process.is_budget
        else ("-vote_total", "title", "pk")
    )
    ideas: list[Any] = list(
        shortlist.select_related("municipality", "project")
        .annotate(vote_total=Coalesce(Subquery(votes, output_field=IntegerField()), Value(0)))
        .order_by(*order)
    )
    ballots = (
        Ballot.objects.filter(process=process, votes__idea__in=shortlist.values("pk"))
        .values("pk")
        .distinct()
        .count()
    )
    total = sum(i.vote_total for i in ideas)
    for position, idea in enumerate(ideas, start=1):
        same = position > 1 and ideas[position - 2].vote_total == idea.vote_total
        idea.rank = ideas[position - 2].rank if same else position
        idea.share = round(idea.vote_total * 100 / total, 1) if total else 0
    results: dict[str, Any] = {"ideas": ideas, "ballots": ballots, "votes": total}
    if process.is_budget and process.budget_cap is not None:
        spent = budget_winners(ideas, process.budget_cap)
        results.update(
            budget=process.budget_cap,
            spent=spent,
            left=process.budget_cap - spent,
            winners=[i for i in ideas if i.wins],
            rule=BUDGET_RULE,
        )
    return results


# --- Moderation ------------------------------------------------------------------------------------------


def _flag_count(field: str) -> Coalesce:
    rows = (
        ContentFlag._base_manager.filter(**{field: OuterRef("pk")}, resolved_at__isnull=True)
        .order_by()
        .values(field)
        .annotate(n=Count("reporter", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


class _AnyOf(Func):
    """``value = ANY(array)`` (PostgreSQL)."""

    output_field = BooleanField()
    arg_joiner = " = ANY("
    template = "(%(expressions)s))"


def waiting_for_moderation(model: type[Idea] | type[Comment], *, reported_in_sql: bool = False) -> Q:
    """Wartet auf Moderation: the one definition of what waits for a moderator's decision, for ideas and
    comments alike. A contribution waits while it is held for pre-moderation, while it is hidden after
    reports, and while it is still visible but has open reports (one report below the town's threshold is a complaint a
    moderator must see). The queue, the town's staff pages, the Agentur's dashboard, the town report and the
    API all count with this condition."""
    field = "idea" if model is Idea else "comment"
    open_reports = ContentFlag._base_manager.filter(resolved_at__isnull=True, **{f"{field}__isnull": False})
    if reported_in_sql:
        # For SQL that is compiled once and run again (the key figures, ``agentur.figures.compiled_rows``): the
        # ids read by the query itself, never frozen into its parameters. On PostgreSQL as ``id = ANY(ARRAY(…))``,
        # one array read first, which an index answers beside the waiting states (``IN (SELECT …)`` under the OR
        # made it test every comment of the town: 6 ms at 10,000).
        reported_ids = open_reports.order_by().values(field)
        if connection.vendor == "postgresql":
            from django.contrib.postgres.expressions import ArraySubquery

            return Q(moderation__in=(Moderation.PENDING, Moderation.REPORTED)) | Q(
                _AnyOf(F("pk"), ArraySubquery(reported_ids))
            )
        return Q(moderation__in=(Moderation.PENDING, Moderation.REPORTED)) | Q(pk__in=reported_ids)
    # The ids with open reports first (one query over the few open reports), so that the condition is two index
    # lookups (the waiting states, the ids) instead of a subquery for every idea or comment of the scope: the
    # moderation queue went from scanning the town's 300,000 comments to reading a handful. The base manager, as
    # the subquery before it: the ids only select rows that the scoped outer query admits.
    reported = list(open_reports.order_by().values_list(field, flat=True).distinct())
    return Q(moderation__in=(Moderation.PENDING, Moderation.REPORTED)) | Q(pk__in=reported)


def _owning_towns() -> list[int]:
    """The towns whose contributions the current scope can hold: the towns of its processes (its own town, and
    the lead towns of the joint processes it takes part in). A condition on an indexed column that the scope's
    own (``municipality = <town> OR EXISTS …``) implies, so adding it changes no result; it keeps the count of
    waiting items from testing the shared path of every other town's waiting comment (722 region-wide at 50 towns:
    60 ms)."""
    return sorted(set(Process.objects.order_by().values_list("municipality_id", flat=True)))


def moderation_queue() -> dict[str, Any]:
    """What moderators look at (:func:`waiting_for_moderation`), oldest first; ``count`` is all of it, even
    beyond the 200 of each kind that the page lists."""
    owners = _owning_towns()
    ideas: list[Any] = list(
        Idea.objects.filter(waiting_for_moderation(Idea), municipality_id__in=owners)
        .annotate(open_flags=_flag_count("idea"))
        .select_related("author", "process")
        .order_by("created_at", "pk")[:200]
    )
    comments: list[Any] = list(
        Comment.objects.filter(waiting_for_moderation(Comment), municipality_id__in=owners)
        .annotate(open_flags=_flag_count("comment"))
        .select_related("author", "idea", "idea__process")
        .order_by("created_at", "pk")[:200]
    )
    reports: dict[tuple[str, int | None], list[ContentFlag]] = {}
    ids = [i.pk for i in ideas]
    comment_ids = [c.pk for c in comments]
    for report in (
        ContentFlag.objects.filter(resolved_at__isnull=True)
        .filter(Q(idea__in=ids) | Q(comment__in=comment_ids))
        .order_by("created_at")
    ):
        key = ("idea", report.idea_id) if report.idea_id else ("comment", report.comment_id)
        reports.setdefault(key, []).append(report)
    for item in ideas:
        item.open_flag_list = reports.get(("idea", item.pk), [])
    for item in comments:
        item.open_flag_list = reports.get(("comment", item.pk), [])
    count = len(ideas) + len(comments)
    if len(ideas) == 200 or len(comments) == 200:
        count = moderation_count()
    return {"ideas": ideas, "comments": comments, "count": count}


def moderation_count() -> int:
    """How many contributions of the scope wait for a moderator (:func:`waiting_for_moderation`)."""
    owners = _owning_towns()
    return (
        Idea.objects.filter(waiting_for_moderation(Idea), municipality_id__in=owners).count()
        + Comment.objects.filter(waiting_for_moderation(Comment), municipality_id__in=owners).count()
    )


# --- History ---------------------------------------------------------------------------------------------


def idea_history(*, idea: Idea) -> QuerySet[ParticipationEvent]:
    return (
        ParticipationEvent.objects.filter(idea=idea)
        .select_related("actor", "acting_town")
        .order_by("-at", "-pk")
    )


def process_history(*, process: Process) -> QuerySet[ParticipationEvent]:
    return (
        ParticipationEvent.objects.filter(process=process)
        .select_related("actor", "acting_town", "idea")
        .order_by("-at", "-pk")
    )


# --- A person's own contributions, in every town ---------------------------------------------------------


def user_contributions(*, user: AnyUser) -> dict[str, Any]:
    """A person's own ideas, comments, supports and votes in every town ("My participation").

    This reads across towns, but only the person's own rows, so it needs no audit entry (like
    ``accounts.selectors.user_memberships``); it is the one place in this app that may do so."""
    ideas = list(
        Idea.objects.with_scopes_disabled()
        .filter(author=user)
        .select_related("municipality", "process", "project")
        .order_by("-created_at")
    )
    comments = list(
        Comment.objects.with_scopes_disabled()
        .filter(author=user)
        .select_related("idea", "municipality")
        .order_by("-created_at")
    )
    supports = list(
        Support.objects.with_scopes_disabled()
        .filter(user=user)
        .select_related("idea", "idea__municipality")
        .order_by("-created_at")
    )
    votes = list(
        Vote.objects.with_scopes_disabled()
        .filter(ballot__user=user)
        .select_related("idea", "ballot__process", "municipality")
        .order_by("ballot__process", "idea")
    )
    return {"ideas": ideas, "comments": comments, "supports": supports, "votes": votes}


# --- Quarterly progress report (reviews) -----------------------------------------------------------------


def period_figures(*, municipality: Municipality, start: datetime.date, end: datetime.date) -> dict[str, Any]:
    """Ideas in the town's own processes from ``start`` to ``end`` (both included): received (online and offline,
    hidden ones left out), answered (distinct ideas with an official answer in the period) and official answers
    given. Two queries."""
    received = (
        Idea.objects.filter(municipality=municipality, created_at__date__gte=start, created_at__date__lte=end)
        .exclude(moderation=Moderation.HIDDEN)
        .count()
    )
    answers = (
        OfficialAnswer.objects.filter(
            idea__municipality=municipality, created_at__date__gte=start, created_at__date__lte=end
        )
        .exclude(idea__moderation=Moderation.HIDDEN)
        .aggregate(answers=Count("pk"), ideas=Count("idea", distinct=True))
    )
    return {"ideas_received": received, "ideas_answered": answers["ideas"], "answers": answers["answers"]}


# --- Voting codes ------------------------------------------------------------------------------------------------


def voting_code_batches(*, process: Process, municipality: Municipality) -> list[VotingCodeBatch]:
    """A town's batches of voting codes for a process, newest first, each with ``used``: how many of its codes
    were used (counts only: which code voted what is nowhere to be read)."""
    return list(
        VotingCodeBatch.objects.filter(process=process, municipality=municipality)
        .annotate(used=Count("codes", filter=Q(codes__used_at__isnull=False)))
        .order_by("-created_at", "-pk")
    )
