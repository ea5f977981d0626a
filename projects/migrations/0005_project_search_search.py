"""The project search served by indexes (smartcity5.search): on PostgreSQL a GIN trigram index on each searched
column, as the ideas have (participation 0004), and on every database the town's list order
(``project_town_recent``), which a town's search walks until it has its first 1,001 matches."""

from django.db import migrations, models

from smartcity5.search import trigram_index_operations

# As projects.selectors.SEARCH_COLUMNS at the time of this migration.
SEARCH_COLUMNS = ("title", "summary", "description", "location_label")

TOWN_RECENT = models.Index(
    models.F("municipality"),
    models.OrderBy(models.F("last_update_on"), descending=True, nulls_last=True),
    models.F("title"),
    name="project_town_recent",
)


def _town_recent_for(connection) -> models.Index:
    if connection.vendor == "postgresql":
        return TOWN_RECENT
    # SQLite refuses NULLS LAST in an index; it sorts NULL first ascending, so last descending, anyway.
    return models.Index(
        models.F("municipality"),
        models.OrderBy(models.F("last_update_on"), descending=True),
        models.F("title"),
        name=TOWN_RECENT.name,
    )


def _add(apps, schema_editor):
    schema_editor.add_index(apps.get_model("projects", "Project"), _town_recent_for(schema_editor.connection))


def _remove(apps, schema_editor):
    schema_editor.remove_index(
        apps.get_model("projects", "Project"), _town_recent_for(schema_editor.connection)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0004_project_facts_projscale"),
    ]

    operations = [
        trigram_index_operations("projects", "Project", "project", SEARCH_COLUMNS),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="project", index=TOWN_RECENT)],
            database_operations=[migrations.RunPython(_add, _remove)],
        ),
    ]
