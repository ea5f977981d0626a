"""Notifications planned for an immediate e-mail that was never sent (their task was lost before the outbox, e.g.
the broker was down at commit) are handed over once through the outbox; the task sends each at most once."""

from django.db import migrations


def hand_over_unsent(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    OutboxTask = apps.get_model("outbox", "OutboxTask")
    unsent = Notification._base_manager.filter(email_plan="immediate", emailed_at__isnull=True).values_list(
        "pk", "municipality_id"
    )
    OutboxTask.objects.bulk_create(
        [
            OutboxTask(
                task="notifications.tasks.notification_email_send",
                kwargs={"municipality_id": town, "notification_id": pk},
            )
            for pk, town in unsent.iterator()
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
        ("notifications", "0003_notification_email_claimed_at"),
    ]

    operations = [migrations.RunPython(hand_over_unsent, migrations.RunPython.noop)]
