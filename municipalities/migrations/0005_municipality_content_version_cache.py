from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("municipalities", "0004_municipality_ars_opendata"),
    ]

    operations = [
        migrations.AddField(
            model_name="municipality",
            name="content_version",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
    ]
