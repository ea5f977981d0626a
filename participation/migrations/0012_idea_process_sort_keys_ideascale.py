"""The per-process idea indexes hold each sort of ``selectors.SORTS`` to its last key (created_at, id), so that a
town-wide list reads each process's part of a page in order from its index and stops there (selectors.IdeaPages),
also when it starts at a cursor (a row comparison over the sort's columns). They replace the three shorter ones."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0011_event_process_time_scalestaff"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="idea",
            name="idea_process_visible_new",
        ),
        migrations.RemoveIndex(
            model_name="idea",
            name="idea_process_supported",
        ),
        migrations.RemoveIndex(
            model_name="idea",
            name="idea_process_discussed",
        ),
        migrations.AddIndex(
            model_name="idea",
            index=models.Index(
                fields=["process", "moderation", "-created_at", "-id"], name="idea_process_new"
            ),
        ),
        migrations.AddIndex(
            model_name="idea",
            index=models.Index(
                fields=["process", "moderation", "-support_count", "-created_at", "-id"],
                name="idea_process_sup",
            ),
        ),
        migrations.AddIndex(
            model_name="idea",
            index=models.Index(
                fields=["process", "moderation", "-comment_count", "-created_at", "-id"],
                name="idea_process_disc",
            ),
        ),
    ]
