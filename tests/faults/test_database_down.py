"""PostgreSQL unavailable: a live gunicorn answers a plain 503 page (JSON under /api/) and recovers by itself when
the database returns, without a restart (smartcity5.errors, CONN_HEALTH_CHECKS with persistent connections).

The test starts its own PostgreSQL cluster on a port of its own (the shared one on 5432 is never stopped), loads
the migrated test database into it, points a gunicorn subprocess at it, then stops and starts the cluster."""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import need
from tests.servers import free_port, wait_for_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _as_postgres(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a server command as the ``postgres`` user (PostgreSQL refuses to run as root)."""
    if os.geteuid() == 0:
        command = ["su", "postgres", "-c", " ".join(f"'{part}'" for part in command)]
    return subprocess.run(command, check=True, capture_output=True, timeout=120, **kwargs)


class PrivateCluster:
    def __init__(self, directory: Path, port: int):
        self.directory, self.port = directory, port
        self.data = directory / "pg"

    def pg_ctl(self, action: str, *extra: str) -> None:
        _as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                f"-p {self.port} -k {self.directory}",
                "-l",
                str(self.directory / "pg.log"),
                "-w",
                action,
                *extra,
            ]
        )

    def create(self) -> None:
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"])
        self.pg_ctl("start")

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast")

    def start(self) -> None:
        self.pg_ctl("start")

    def psql(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                *args,
            ],
            check=True,
            capture_output=True,
            timeout=120,
            **kwargs,
        )


@pytest.fixture
def cluster():
    need((PG_BIN / "initdb").exists(), "PostgreSQL 15 server binaries are needed for the database fault test")
    directory = Path(tempfile.mkdtemp(prefix="sc5-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    server = PrivateCluster(directory, free_port(os.getpid() + 50))
    try:
        server.create()
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def migrated(cluster):
    """The migrated test database (schema and seed rows), copied into the private cluster."""
    need(connection.vendor == "postgresql", "DATABASE_URL must point at PostgreSQL")
    source = connection.settings_dict
    cluster.psql("-c", "CREATE DATABASE smartcity5")
    dump = subprocess.run(
        [
            str(PG_BIN / "pg_dump"),
            "--no-owner",
            "--no-privileges",
            "-h",
            source["HOST"] or "127.0.0.1",
            "-p",
            str(source["PORT"] or 5432),
            "-U",
            source["USER"] or "postgres",
            source["NAME"],
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    cluster.psql("-d", "smartcity5", input=dump.stdout)
    return f"postgres://postgres@127.0.0.1:{cluster.port}/smartcity5"


@pytest.fixture
def web(migrated, tmp_path):
    """gunicorn (threads, persistent connections as in production) against the private cluster."""
    port = free_port(os.getpid() + 70)
    env = {
        **os.environ,
        "DATABASE_URL": migrated,
        "CONN_MAX_AGE": "60",
        "SMARTCITY5_ENV": "development",
        "DEBUG": "false",
        "REDIS_URL": "",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_FORMAT": "json",
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "smartcity5.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}", tmp_path / "gunicorn.log"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _get(url: str) -> tuple[int, dict, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_a_database_outage_answers_503_and_recovers_without_a_restart(cluster, web):
    base, log = web
    pages = [base + "/", base + "/beteiligung/"]
    api = base + "/api/v1/towns/"
    for url in pages + [api]:
        status, _, body = _get(url)
        assert status == 200, (url, body[:300])

    # A quick restart between two requests: the persistent connection is dead, and the health check at the
    # start of the next request replaces it before the view uses it.
    cluster.stop()
    cluster.start()
    for url in pages + [api]:
        status, _, body = _get(url)
        assert status == 200, (url, status, body[:300])

    # An outage: 503, then the same server process answers again once the database is back.
    cluster.stop()
    for url in pages * 2:
        status, headers, body = _get(url)
        assert status == 503, (url, status, body[:300])
        assert "nicht erreichbar" in body and "Traceback" not in body and '<html lang="de">' in body
        assert headers.get("Retry-After") == "30"
    status, headers, body = _get(api)
    assert status == 503 and headers["Content-Type"] == "application/json"
    assert "detail" in json.loads(body)

    cluster.start()
    for url in pages * 2 + [api] * 2:
        status, _, body = _get(url)
        assert status == 200, (url, status, body[:300])
    text = log.read_text()
    assert '"level": "ERROR"' in text and "Service Unavailable" in text  # the outage is in the JSON log
