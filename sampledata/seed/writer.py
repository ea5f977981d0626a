"""Bulk inserts for synthetic data: PostgreSQL's COPY through psycopg 3, plain batched INSERTs elsewhere.

Rows are written with their primary keys: the seeder numbers rows itself (from the table's highest id on), so
that children refer to parents without reading them back, and resets the sequences at the end.
"""

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection, models
from django.db.models import Max
from django.utils import timezone


class Writer:
    """Writes rows of one model at a time; counts what it wrote per table."""

    BATCH = 5000

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}
        self.now = timezone.now()

    def first_id(self, model: type[models.Model]) -> int:
        """The id after the highest one in the table (the seeder numbers its rows from there)."""
        return (model._base_manager.aggregate(last=Max("pk"))["last"] or 0) + 1

    def _columns(self, model, given: tuple[str, ...]) -> tuple[list, tuple]:
        """All concrete fields in insert order (the given ones first) and the values of the others: their
        defaults, or the time of the run for ``auto_now`` fields."""
        # Generated columns (``Idea.search_text``) are the database's to fill.
        stored = [f for f in model._meta.concrete_fields if not f.generated]
        by_attname = {f.attname: f for f in stored}
        missing = [f for f in stored if f.attname not in given]
        tail = []
        for field in missing:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                tail.append(self.now)
            elif field.has_default():
                tail.append(field.get_default())
            elif field.null:
                tail.append(None)
            elif field.empty_strings_allowed:
                tail.append("")
            else:
                raise ValueError(f"{model.__name__}.{field.name} needs a value")
        return [by_attname[name] for name in given] + missing, tuple(tail)

    def insert(self, model: type[models.Model], given: tuple[str, ...], rows: Iterable[tuple]) -> int:
        """Insert ``rows`` (tuples of the ``given`` attributes, e.g. ``("id", "idea_id", "user_id")``); the other
        columns get their defaults. Returns the number of rows."""
        fields, tail = self._columns(model, given)
        table = model._meta.db_table
        names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
        written = 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.copy(f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        row = row + tail
                        if json_at:
                            row = list(row)  # type: ignore[assignment]  # a copy to change
                            for i in json_at:
                                row[i] = json.dumps(row[i], ensure_ascii=False)  # type: ignore[index]
                        copy.write_row(row)
                        written += 1
            else:
                sql = (
                    f"INSERT INTO {connection.ops.quote_name(table)} ({names}) "
                    f"VALUES ({', '.join(['%s'] * len(fields))})"
                )
                batch = []
                for row in rows:
                    row = row + tail
                    batch.append(
                        [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
                    )
                    if len(batch) >= self.BATCH:
                        cursor.executemany(sql, batch)
                        written += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    written += len(batch)
        self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + written
        return written

    @contextmanager
    def foreign_keys_checked_at_the_end(self, models_: Iterable[type[models.Model]]) -> Iterator[None]:
        """PostgreSQL: take the foreign keys of these tables off for the load and put them back at its end, in the
        same transaction. Putting a key back checks every row at once (one join per key); kept on, each of millions
        of rows would queue a check of its own for the commit. Other sessions never see the tables without their
        keys (the transaction holds them locked), and a failure rolls the keys back with the rows."""
        if not self.postgres:
            yield
            return
        tables = [model._meta.db_table for model in models_]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
                [tables],
            )
            keys = cursor.fetchall()
            # Checks still queued for rows written before (the towns) would block taking a key off.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table, name, _definition in keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        yield
        with connection.cursor() as cursor:
            for table, name, definition in keys:
                cursor.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
                )
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def reset_sequences(self, models_: Iterable[type[models.Model]]) -> None:
        """Let the tables' own id sequences continue after the rows written with explicit ids."""
        statements = connection.ops.sequence_reset_sql(_NoStyle(), list(models_))  # type: ignore[arg-type]  # no colours
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


class _NoStyle:
    def __getattr__(self, name):
        return lambda text: text
