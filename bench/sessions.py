"""Benchmark: ending one person's sessions among 100,000 live ones (account deletion, password change).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sc5_bench_sessions .venv/bin/python bench/sessions.py

Creates a scratch database of its own (the name must start with ``sc5_bench``), fills ``--sessions`` live signed-in
sessions of ``--people`` people (two each by default) as the session engine writes them, then times, median of
``--repeat``: the former way (read every live session, decode it, compare the person's id) and
``accounts.services.sessions_end`` (delete by the indexed ``user_id``), and a whole ``account_delete``. Each round
signs a fresh person in twice first, so every measurement ends two real sessions.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity5.settings")

BATCH = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    if not str(name).startswith("sc5_bench"):
        sys.exit(f"Refusing to fill database {name!r}: use a scratch database named sc5_bench…")
    _ensure_database(settings.DATABASES["default"])
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _fill(args.sessions)
    _measure(args.repeat)


def _ensure_database(db: dict) -> None:
    if "postgresql" not in db["ENGINE"]:
        return
    import psycopg

    dsn = f"host={db.get('HOST') or '127.0.0.1'} port={db.get('PORT') or 5432} user={db.get('USER') or 'postgres'}"
    with psycopg.connect(dsn + " dbname=postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def _login_data(user) -> dict:
    return {
        "_auth_user_id": str(user.pk),
        "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
        "_auth_user_hash": user.get_session_auth_hash(),
    }


def _fill(count: int) -> None:
    from django.utils import timezone

    from accounts.models import Session, User
    from accounts.sessions import SessionStore

    live = Session.objects.filter(expire_date__gt=timezone.now()).count()
    if live >= count:
        print(f"{live} live sessions already there")
        return
    people = (count - live) // 2
    started = time.monotonic()
    store = SessionStore()
    expires = timezone.now() + timezone.timedelta(days=14)
    first = User.objects.count()
    users = User.objects.bulk_create(
        [User(email=f"bench{first + n}@example.org", password="!") for n in range(people)], batch_size=BATCH
    )
    rows = []
    for user in users:
        data = store.encode(_login_data(user))
        for _device in range(2):
            rows.append(
                Session(
                    session_key=SessionStore()._get_new_session_key(),
                    session_data=data,
                    expire_date=expires,
                    user_id=user.pk,
                )
            )
        if len(rows) >= BATCH:
            Session.objects.bulk_create(rows)
            rows = []
    Session.objects.bulk_create(rows)
    print(f"filled {2 * people} sessions of {people} people in {time.monotonic() - started:.1f} s")


def _person_with_two_sessions():
    from django.test import Client

    from accounts.models import User

    user = User.objects.create_user(email=f"bench-target-{time.monotonic_ns()}@example.org", password=None)
    for _device in range(2):
        Client().force_login(user)
    return user


def _read_every_session(user) -> int:
    """The former ``accounts.services._delete_sessions``: every live session read and decoded."""
    from django.utils import timezone

    from accounts.models import Session
    from accounts.sessions import SessionStore

    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            SessionStore(session_key=session.session_key).delete()
            ended += 1
    return ended


def _timed(function) -> tuple[float, int]:
    user = _person_with_two_sessions()
    started = time.perf_counter()
    result = function(user)
    return time.perf_counter() - started, result


def _measure(repeat: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from accounts import services
    from accounts.models import Session

    print(
        f"{Session.objects.filter(expire_date__gt=timezone.now()).count()} live sessions, "
        f"PostgreSQL {connection.pg_version if connection.vendor == 'postgresql' else connection.vendor}"
    )
    for label, function in (
        ("former: read and decode every live session", _read_every_session),
        ("sessions_end: delete by user_id", lambda user: services.sessions_end(user=user)),
        ("account_delete (whole deletion)", lambda user: services.account_delete(user=user) or 2),
    ):
        runs = [_timed(function) for _ in range(repeat)]
        assert all(ended == 2 for _seconds, ended in runs), runs
        times = sorted(seconds for seconds, _ended in runs)
        print(
            f"{label:45} median {statistics.median(times) * 1000:9.1f} ms   worst {times[-1] * 1000:9.1f} ms"
        )


if __name__ == "__main__":
    main()
