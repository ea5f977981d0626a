"""``Project.search_text``: title, summary, description and place in capitals, one generated column that the
database keeps with every write, so that the text search tests one column per word (smartcity5.search, "Stored
text"), as ideas do since participation 0016. Its GIN trigram index replaces those of migration 0005 on the summary,
the description and the place (PostgreSQL only), which no search reads any more. The title's stays: the staff's
project link on an idea looks in titles (``participation.selectors.idea_page.project_link_choices``)."""

import django.db.models.functions.text
from django.db import migrations, models

from smartcity5.search import trigram_index_operations

OLD_COLUMNS = ("summary", "description", "location_label")


def drop_old(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in OLD_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS project_{column}_trgm")


def create_old(apps, schema_editor):
    trigram_index_operations("projects", "Project", "project", OLD_COLUMNS).code(apps, schema_editor)


class AddSearchText(migrations.AddField):
    """The column, added in place on SQLite too. SQLite adds a generated column with ``ALTER TABLE`` only as
    ``VIRTUAL`` (computed when read, with the same values); Django would add a ``STORED`` one by rebuilding the
    table, and the rebuild creates the model's indexes, of which ``project_public_recent`` (``NULLS LAST``, migration
    0004) cannot be created by SQLite."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        definition, params = schema_editor.column_sql(model, field, include_default=False)
        definition = definition.replace(" STORED", " VIRTUAL")
        table, column = schema_editor.quote_name(model._meta.db_table), schema_editor.quote_name(field.column)
        schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}", params or None)
        return None

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        table, column = schema_editor.quote_name(model._meta.db_table), schema_editor.quote_name(field.column)
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        return None


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0005_project_search_search"),
    ]

    operations = [
        AddSearchText(
            model_name="project",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Upper(
                    django.db.models.functions.text.Concat(
                        "title",
                        models.Value("\n"),
                        "summary",
                        models.Value("\n"),
                        "description",
                        models.Value("\n"),
                        "location_label",
                        output_field=models.TextField(),
                    )
                ),
                output_field=models.TextField(),
                verbose_name="search text",
            ),
        ),
        trigram_index_operations("projects", "Project", "project", ["search_text"], stored=True),
        migrations.RunPython(drop_old, create_old),
    ]
