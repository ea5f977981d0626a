"""The report history joins the one history mechanism (smartcity5.history.HistoryEvent): ``remark`` becomes
``reason`` (renamed, the data stays), and ``changes`` is added and filled for the rows written before, from their
statuses, as people read them (the status labels in the portal's main language)."""

from django.conf import settings
from django.db import migrations, models
from django.utils import translation
from django.utils.translation import gettext, pgettext


def _labels() -> dict[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "draft": gettext("Draft"),
            "submitted": gettext("Submitted"),
            "accepted": pgettext("progress report status", "Accepted"),
            "returned": gettext("Returned"),
        }


def fill_changes(apps, schema_editor):
    Event = apps.get_model("reviews", "ProgressReportEvent")
    labels = _labels()
    rows = []
    for event in Event._base_manager.exclude(status_after="").only(
        "status_before", "status_after", "changes"
    ):
        old, new = (
            labels.get(event.status_before, event.status_before),
            labels.get(event.status_after, event.status_after),
        )
        event.changes = {"status": [old, new]}
        rows.append(event)
    Event._base_manager.bulk_update(rows, ["changes"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0002_review_comment_from_town"),
    ]

    operations = [
        migrations.RenameField(
            model_name="progressreportevent",
            old_name="remark",
            new_name="reason",
        ),
        migrations.AddField(
            model_name="progressreportevent",
            name="changes",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Field → [old, new], as shown to people.",
                verbose_name="changes",
            ),
        ),
        migrations.AlterField(
            model_name="progressreportevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Draft generated"),
                    ("refreshed", "Figures refreshed"),
                    ("texts", "Texts changed"),
                    ("status", "Status changed"),
                ],
                max_length=30,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="progressreportevent",
            name="subject",
            field=models.CharField(
                blank=True,
                help_text="The row the change concerns, as people name it.",
                max_length=300,
                verbose_name="subject",
            ),
        ),
        migrations.RunPython(fill_changes, migrations.RunPython.noop),
    ]
