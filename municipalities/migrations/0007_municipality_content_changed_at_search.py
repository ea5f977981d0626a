"""``Municipality.content_changed_at``: when the town's page version last moved (municipalities.freshness), the API
project list's Last-Modified. Existing towns start at the migration's time: later than any change before it, so no
client keeps a copy older than what it shows."""

from django.db import migrations, models
from django.utils import timezone


def fill(apps, schema_editor):
    apps.get_model("municipalities", "Municipality")._base_manager.update(content_changed_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("municipalities", "0006_figures_change_scalestaff"),
    ]

    operations = [
        migrations.AddField(
            model_name="municipality",
            name="content_changed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
