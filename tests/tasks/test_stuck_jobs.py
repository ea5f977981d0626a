"""The whole worker SIGKILLed while it builds a report: a real prefork worker in a process of its own (main
process and pool child), frozen with SIGSTOP once the report's row says "running, 70 %", then killed. A new
worker and the stuck-job sweep finish the report, or fail it with a reason, within the heartbeat window, and a
new request for the same report is never answered with the stuck one."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from municipalities.tasks import stuck_jobs_sweep
from reports.models import ReportRequest
from tests import factories
from tests.reports.conftest import fill_town

from .conftest import wait_for, worker_queue

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT_TIMEOUT = 4  # seconds, for the workers and for this process
# How often this process runs the sweep while it waits (beat's minute would make the tests wait for beat).
SWEEP_INTERVAL = 0.2


class Worker:
    """``celery -A smartcity5 worker --pool prefork`` as a process group of its own: a main process and its pool
    child, on the test's database, media directory and queue."""

    def __init__(self, queue: str, log: Path, env: dict):
        self.log = log
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "smartcity5",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--queues",
                queue,
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname",
                f"{log.stem}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def signal(self, signum: int) -> None:
        os.killpg(self.process.pid, signum)  # the main process and every pool child

    def kill(self) -> None:
        if self.process.poll() is None:
            self.signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):  # a pool child that outlived its parent by a moment
            os.killpg(self.process.pid, signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def workers(settings, tmp_path):
    """Start real workers with ``workers.start()``; all of them are killed at the end, whatever happened."""
    settings.JOB_HEARTBEAT_TIMEOUT = HEARTBEAT_TIMEOUT
    started = []

    class Workers:
        queue = None

        def start(self, name: str) -> Worker:
            env = {
                **os.environ,
                "DATABASE_URL": _database_url(),
                "REDIS_URL": settings.REDIS_URL,
                "MEDIA_ROOT": settings.STORAGES["default"]["OPTIONS"]["location"],
                "JOB_HEARTBEAT_TIMEOUT": str(settings.JOB_HEARTBEAT_TIMEOUT),
                "JOB_MAX_ATTEMPTS": str(settings.JOB_MAX_ATTEMPTS),
                # A retry waits up to a second (production: 15 s), so the cut connection's test waits for it.
                "JOB_RETRY_BACKOFF": "1",
                "SMARTCITY5_ENV": "development",
                "EMAIL_URL": "",
                "PYTHONUNBUFFERED": "1",
            }
            worker = Worker(self.queue, tmp_path / f"{name}.log", env)
            started.append(worker)
            return worker

    pool = Workers()
    with worker_queue() as queue:
        pool.queue = queue
        try:
            yield pool
        finally:
            for worker in started:
                worker.kill()
            _forget_unacked(queue)
            for worker in started:
                print(f"--- {worker.log.name}\n{worker.output()}")


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _forget_unacked(queue: str) -> None:
    """The killed worker's message waits in Redis for the visibility timeout; drop it (and only it) so it is not
    restored into a queue nobody reads."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    for tag, payload in client.hgetall("unacked").items():
        if queue.encode() in payload:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)
    client.delete(queue)


def _waits_for(pid: int) -> bool:
    """Whether another session of the test database waits for a lock that the session ``pid`` holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND %s = ANY(pg_blocking_pids(pid))",
            [pid],
        )
        return cursor.fetchone()[0] > 0


def _report(pk: int) -> ReportRequest:
    return ReportRequest._base_manager.get(pk=pk)


@transaction.atomic
def _slow_town(municipality, partner):
    """A town with real data, enough of it that rendering its PDF takes a while (the 70 % step). One transaction
    (see ``fill_town``): the open data are built once, not after each of the fifty-odd writes."""
    fill_town(municipality, partner=partner)
    for number in range(25):
        project = factories.project(
            municipality=municipality,
            title=f"Vorhaben {number}: Sensorik und Daten im Quartier",
            status="in_progress",
            summary="Eine Maßnahme der Smart-City-Strategie. " * 9,
        )
        factories.progress_update(project=project, progress_percent=number % 100, title="Zwischenstand")


def _request(client, municipality) -> int:
    response = client.post(f"/{municipality.slug}/verwaltung/berichte/", {"kind": "town", "format": "pdf"})
    assert response.status_code == 302
    return (
        ReportRequest._base_manager.filter(municipality=municipality, kind="town", format="pdf")
        .latest("pk")
        .pk
    )


@contextmanager
def _deadline(seconds: float, what: str):
    started = time.monotonic()
    yield
    elapsed = time.monotonic() - started
    print(f"{what}: {elapsed:.1f} s")
    assert elapsed < seconds, f"{what} took {elapsed:.1f} s"


def _kill_while_rendering(worker: Worker, pk: int) -> ReportRequest:
    """Freeze the whole worker as soon as the row says 70 % (the PDF is being rendered), then SIGKILL it."""
    wait_for(
        lambda: _report(pk).status == "running" and _report(pk).progress >= 70, timeout=90, interval=0.01
    )
    at_70 = _report(pk)
    # The PDF renders without a progress step for seconds: the heartbeat thread keeps the row alive meanwhile.
    wait_for(lambda: _report(pk).heartbeat_at > at_70.heartbeat_at, timeout=HEARTBEAT_TIMEOUT, interval=0.05)  # type: ignore[operator]
    worker.signal(signal.SIGSTOP)
    frozen = _report(pk)
    worker.kill()
    assert frozen.status == "running", (
        f"the report was finished before the worker could be frozen: {frozen.status}"
    )
    return frozen


def test_a_report_whose_whole_worker_was_killed_is_finished_by_the_next_worker(
    client, workers, town_a, town_b, catalogue, editor_a
):
    first = workers.start("first")  # boots (a few seconds of imports) while the town's data are written
    _slow_town(town_a, town_b)
    client.force_login(editor_a)
    pk = _request(client, town_a)
    stuck = _kill_while_rendering(first, pk)
    assert stuck.progress == 70 and stuck.attempts == 1
    # The next worker boots meanwhile: a living worker does not take up the killed one's message either.
    second = workers.start("second")
    time.sleep(1)
    assert _report(pk).status == "running"  # nobody works on it: this is what the page showed for an hour

    # Beat runs the sweep every minute; here five times a second (in this process, whose hand-over goes to the
    # test's queue), so the window below is the heartbeat's, not beat's.
    with _deadline(HEARTBEAT_TIMEOUT + 60, "killed worker → report finished"):

        def finished():
            report = _report(pk)
            if report.status in ("done", "failed"):
                return report
            stuck_jobs_sweep()
            return None

        done = wait_for(finished, timeout=HEARTBEAT_TIMEOUT + 60, interval=SWEEP_INTERVAL)
    assert second.process.poll() is None
    assert done.status == "done", done.error
    assert done.attempts == 2 and done.progress == 100 and done.file.storage.exists(done.file.name)
    assert len(os.listdir(Path(done.file.path).parent)) == 1  # one file, nothing left by the killed attempt
    from notifications.models import Notification

    assert Notification.objects.with_scope(municipality=town_a.pk).filter(kind="report.ready").count() == 1
    page = client.get(f"/arnsberg/verwaltung/berichte/{pk}/status/").content.decode()
    assert 'data-status="done"' in page


def test_a_report_whose_database_connection_was_cut_is_retried_on_a_fresh_connection(
    client, workers, town_a, town_b, catalogue, editor_a
):
    """PostgreSQL ends the worker's connections while it renders (as a restart or fail-over does): the next write
    meets OperationalError, the task is retried with backoff, and the retry works on a new connection."""
    worker = workers.start("only")  # boots while the town's data are written
    _slow_town(town_a, town_b)
    client.force_login(editor_a)
    pk = _request(client, town_a)
    wait_for(
        lambda: _report(pk).status == "running" and _report(pk).progress >= 70, timeout=90, interval=0.01
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] >= 1  # the worker's connection(s): its task and its heartbeat thread
    done = wait_for(
        lambda: (lambda r: r if r.status in ("done", "failed") else None)(_report(pk)), timeout=90
    )
    assert done.status == "done", done.error
    assert done.attempts == 2  # the first attempt met the cut connection; the retry finished
    assert "Retry in" in worker.output() and "OperationalError" in worker.output()
    assert worker.process.poll() is None


def test_a_new_request_for_a_report_whose_worker_died_never_gets_the_stuck_one(
    settings, client, workers, town_a, town_b, catalogue, editor_a
):
    """The last allowed attempt dies: asking for the same report again fails the stuck one with its reason (the
    page says so in German) and makes a new one, which the next worker builds."""
    settings.JOB_MAX_ATTEMPTS = 1
    first = workers.start("first")  # boots while the town's data are written
    _slow_town(town_a, town_b)
    client.force_login(editor_a)
    pk = _request(client, town_a)
    _kill_while_rendering(first, pk)
    assert _report(pk).status == "running"
    # The next worker boots while the heartbeat goes stale: a living worker leaves the stuck report alone (only
    # the sweep or a new request recovers it), so the new request below still meets it stuck.
    workers.start("second")
    wait_for(
        lambda: _report(pk).heartbeat_at.timestamp() < time.time() - HEARTBEAT_TIMEOUT - 0.5,
        timeout=HEARTBEAT_TIMEOUT + 5,
    )

    new_pk = _request(client, town_a)
    assert new_pk != pk
    stuck = _report(pk)
    assert stuck.status == "failed" and stuck.error.startswith("Die Erstellung wurde unterbrochen"), (
        stuck.error
    )
    listing = client.get("/arnsberg/verwaltung/berichte/").content.decode()
    assert "Die Erstellung wurde unterbrochen" in listing

    done = wait_for(
        lambda: (lambda r: r if r.status in ("done", "failed") else None)(_report(new_pk)), timeout=90
    )
    assert done.status == "done", done.error
    assert _report(pk).status == "failed"  # the old one stays failed: its file is never made twice


def test_a_data_export_whose_whole_worker_was_killed_is_finished_by_the_next_worker(client, workers, town_a):
    """The export is held mid-build by a real lock (another session holds the ideas table, as a long migration
    would), so the kill certainly meets it running; the next worker and the sweep finish it."""
    import psycopg
    from django.urls import reverse

    from accounts.models import DataExport
    from notifications.models import Notification
    from outbox.models import OutboxTask
    from participation.models import Idea

    first = workers.start("first")  # boots while the data are written
    person = factories.UserFactory(email="export-kill@example.org")
    factories.idea(
        process=factories.process(municipality=town_a), author=person, title="Idee vor dem Absturz"
    )
    client.force_login(person)
    # The idea's open data rebuild (handed over when it was written) reads the ideas table too: let it finish
    # before the lock, or it would hold the worker in front of the export.
    wait_for(lambda: not OutboxTask.objects.filter(done_at__isnull=True).exists(), timeout=60)
    with psycopg.connect(_database_url()) as blocker:
        blocker.execute(f'LOCK TABLE "{Idea._meta.db_table}" IN ACCESS EXCLUSIVE MODE')
        assert client.post(reverse("accounts:data")).status_code == 302
        export = DataExport.objects.get(user=person)
        wait_for(lambda: DataExport.objects.get(pk=export.pk).status == "running", timeout=60)
        # Killed once the build waits for the lock (was: half a second's sleep after "running").
        wait_for(lambda: _waits_for(blocker.info.backend_pid), timeout=30, interval=0.02)
        first.kill()
        blocker.rollback()
    stuck = DataExport.objects.get(pk=export.pk)
    assert stuck.status == "running" and stuck.attempts == 1

    workers.start("second")
    with _deadline(HEARTBEAT_TIMEOUT + 60, "killed worker → export finished"):

        def finished():
            row = DataExport.objects.get(pk=export.pk)
            if row.status in ("done", "failed"):
                return row
            stuck_jobs_sweep()
            return None

        done = wait_for(finished, timeout=HEARTBEAT_TIMEOUT + 60, interval=SWEEP_INTERVAL)
    assert done.status == "done" and done.attempts == 2 and done.file.storage.exists(done.file.name), (
        done.error
    )
    assert (
        Notification.objects.with_scopes_disabled().filter(recipient=person, kind="account.export").count()
        == 1
    )
