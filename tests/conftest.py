"""Shared fixtures: towns, one user per role, service checks."""

import contextlib
import os
import shutil
import tempfile
import warnings
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management.commands import flush as flush_command
from django.db import connection, connections, transaction
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.test import override_settings

from accounts.models import Role
from smartcity5 import fragments
from smartcity5.celery import app as celery_app

from . import factories

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_SERVICES = os.environ.get("SMARTCITY5_REQUIRE_SERVICES") == "1"


# --- Parallel runs (pytest-xdist; docs/ARCHITECTURE.md, "Tests") ----------------------------------------------
#
# `make test` runs the suite in several worker processes (gw0, gw1, …). pytest-django gives each its own test
# database (test_<name>_gw0 …); tests/servers.py gives each its own share of the private servers' ports; and here
# each gets a Redis database of its own: REDIS_URL's database number plus the worker's index (db 1 → 1 and 2 for two
# workers), because tests empty their Redis database (`_isolate`) and the task tests' worker reads its broker there.


def worker_redis_url(url: str, worker: str) -> str:
    """``url`` with its database number moved up by the index of ``worker`` ("gw1" → +1; "" → unchanged)."""
    if not worker.startswith("gw") or not url.startswith("redis"):
        return url
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + int(worker[2:])
    if database > 15:
        raise pytest.UsageError(
            f"{url}: worker {worker} would need Redis database {database}; Redis has 0-15. "
            "Use fewer workers (-n) or a lower database number in REDIS_URL."
        )
    return urlunsplit(parts._replace(path=f"/{database}"))


#: REDIS_URL as the run was given it (before the worker's own database number is put in).
REDIS_URL_OF_THE_RUN = django_settings.REDIS_URL


def _own_redis_database() -> None:
    """Point this worker's cache, broker and subprocesses at its own Redis database. Runs when this module is
    imported: after settings.py has read REDIS_URL, before any test, cache connection or Celery connection."""
    url = worker_redis_url(REDIS_URL_OF_THE_RUN, os.environ.get("PYTEST_XDIST_WORKER", ""))
    if url == django_settings.REDIS_URL:
        return
    os.environ["REDIS_URL"] = url  # subprocesses of the tests (workers, servers) inherit it
    caches = {**django_settings.CACHES, "default": {**django_settings.CACHES["default"], "LOCATION": url}}
    # override_settings (never disabled) also makes Django build its cache connections anew.
    override_settings(REDIS_URL=url, CELERY_BROKER_URL=url, CACHES=caches).enable()
    celery_app.conf.broker_url = url


_own_redis_database()


# --- Emptying the database after a transactional test -----------------------------------------------------------
#
# After each transactional test (live server, browser, real worker) pytest-django empties every table with Django's
# flush: on PostgreSQL one TRUNCATE of all 70-odd tables, which replaces each table's and each index's files and
# took 1.7-3.5 s on the shared machine (load 12-15) however few rows the test made. DELETE FROM each table, in
# flush's one transaction, leaves the same empty tables in 0.02-0.03 s there: every foreign key Django creates is DEFERRABLE INITIALLY DEFERRED (checked at the
# commit, when every table is empty), and the schema has no triggers of its own (tests/test_parallel.py checks
# both, so a migration that adds one fails there instead of here). A flush that also resets the sequences or
# cascades (`--reuse-db`'s in django_db_setup below) stays the TRUNCATE.
#
# That flush keeps the content types and permissions, and the flush command skips its post_migrate signal for it:
# after emptying every table, post_migrate made all 71 content types and 284 permissions again, about 14 s of a
# profile of the whole run (py-spy) over its transactional tests. The kept rows are the ones post_migrate would make
# (the migrated schema's models; no test makes content types or permissions of its own), with their ids, so
# ContentType's per-process cache stays true as well (tests/test_parallel.py checks both).

#: Tables that the tests' flush keeps: what Django's post_migrate makes from the models alone.
KEPT_BY_FLUSH = frozenset({"django_content_type", "auth_permission"})


def _keeps_tables(reset_sequences, allow_cascade) -> bool:
    return not reset_sequences and not allow_cascade


def _delete_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    if not tables or not _keeps_tables(reset_sequences, allow_cascade):
        return _truncate_flush(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    return [
        f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
        for table in tables
        if table not in KEPT_BY_FLUSH
    ]


def _flush_handle(self, **options):
    # Django's flush reads these options with these defaults.
    if connections[options["database"]].vendor == "postgresql" and _keeps_tables(
        options.get("reset_sequences", True), options.get("allow_cascade", False)
    ):
        options["inhibit_post_migrate"] = True  # what it would make again is kept (above)
    return _django_flush_handle(self, **options)


_truncate_flush = PostgresOperations.sql_flush
PostgresOperations.sql_flush = _delete_flush  # type: ignore[method-assign]  # the tests' flush, on purpose
_django_flush_handle = flush_command.Command.handle
flush_command.Command.handle = _flush_handle  # type: ignore[method-assign]  # the tests' flush, on purpose


def need(condition: bool, reason: str) -> None:
    """Skip when a service is missing on a developer machine; fail in CI, where it must be there."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"Required in CI: {reason}")
    pytest.skip(reason)


#: Hashing a password properly takes most of a second; tests create hundreds of accounts.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _file_storage(location: str) -> dict:
    return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}}


@pytest.fixture(autouse=True)
def _isolate(settings, tmp_path_factory):
    # Rate-limit counters and other cache entries must not leak from one test into the next.
    cache.clear()
    # Nor values kept per worker under a town's version (smartcity5.fragments.kept_value): a rolled-back test's
    # town id and version come again in the next test (SQLite reuses ids).
    fragments.clear()
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS
    # Uploaded files go to a temporary directory, never into the working copy's media/.
    settings.STORAGES = {**settings.STORAGES, "default": _file_storage(str(tmp_path_factory.mktemp("media")))}
    # Ordinary tests run tasks inline; tests that claim to test tasks use a real worker (tests/tasks).
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = django_settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture
def town_a(db):
    return factories.MunicipalityFactory(name="Arnsberg", slug="arnsberg", is_lead=True)


@pytest.fixture
def town_b(db):
    return factories.MunicipalityFactory(name="Soest", slug="soest")


def _staff(municipality, role, *, mfa=True):
    return factories.staff_member(municipality=municipality, role=role, mfa=mfa)


@pytest.fixture
def viewer_a(town_a):
    return _staff(town_a, Role.VIEWER)


@pytest.fixture
def editor_a(town_a):
    return _staff(town_a, Role.EDITOR)


@pytest.fixture
def admin_a(town_a):
    return _staff(town_a, Role.ADMIN)


@pytest.fixture
def citizen(db):
    return factories.UserFactory(email="citizen@example.org")


@pytest.fixture
def moderator(db):
    user = factories.UserFactory(email="moderator@example.org", is_agentur_moderator=True)
    factories.activate_totp(user)
    return user


@pytest.fixture
def staff_factory():
    return _staff


@pytest.fixture
def town_c(db):
    return factories.MunicipalityFactory(name="Olpe", slug="olpe")


@pytest.fixture
def catalogue(db):
    """The seeded fields of action. Transactional tests flush the database, seeded rows included, so
    tests that need the catalogue ask for it instead of relying on the data migration having run."""
    import importlib

    from django.apps import apps

    importlib.import_module("projects.migrations.0002_seed_fields_of_action").seed(apps, None)


# --- One migration per parallel run ----------------------------------------------------------------------------
#
# Migrating a new test database takes about 33 s of CPU (Django renders the models' state again for each of the ~90
# migrations) plus PostgreSQL's. In a parallel run that builds its databases anew (CI's `--create-db`) every worker
# did it, side by side with the production smoke's own migrate (`.ci/run`): three migrations on two cores. Now the
# first worker that needs a new database migrates it as before and copies it into a template database
# (``test_<name>_template``); every other worker waits for that and makes its own database from the template
# (`CREATE DATABASE … TEMPLATE`, under a second), the same schema and seed rows. Workers take turns by a lock file in
# the run's folder (the controller's, ``pytest_configure_node``), which also says whether this run made the template:
# a template left by an earlier run (other migrations) is never used. A worker whose database is kept
# (`--reuse-db`, the database exists) migrates it forward as before; one process (-n 0) is unchanged.


class _TemplateTurn:
    """This worker's part: ``cloned`` when its database was made from this run's template, ``lock`` while it holds
    the turn to make the template (from its own migrated database, in ``django_db_setup`` below)."""

    def __init__(self):
        self.cloned = False
        self.lock = None
        self.template = ""
        self.ready = ""


_TEMPLATE = _TemplateTurn()


def _database_exists(cursor, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


@pytest.fixture(scope="session")
def _test_database_from_template(request, django_db_modify_db_settings, django_db_blocker):
    """Before pytest-django's ``django_db_setup``: this worker's test database from the run's template, or the turn
    to make that template (see above)."""
    workerinput = getattr(request.config, "workerinput", None)
    if not workerinput or "sc5_run_dir" not in workerinput or connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        _clone_or_take_the_turn(request, workerinput)


def _clone_or_take_the_turn(request, workerinput) -> None:
    import fcntl

    options = request.config.option
    name = connection.creation._get_test_db_name()  # type: ignore[attr-defined]  # the name pytest-django set
    template = name.removesuffix(f"_{workerinput['workerid']}") + "_template"
    keep = getattr(options, "reuse_db", False) and not getattr(options, "create_db", False)
    quote = connection.ops.quote_name
    if keep:
        with connection._nodb_cursor() as cursor:
            if _database_exists(cursor, name):
                return  # kept and migrated forward by pytest-django, as before
    lock = open(os.path.join(workerinput["sc5_run_dir"], "template.lock"), "w")  # noqa: SIM115 - held across fixtures
    fcntl.flock(lock, fcntl.LOCK_EX)
    _TEMPLATE.template = template
    _TEMPLATE.ready = os.path.join(workerinput["sc5_run_dir"], "template.ready")
    if not os.path.exists(_TEMPLATE.ready):
        # This worker migrates; django_db_setup makes the template and gives the turn on.
        _TEMPLATE.lock = lock
        request.addfinalizer(_give_the_turn_on)
        return
    try:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)}")
            cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(template)}")
        _TEMPLATE.cloned = True
    except Exception as error:  # noqa: BLE001 - pytest-django migrates a database of its own, as before
        warnings.warn(f"test database not cloned from {template}, migrated instead: {error}", stacklevel=1)
    finally:
        lock.close()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """A worker whose migration failed gives the turn on at once: the next one migrates its own database."""
    try:
        return (yield)
    except BaseException:
        if fixturedef.argname == "django_db_setup":
            _give_the_turn_on()
        raise


def _give_the_turn_on() -> None:
    if _TEMPLATE.lock is not None:
        _TEMPLATE.lock.close()  # closing the file releases the lock
        _TEMPLATE.lock = None


def _make_the_template() -> None:
    """This worker's database is freshly migrated: copy it into the run's template and let the others clone it."""
    quote = connection.ops.quote_name
    name = connection.settings_dict["NAME"]
    connection.close()  # CREATE DATABASE … TEMPLATE needs the source without connections
    try:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(_TEMPLATE.template)}")
            cursor.execute(f"CREATE DATABASE {quote(_TEMPLATE.template)} TEMPLATE {quote(name)}")
        with open(_TEMPLATE.ready, "w") as ready:
            ready.write(_TEMPLATE.template)
    except Exception as error:  # noqa: BLE001 - the other workers migrate their own, as before
        warnings.warn(f"no template database {_TEMPLATE.template}: {error}", stacklevel=1)
    _give_the_turn_on()


@pytest.fixture(scope="session")
def django_db_keepdb(django_db_keepdb, _test_database_from_template):
    """A database cloned from the template is kept as it is (pytest-django only checks that it is migrated)."""
    return django_db_keepdb or _TEMPLATE.cloned


@pytest.fixture(scope="session")
def django_db_createdb(django_db_createdb, _test_database_from_template):
    return django_db_createdb and not _TEMPLATE.cloned


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """The test database as the migrations leave it, also when it is kept from the last run (``--reuse-db``, which
    `make test` passes outside CI): that run's transactional tests emptied it (their flush removes the seeded
    catalogue too), or an interrupted one left rows behind. So a kept database is emptied here (flush also resets
    the sequences and recreates the content types and permissions, as migrate does) and seeded again.

    The test database commits without waiting for its write-ahead log to reach the disk (``synchronous_commit``
    off, for every connection to it, the tests' subprocesses' too): a crash may lose the last commits of a database
    that is thrown away anyway, and what one connection commits is still visible to the others at once. Each commit
    of a transactional test, a live server or a task worker no longer waits for an fsync."""
    options = request.config.option
    with django_db_blocker.unblock():
        if _TEMPLATE.lock is not None:
            _make_the_template()
        if getattr(options, "reuse_db", False) and not getattr(options, "create_db", False):
            import importlib

            from django.apps import apps
            from django.core.management import call_command

            call_command("flush", interactive=False, verbosity=0)
            importlib.import_module("projects.migrations.0002_seed_fields_of_action").seed(apps, None)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                name = connection.ops.quote_name(connection.settings_dict["NAME"])
                cursor.execute(f"ALTER DATABASE {name} SET synchronous_commit TO off")
                cursor.execute("SET synchronous_commit TO off")
    yield


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own (tests/servers.py), to stop, freeze and thaw for real."""
    from .servers import started_redis

    need(shutil.which("redis-server") is not None, "redis-server must be installed for the fault tests")
    yield from started_redis(tmp_path)


# --- The demo data, loaded once per run ----------------------------------------------------------------------
#
# `load_demo` takes most of a minute. The tests that only read the demo (or write a little and expect that rolled
# back) ask for the session fixture `demo`: it is loaded once, inside a transaction of the test database that stays
# open while those tests run, each in its own savepoint (pytest-django's `db`), and is rolled back right after the
# last of them. They run first, one after the other (`pytest_collection_modifyitems`), so every other test, in the
# order pytest-django gives it, starts from the freshly migrated database and never sees the demo.
#
# In a parallel run (pytest-xdist) they form the group "demo" (DemoGroupScheduling below, for `--dist loadgroup` in
# pyproject.toml), handed as one unit to one worker, first: that worker loads the demo once and runs them one after
# the other, while the others run the rest of the suite.

#: Fixtures of tests that run against a flushed database or a live server in another thread: the demo lives in an
#: uncommitted transaction of the test thread's connection, so they could not see it and would break it.
_TRANSACTIONAL = {
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


def _uses_demo(item) -> bool:
    return "demo" in getattr(item, "fixturenames", ())


#: Fixtures of the tests that take seconds each rather than milliseconds: a browser, a live server, a real
#: worker, private servers, a flush of the whole database after the test.
_SLOW = _TRANSACTIONAL | {"page", "browser", "celery_worker", "private_redis"}


def _cost_rank(item) -> int:
    """Where a test goes in a parallel run's queue (DemoGroupScheduling): 0 a browser test (tens of seconds), 1
    another slow one (see ``_SLOW``, or marked ``slow``), 2 the rest (most take well under a second)."""
    names = set(getattr(item, "fixturenames", ()))
    if item.get_closest_marker("browser") or {"page", "browser"} & names:
        return 0
    marker = item.get_closest_marker("django_db")
    if item.get_closest_marker("slow") or item.get_closest_marker("worker") or _SLOW & names:
        return 1
    if marker and marker.kwargs.get("transaction"):
        return 1
    return 2


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: takes many seconds without a browser, live server or worker (subprocesses, private PostgreSQL, "
        "whole-code scans); a parallel run starts it early (DemoGroupScheduling)",
    )


DEMO_GROUP = "demo"
# pytest-xdist's own groups (xdist_group marks, which it reads by renaming the test's node id) do not work with
# pytest 9.2, whose node ids can't be renamed; so the controller's scheduler is told by a file which tests use the
# demo: each worker writes their ids there after collecting (below), DemoGroupScheduling reads them.
#
# The same way the scheduler learns which tests are slow (``_cost_rank``): after the demo group it hands out the
# browser tests first, then the other slow ones, then the many quick ones, so that the run does not end with one
# worker in a long test while the other has nothing left to do (the longest first: the usual rule for spreading
# jobs over machines). pytest-xdist's own order is the collection order, which put the browser tests and the
# workers' tests anywhere in the run.
_DEMO_IDS_DIR = pytest.StashKey[str]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """xdist controller: a folder for the workers' lists of demo tests, named in each worker's input."""
    import tempfile

    if _DEMO_IDS_DIR not in node.config.stash:
        node.config.stash[_DEMO_IDS_DIR] = tempfile.mkdtemp(prefix="sc5-demo-tests-")
    node.workerinput["sc5_demo_ids_dir"] = node.config.stash[_DEMO_IDS_DIR]
    node.workerinput["sc5_run_dir"] = node.config.stash[_DEMO_IDS_DIR]  # the template's turns too


def pytest_unconfigure(config):
    if _DEMO_IDS_DIR in config.stash:
        shutil.rmtree(config.stash[_DEMO_IDS_DIR], ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` (pyproject.toml) with the demo tests as one group, handed to one worker first."""
    if config.getvalue("dist") != "loadgroup" or _DEMO_IDS_DIR not in config.stash:
        return None
    from xdist.scheduler import LoadGroupScheduling

    class DemoGroupScheduling(LoadGroupScheduling):
        demo_ids: set[str] | None = None
        ranks: dict[str, int]
        ordered = False

        def schedule(self):
            if self.demo_ids is None:
                self.demo_ids, self.ranks = set(), {}
                folder = config.stash[_DEMO_IDS_DIR]
                for name in os.listdir(folder):
                    with open(os.path.join(folder, name)) as lines:
                        rows = [line for line in lines.read().splitlines() if line]
                    if name.endswith(".demo"):
                        self.demo_ids.update(rows)
                    elif name.endswith(".ranks"):
                        self.ranks.update((row[2:], int(row[0])) for row in rows)
            super().schedule()

        def _assign_work_unit(self, node):
            # schedule() has filled the queue (the largest unit first: the demo group) and hands out the first
            # units now: before that, the slow tests move to the front, behind the demo group, each rank in the
            # collected order (sorted() keeps it).
            if not self.ordered:
                self.ordered = True
                order = sorted(
                    self.workqueue.items(),
                    key=lambda unit: -1 if unit[0] == DEMO_GROUP else self.ranks.get(unit[0], 2),
                )
                self.workqueue.clear()
                self.workqueue.update(order)
            super()._assign_work_unit(node)

        def _split_scope(self, nodeid):
            return DEMO_GROUP if self.demo_ids and nodeid in self.demo_ids else super()._split_scope(nodeid)

    return DemoGroupScheduling(config, log)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """The tests that use the demo first (in their collected order), then all others (in theirs)."""
    demo = [item for item in items if _uses_demo(item)]
    for item in demo:
        if _TRANSACTIONAL & set(item.fixturenames) or (
            item.get_closest_marker("django_db")
            and (item.get_closest_marker("django_db").kwargs.get("transaction"))
        ):
            raise pytest.UsageError(f"{item.nodeid}: the demo fixture cannot serve a transactional test")
    items[:] = demo + [item for item in items if not _uses_demo(item)]
    workerinput = getattr(config, "workerinput", None)  # an xdist worker: tell the controller (see above)
    if workerinput and "sc5_demo_ids_dir" in workerinput:
        where = os.path.join(workerinput["sc5_demo_ids_dir"], workerinput["workerid"])
        with open(f"{where}.demo", "w") as ids:
            ids.write("".join(f"{item.nodeid}\n" for item in demo))
        with open(f"{where}.ranks", "w") as ranks:
            ranks.write(
                "".join(f"{_cost_rank(item)} {item.nodeid}\n" for item in items if not _uses_demo(item))
            )


class _Demo:
    """The open transaction holding the demo: opened by the first test that asks for it, closed (rolled back)
    after the last one, or at the end of the run at the latest."""

    def __init__(self):
        self.stack: contextlib.ExitStack | None = None
        self.closed = False

    def open(self, django_db_blocker) -> dict:
        import importlib

        from django.apps import apps

        from sampledata.demo import load_demo

        if self.closed:
            pytest.fail(
                "The tests that use the demo must run one after the other (tests/conftest.py orders them)."
            )
        self.stack = contextlib.ExitStack()
        self.stack.enter_context(django_db_blocker.unblock())
        # The demo's files (funding documents, the letters of its voting codes) go to a folder of the run, never
        # into the working copy's media/ (the session fixture is set up before each test's own ``_isolate``); a
        # test that reads them points its storage there (``demo["media"]``).
        media = tempfile.mkdtemp(prefix="sc5-demo-media-")
        self.stack.callback(shutil.rmtree, media, True)
        self.stack.enter_context(
            override_settings(
                PASSWORD_HASHERS=FAST_PASSWORD_HASHERS,
                STORAGES={**django_settings.STORAGES, "default": _file_storage(media)},
            )
        )
        self.stack.enter_context(transaction.atomic())
        self.stack.callback(transaction.set_rollback, True)  # runs before the transaction's exit
        try:
            importlib.import_module("projects.migrations.0002_seed_fields_of_action").seed(apps, None)
            with transaction.atomic():
                facts = {"without_accounts": _demo_facts(), "media": media}
                transaction.set_rollback(True)
            load_demo(with_accounts=True)
            # The demo's deferred foreign-key checks, once and for good: at the end of each demo test pytest-django
            # checks the constraints (SET CONSTRAINTS ALL IMMEDIATE) inside the test's savepoint, and PostgreSQL
            # undoes checks made in a savepoint that is rolled back, so every demo test would check the whole demo
            # again (1-2 s each). Checked here, in the demo's own transaction, they stay done; each test's own rows
            # are still checked at its end.
            connection.check_constraints()
        except BaseException:
            self.close()
            raise
        return facts

    def close(self):
        if self.stack is not None:
            stack, self.stack = self.stack, None
            self.closed = True
            stack.close()


_DEMO = _Demo()


def _demo_facts() -> dict:
    """What the participation demo holds when it is loaded without accounts (towns and participation only; the
    caller rolls it back)."""
    from accounts.models import User
    from municipalities.demo.loader import DEMO_DOMAIN, load_towns
    from municipalities.scoping import scopes_disabled
    from participation.demo.loader import load_participation
    from participation.models import Comment, Idea, Process, Support

    _consortium, towns = load_towns()
    load_participation(towns, with_accounts=False)
    with scopes_disabled():
        return {
            "users": User.objects.count(),
            "citizens": User.objects.filter(
                email__startswith="buerger-", email__endswith=f"@{DEMO_DOMAIN}"
            ).count(),
            "ideas": Idea.objects.count(),
            "online_ideas": Idea.objects.filter(is_offline=False).count(),
            "supports": Support.objects.count(),
            "comments": Comment.objects.count(),
            "processes": Process.objects.count(),
        }


@pytest.fixture(scope="session")
def demo(django_db_setup, django_db_blocker):
    """The whole demo (``load_demo(with_accounts=True)``, catalogue of fields of action included), loaded once per
    run; see above. Session-scoped so that it is set up before the test's own savepoint. Hands the tests
    ``{"without_accounts": {...}, "media": <folder>}``: counts of a load of towns and participation without
    accounts, taken (and rolled back) before the full load, for tests/participation/test_demo.py, and the folder
    that holds the demo's files."""
    try:
        yield _DEMO.open(django_db_blocker)
    finally:
        _DEMO.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Roll the demo back as soon as the last test that uses it is torn down (its own savepoint is gone by then)."""
    result = yield
    if _DEMO.stack is not None and (nextitem is None or not _uses_demo(nextitem)):
        _DEMO.close()
    return result
