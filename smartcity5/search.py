"""The one text search of the portal, for ideas and projects (docs/ARCHITECTURE.md, "Search").

**Meaning.** Up to :data:`MAX_WORDS` words of the visitor's text; every word must occur in one of the searched
columns, as a part of a word too, whatever the case ("platz" finds "Spielplatz", "straße" finds "Hauptstraße"):
Django's ``icontains``, on PostgreSQL ``UPPER(column::text) LIKE UPPER('%word%')``, on SQLite ``LIKE`` with its
case folding.

**Stored text.** Ideas keep their searched columns in one generated column, in capitals
(``Idea.search_text``, kept by the database with every write): a word is one ``LIKE`` on it
(:func:`stored_text_condition`), with the same meaning, instead of upper-casing three columns for every row the
search walks (a common word's first request walks thousands of rows at 40,000 ideas a town: that made it grow
1.6–1.8× from 1,000, bench/README.md). Projects search their columns as above.

**Index.** On PostgreSQL each searched column has a GIN trigram index (``pg_trgm``) over exactly that expression
(:func:`trigram_index_operations`, used by the ideas' and the projects' migrations), so a rare word is found from
the index's posting lists instead of reading every row. SQLite (the demo) has no such index and reads the rows.

**Reading.** A search reads its first :data:`COUNT_CAP` + 1 matches in the list's own order, once, as (id, has a
place) (``smartcity5.pagination``: "more than 200"); the capped count, every page and the map's points come from
them (``participation.selectors.ideas.IdeaPages``, :class:`Matches` for projects). PostgreSQL chooses between walking
the list's sort index until enough rows matched (a common word: it stops early) and the trigram indexes (a rare
word: few rows). The matches are cached under the stored version of what the list shows
(:func:`capped_matches`): the deeper pages of a search, and the same search again, read ids from the cache.
"""

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Upper

from .pagination import COUNT_CAP

#: Words of a search that count; more are ignored (each is one more condition on every row).
MAX_WORDS = 8

__all__ = [
    "COUNT_CAP",
    "MAX_WORDS",
    "Matches",
    "capped_matches",
    "search_words",
    "stored_text_condition",
    "text_condition",
    "trigram_index_operations",
]


def search_words(text: str) -> list[str]:
    """The words of a visitor's search text that are searched for."""
    return text.split()[:MAX_WORDS]


def text_condition(word: str, columns: Iterable[str]) -> Q:
    """Rows in which ``word`` occurs in one of ``columns`` (case-insensitive, inside words too)."""
    condition = Q()
    for column in columns:
        condition |= Q(**{f"{column}__icontains": word})
    return condition


def stored_text_condition(word: str, column: str) -> Q:
    """Rows whose stored capitalised text (``column``, see "Stored text") holds ``word``: the word upper-cased by the
    database, as ``icontains`` does it, and matched inside words too."""
    return Q(**{f"{column}__contains": Upper(Value(word))})


def trigram_index_name(prefix: str, column: str) -> str:
    return f"{prefix}_{column}_trgm"


def trigram_index_operations(
    app_label: str, model_name: str, prefix: str, columns: Sequence[str], *, stored: bool = False
) -> Any:
    """A migration operation that gives each of ``columns`` the GIN trigram index the search uses on PostgreSQL
    (``UPPER(column::text) gin_trgm_ops``, what ``icontains`` compiles to; ``stored``: over the column itself, a
    stored text in capitals); nothing on other databases."""
    from django.db import migrations

    def create(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(apps.get_model(app_label, model_name)._meta.db_table)
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in columns:
            indexed = schema_editor.quote_name(column)
            if not stored:
                indexed = f"UPPER({indexed}::text)"
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {trigram_index_name(prefix, column)} ON {table} "
                f"USING gin ({indexed} gin_trgm_ops)"
            )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for column in columns:
            schema_editor.execute(f"DROP INDEX IF EXISTS {trigram_index_name(prefix, column)}")

    return migrations.RunPython(create, drop)


#: How long a search's matches are kept (under the stored version of what they were read from, so never stale).
MATCHES_SECONDS = 10 * 60


def capped_matches(
    rows: QuerySet[Any, Any], cap: int, *, version: str | None = None
) -> list[tuple[int, bool]]:
    """The first ``cap + 1`` rows of ``rows`` (a ``values_list("id", "latitude")`` in the list's order) as (id, has a
    place). With ``version`` (the stored version of every row the list can hold, moved in the writers'
    transactions) they are kept in the cache under it and the query's SQL: a visitor paging through a search, or
    the next visitor with the same search, reads ids from the cache instead of searching again (a common word's
    search grows with the town's ideas; the ids of 201 matches are a few KiB)."""
    key = None
    if version is not None:
        sql, params = rows.query.sql_with_params()
        digest = hashlib.sha256(f"{sql}|{params!r}|{cap}".encode()).hexdigest()[:32]
        key = f"search:matches:v1:{version}:{digest}"
        found = cache.get(key)
        if found is not None:
            return [(pk, has_place) for pk, has_place in found]
    matches = [(pk, latitude is not None) for pk, latitude in rows[: cap + 1]]
    if key is not None:
        cache.set(key, matches, MATCHES_SECONDS)
    return matches


class Matches:
    """A searched project list's first matches, as (id, has a place), read once by the paginator
    (``CountedPaginator(…, cap=COUNT_CAP)`` calls :meth:`matches`): the capped count, every page (they end at the
    cap) and the map's points are taken from them, as ``participation.selectors.ideas.IdeaPages`` does for ideas.
    ``rows``: the list (a queryset in its order); ``by_ids(ids)``: the rows of those ids in the list's order, without
    the search's conditions again (default: ``rows`` by id); ``version``: see :func:`capped_matches`."""

    def __init__(self, rows: QuerySet[Any, Any], *, by_ids: Any = None, version: str | None = None) -> None:
        self._qs = rows
        self._by_ids = by_ids or (lambda ids: rows.filter(pk__any_of=ids))
        self._version = version
        self._matches: list[tuple[int, bool]] | None = None

    def matches(self, cap: int) -> list[tuple[int, bool]]:
        if self._matches is None:
            rows = self._qs.select_related(None).prefetch_related(None).values_list("id", "latitude")
            self._matches = capped_matches(rows, cap, version=self._version)
        return self._matches

    def located(self, limit: int) -> list[int]:
        """The ids of the first ``limit`` matches with a place (the map's points)."""
        return [pk for pk, has_place in self.matches(COUNT_CAP) if has_place][:limit]

    def __getitem__(self, key: slice) -> list[Any]:
        if not isinstance(key, slice):
            raise TypeError("Matches is read by slices")
        ids = [pk for pk, _ in self.matches(COUNT_CAP)[key.start or 0 : key.stop]]
        return list(self._by_ids(ids)) if ids else []  # in the list's order

    def count(self) -> int:
        return min(len(self.matches(COUNT_CAP)), COUNT_CAP)
