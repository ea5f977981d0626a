"""Issue 17 item 7: the abuse flag is called ContentFlag (it was Report, beside reviews.ProgressReport and
reports.ReportRequest), and an idea's or comment's flags are ``.flags``. The table is renamed; rows, constraints
and indexes stay."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0012_idea_process_sort_keys_ideascale"),
    ]

    operations = [
        migrations.RenameModel(old_name="Report", new_name="ContentFlag"),
        migrations.AlterField(
            model_name="contentflag",
            name="comment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="flags",
                to="participation.comment",
                verbose_name="comment",
            ),
        ),
        migrations.AlterField(
            model_name="contentflag",
            name="idea",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="flags",
                to="participation.idea",
                verbose_name="idea",
            ),
        ),
    ]
