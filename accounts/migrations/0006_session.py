"""Sessions move to accounts.Session (SESSION_ENGINE "accounts.sessions"), which keeps the signed-in person's id in
an indexed column. Live sessions are copied with that id read from their data, so nobody has to sign in again; the
copied rows leave Django's old table, which is no longer used. Reversible: the sessions go back."""

from django.db import migrations, models
from django.utils import timezone

BATCH = 2000


def _user_id(store, data: str):
    try:
        return int(store.decode(data).get("_auth_user_id"))
    except (TypeError, ValueError):
        return None


def copy_sessions(apps, schema_editor):
    from django.contrib.sessions.backends.db import SessionStore

    Old = apps.get_model("sessions", "Session")
    New = apps.get_model("accounts", "Session")
    store = SessionStore()
    live = Old.objects.filter(expire_date__gt=timezone.now()).order_by("session_key")
    batch = []
    for old in live.iterator(chunk_size=BATCH):
        batch.append(
            New(
                session_key=old.session_key,
                session_data=old.session_data,
                expire_date=old.expire_date,
                user_id=_user_id(store, old.session_data),
            )
        )
        if len(batch) >= BATCH:
            New.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    New.objects.bulk_create(batch, ignore_conflicts=True)
    Old.objects.all().delete()


def copy_sessions_back(apps, schema_editor):
    Old = apps.get_model("sessions", "Session")
    New = apps.get_model("accounts", "Session")
    batch = []
    for new in (
        New.objects.filter(expire_date__gt=timezone.now()).order_by("session_key").iterator(chunk_size=BATCH)
    ):
        batch.append(
            Old(session_key=new.session_key, session_data=new.session_data, expire_date=new.expire_date)
        )
        if len(batch) >= BATCH:
            Old.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Old.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_job_heartbeat"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Session",
            fields=[
                (
                    "session_key",
                    models.CharField(
                        max_length=40, primary_key=True, serialize=False, verbose_name="session key"
                    ),
                ),
                ("session_data", models.TextField(verbose_name="session data")),
                ("expire_date", models.DateTimeField(db_index=True, verbose_name="expire date")),
                (
                    "user_id",
                    models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name="user"),
                ),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "db_table": "accounts_session",
                "abstract": False,
            },
        ),
        migrations.RunPython(copy_sessions, copy_sessions_back),
    ]
