"""``Idea.search_text``: title, description and place in capitals, one generated column that the database keeps with
every write, so that the text search tests one column per word (smartcity5.search, "Stored text"); its GIN
trigram index replaces those of migration 0004 on the description and the place (PostgreSQL only), which no search
reads any more. The title's stays: the staff's merge search looks in titles (``selectors.merge_choices``)."""

import django.db.models.functions.text
from django.db import migrations, models

from smartcity5.search import trigram_index_operations

OLD_COLUMNS = ("body", "location_label")


def drop_old(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in OLD_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS idea_{column}_trgm")


def create_old(apps, schema_editor):
    trigram_index_operations("participation", "idea", "idea", OLD_COLUMNS).code(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0015_survey_phase_surveys"),
    ]

    operations = [
        migrations.AddField(
            model_name="idea",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Upper(
                    django.db.models.functions.text.Concat(
                        "title",
                        models.Value("\n"),
                        "body",
                        models.Value("\n"),
                        "location_label",
                        output_field=models.TextField(),
                    )
                ),
                output_field=models.TextField(),
                verbose_name="search text",
            ),
        ),
        trigram_index_operations("participation", "idea", "idea", ["search_text"], stored=True),
        migrations.RunPython(drop_old, create_old),
    ]
