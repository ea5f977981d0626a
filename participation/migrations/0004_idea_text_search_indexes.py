"""Trigram indexes for the idea text search (PostgreSQL only).

The search (``participation.selectors.filter_ideas``) keeps its meaning: every word must occur somewhere in the
title, the description or the place, as a part of a word too ("platz" finds "Spielplatz", which German
full-text search would not). Django writes ``icontains`` as ``UPPER(column::text) LIKE UPPER('%word%')`` on
PostgreSQL; a GIN index with ``gin_trgm_ops`` over exactly that expression lets PostgreSQL answer it from the
index instead of reading every idea. ``pg_trgm`` is a trusted extension (PostgreSQL 13+), so the database owner
may create it. SQLite (the first-run default) gets no index and searches as before.
"""

from django.db import migrations

COLUMNS = ("title", "body", "location_label")


def _index(column: str) -> str:
    return f"idea_{column}_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("participation", "Idea")._meta.db_table)
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_index(column)} ON {table} "
            f"USING gin (UPPER({schema_editor.quote_name(column)}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_index(column)}")


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0003_counts_changed_at"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
