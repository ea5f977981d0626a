"""What keeps the workers of a parallel run (pytest-xdist, `make test`) apart: each has its own Redis database and
its own share of the private servers' ports (tests/conftest.py, tests/servers.py; docs/ARCHITECTURE.md "Tests").
And what lets the suite empty the database by DELETE after a transactional test (tests/conftest.py)."""

import os
import re
import subprocess

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from smartcity5.celery import app as celery_app

from . import factories
from .conftest import KEPT_BY_FLUSH, REDIS_URL_OF_THE_RUN, need, worker_redis_url
from .helpers import ROOT
from .servers import ALL_PORTS, PORTS, worker_ports


def test_each_worker_gets_the_next_redis_database():
    assert worker_redis_url("redis://127.0.0.1:6379/1", "gw0") == "redis://127.0.0.1:6379/1"
    assert worker_redis_url("redis://127.0.0.1:6379/1", "gw1") == "redis://127.0.0.1:6379/2"
    assert worker_redis_url("redis://:secret@redis:6379", "gw2") == "redis://:secret@redis:6379/2"
    assert worker_redis_url("redis://127.0.0.1:6379/2", "") == "redis://127.0.0.1:6379/2"  # no xdist
    assert worker_redis_url("", "gw1") == ""  # no Redis: local-memory cache
    with pytest.raises(pytest.UsageError, match="Redis has 0-15"):
        worker_redis_url("redis://127.0.0.1:6379/14", "gw2")


def test_this_process_uses_its_own_redis_database_everywhere():
    own = worker_redis_url(REDIS_URL_OF_THE_RUN, os.environ.get("PYTEST_XDIST_WORKER", ""))
    assert own == settings.REDIS_URL
    if own:
        assert settings.CELERY_BROKER_URL == own == celery_app.conf.broker_url == os.environ["REDIS_URL"]
        assert settings.CACHES["default"]["LOCATION"] == own
        assert caches["default"]._servers == [own]


def test_the_workers_share_the_private_servers_ports_without_overlap():
    assert worker_ports("", "1") == ALL_PORTS
    for count in (2, 3, 4):
        shares = [set(worker_ports(f"gw{index}", str(count))) for index in range(count)]
        assert all(share and share <= set(ALL_PORTS) for share in shares)
        assert sum(map(len, shares)) == len(set().union(*shares))  # no port in two shares
    with pytest.raises(RuntimeError):
        worker_ports("gw0", "40")
    assert set(PORTS) <= set(ALL_PORTS)


def test_make_test_runs_one_worker_more_than_the_cores_at_most_four():
    # A worker waiting for a server, a real worker or a fault test's timeout leaves its core to the one more.
    # Not what the `make test` running this suite was given (a sub-make reads its variables from MAKEFLAGS).
    env = {
        k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "TEST_WORKERS"}
    }

    def workers(*assignments: str) -> str:
        dry = subprocess.run(
            ["make", "-s", "-n", "test", *assignments],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return re.search(r"-m pytest -n (\S+) --maxprocesses 4 ", dry).group(1)

    assert workers() == str(min(len(os.sched_getaffinity(0)) + 1, 4))
    assert workers("TEST_WORKERS=0") == "0"  # one process, as the Makefile's comment says
    assert workers("TEST_WORKERS=auto") == "auto"  # one per core (xdist's own count, at most 4)


# --- The flush after transactional tests (tests/conftest.py, _delete_flush) ------------------------------------


@pytest.mark.django_db
def test_the_schema_can_be_emptied_by_delete_as_the_flush_does():
    """DELETE FROM every table in one transaction empties the database only while every foreign key is checked at
    the commit and no trigger of our own runs on a delete."""
    need(connection.vendor == "postgresql", "DATABASE_URL must point at PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE contype = 'f' AND NOT (condeferrable AND condeferred)"
        )
        assert cursor.fetchall() == [], "a foreign key that is not DEFERRABLE INITIALLY DEFERRED"
        cursor.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal")
        assert cursor.fetchall() == [], "a trigger of our own: the flush by DELETE would run it"


def _rows_per_table() -> dict[str, int]:
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    rows = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            rows[table] = cursor.fetchone()[0]
    return rows


@pytest.mark.django_db(transaction=True)
def test_the_flush_empties_every_table_but_what_post_migrate_would_make_again(town_a, editor_a, citizen):
    need(connection.vendor == "postgresql", "DATABASE_URL must point at PostgreSQL")
    assert connection.ops.sql_flush(no_style(), ["a", "b"]) == ['DELETE FROM "a";', 'DELETE FROM "b";']
    assert connection.ops.sql_flush(no_style(), ["a", "django_content_type", "auth_permission"]) == [
        'DELETE FROM "a";'
    ]
    assert connection.ops.sql_flush(no_style(), ["a"], reset_sequences=True)[0].startswith("TRUNCATE")
    factories.idea(process=factories.process(municipality=town_a), author=citizen)
    before = _rows_per_table()
    assert len(before) > 50 and before["participation_idea"] == 1 and before["accounts_membership"] == 1
    kept = {table: before[table] for table in KEPT_BY_FLUSH}
    assert kept["django_content_type"] > 50 and kept["auth_permission"] > 200
    content_types = sorted(ContentType.objects.values_list("pk", "app_label", "model"))
    # As pytest-django flushes after a transactional test (without inhibit_post_migrate: the flush adds it).
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)
    assert {table: rows for table, rows in _rows_per_table().items() if rows} == kept
    assert (
        sorted(ContentType.objects.values_list("pk", "app_label", "model")) == content_types
    )  # not made anew
    # The kept rows are all that post_migrate makes: run as migrate runs it, it adds none.
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    assert {table: rows for table, rows in _rows_per_table().items() if rows} == kept
