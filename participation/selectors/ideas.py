"""Idea lists with filters, sorts and pages, and single ideas as a person may see them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import RawSQL

from accounts import permissions
from municipalities.scoping import compiled_in_scope
from participation.models import Idea, ParticipationEvent, Process
from participation.selectors.facts import answered
from participation.selectors.processes import scope_freshness
from projects.models import FieldOfAction, Project
from smartcity5 import search
from smartcity5.search import search_words, stored_text_condition

if TYPE_CHECKING:
    from accounts.permissions import AnyUser


SORTS = {
    "new": ("-created_at", "-pk"),
    "supported": ("-support_count", "-created_at", "-pk"),
    "discussed": ("-comment_count", "-created_at", "-pk"),
}


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
    "estimated_cost",
    "cost_estimate",
    "feasibility",
)


def idea_cards(qs: QuerySet[Idea]) -> QuerySet[Idea]:
    """``qs`` (an :func:`idea_list`) reading only what the idea cards show: the idea's :data:`CARD_FIELDS` and, as
    ``card_town``, ``card_process`` (and its ``card_vote_mode``: a budget's cards show cost and verdict),
    ``card_author`` and ``card_field``, the one column of its town, process,
    author and field of action that a card shows, instead of every column of those four rows (their dates alone
    were a fifth of the demo's idea list, converted for nothing). Its rows' names are unique, so that its SQL can
    also be run as compiled once (:class:`IdeaPages`, ``compiled_key``)."""
    return (
        qs.select_related(None)
        .only(*CARD_FIELDS)
        .annotate(
            card_town=F("municipality__slug"),
            card_process=F("process__title"),
            card_vote_mode=F("process__vote_mode"),
            card_author=F("author__display_name"),
            card_field=F("field_of_action__name"),
        )
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
            # One query over the list's processes: PostgreSQL walks a sort index for a common word and reads a
            # rare word's few matches from the trigram index (merging each process's matches was measured and
            # dropped, docs/ARCHITECTURE.md, "Text search").
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
        rows = self._visible.filter(pk__any_of=ids)
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


def ideas_for_project(*, project: Project) -> list[Idea]:
    """The published ideas a project came from (for the project page)."""
    return list(
        Idea.objects.visible()
        .filter(project=project, process__is_published=True)
        .select_related("municipality")
        .order_by("created_at")
    )


# --- History ---------------------------------------------------------------------------------------------
def idea_history(*, idea: Idea) -> QuerySet[ParticipationEvent]:
    return (
        ParticipationEvent.objects.filter(idea=idea)
        .select_related("actor", "acting_town")
        .order_by("-at", "-pk")
    )
