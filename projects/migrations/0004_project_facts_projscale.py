# The facts the project lists show, stored on the project (kept by projects.services.project_facts_refresh).

from django.db import migrations, models


def _own(row: str) -> str:
    """A project's own progress (the rule of projects.selectors at the time of this migration)."""
    return (
        f"CASE WHEN {row}.status = 'completed' THEN 100 ELSE COALESCE(("
        "SELECT u.progress_percent FROM projects_progressupdate u "
        f"WHERE u.project_id = {row}.id AND u.progress_percent IS NOT NULL "
        "ORDER BY u.published_on DESC, u.id DESC LIMIT 1), 0) END"
    )


CHILDREN = "FROM projects_project c WHERE c.parent_id = projects_project.id AND c.status <> 'cancelled'"

FILL = f"""
UPDATE projects_project SET
    last_update_on = (
        SELECT MAX(u.published_on) FROM projects_progressupdate u WHERE u.project_id = projects_project.id
    ),
    partner_count = (
        SELECT COUNT(*) FROM projects_projectpartner p WHERE p.project_id = projects_project.id
    ),
    stored_progress = CASE
        WHEN EXISTS (SELECT 1 {CHILDREN})
        THEN (
            SELECT CAST(SUM(({_own("c")}) * c.weight) AS DOUBLE PRECISION)
                / CAST(SUM(c.weight) AS DOUBLE PRECISION) {CHILDREN}
        )
        ELSE CAST(({_own("projects_project")}) AS DOUBLE PRECISION)
    END
"""


RECENT = models.Index(
    models.OrderBy(models.F("last_update_on"), descending=True, nulls_last=True),
    models.F("title"),
    condition=models.Q(("visibility", "public")),
    name="project_public_recent",
)


def _recent_for(connection) -> models.Index:
    if connection.vendor == "postgresql":
        return RECENT
    return models.Index(
        models.OrderBy(models.F("last_update_on"), descending=True),
        models.F("title"),
        condition=RECENT.condition,
        name=RECENT.name,
    )


def _add_recent(apps, schema_editor):
    schema_editor.add_index(apps.get_model("projects", "Project"), _recent_for(schema_editor.connection))


def _remove_recent(apps, schema_editor):
    schema_editor.remove_index(apps.get_model("projects", "Project"), _recent_for(schema_editor.connection))


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0003_event_base_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="last_update_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="Last update"),
        ),
        migrations.AddField(
            model_name="project",
            name="partner_count",
            field=models.PositiveSmallIntegerField(default=0, editable=False, verbose_name="partner towns"),
        ),
        migrations.AddField(
            model_name="project",
            name="stored_progress",
            field=models.FloatField(default=0, editable=False, verbose_name="progress (%)"),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=True),
        # SQLite refuses NULLS LAST in an index; it sorts NULL first ascending, so last descending, anyway.
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="project", index=RECENT)],
            database_operations=[migrations.RunPython(_add_recent, _remove_recent, elidable=True)],
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(
                condition=models.Q(("latitude__isnull", False), ("visibility", "public")),
                fields=["title"],
                name="project_public_located",
            ),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(
                models.Case(
                    models.When(then=models.Value(0), transferability="yes"), default=models.Value(1)
                ),
                models.F("title"),
                condition=models.Q(("transferability__in", ["yes", "partly"]), ("visibility", "public")),
                name="project_catalogue_order",
            ),
        ),
    ]
