"""``Idea.answered_at``: the moment of an idea's latest official answer, stored on the idea (kept by
``participation.services.idea_answer``), so that the lists' "answered" filter reads a column instead of looking for
an answer row per idea. Filled here from the answers (the rule of ``participation.selectors.answered_at``)."""

from django.db import migrations, models

FILL = """
UPDATE participation_idea SET answered_at = (
    SELECT MAX(a.created_at) FROM participation_officialanswer a WHERE a.idea_id = participation_idea.id
)
WHERE EXISTS (SELECT 1 FROM participation_officialanswer a WHERE a.idea_id = participation_idea.id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0013_contentflag_flag"),
    ]

    operations = [
        migrations.AddField(
            model_name="idea",
            name="answered_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="last answered"),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=True),
    ]
