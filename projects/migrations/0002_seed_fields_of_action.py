"""Seed the shared catalogue of fields of action (from the consortium's published fields; editable in
the admin afterwards)."""

from django.db import migrations

FIELDS = [
    ("mobilitaet", "Mobilität"),
    ("klima-energie-umwelt", "Klima, Energie & Umwelt"),
    ("stadtentwicklung-wohnen", "Stadtentwicklung & Wohnen"),
    ("bildung", "Bildung"),
    ("gesundheit-pflege", "Gesundheit & Pflege"),
    ("soziales-teilhabe", "Soziales & Teilhabe"),
    ("wirtschaft-innovation", "Wirtschaft & Innovation"),
    ("kultur-freizeit-tourismus", "Kultur, Freizeit & Tourismus"),
    ("verwaltung-beteiligung", "Verwaltung & Beteiligung"),
    ("daten-digitale-infrastruktur", "Daten & digitale Infrastruktur"),
]


def seed(apps, schema_editor):
    FieldOfAction = apps.get_model("projects", "FieldOfAction")
    for position, (slug, name) in enumerate(FIELDS, start=1):
        FieldOfAction.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
