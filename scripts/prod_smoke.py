"""Production smoke test: what `docker compose up` runs, on this machine's own PostgreSQL and Redis.

    .venv/bin/python scripts/prod_smoke.py

Drops and creates the database ``sc5_smoke``, uses Redis database 15, migrates, builds the static files in
production mode into a temporary folder, starts gunicorn with gunicorn.conf.py, a Celery worker and beat, loads
the demo towns, then requests the start page, a town page, a hashed static file, /healthz, /readyz (every
critical check ok and a fresh worker heartbeat) and a PDF report built by that worker, downloaded through the API
with a personal token of a town admin. Stops everything it started; exits non-zero on any failure.
Run by .ci/run beside `make test` (ports 18300-18399, above the suite's); takes about two minutes alone.
"""

import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "smoke.example"
TOWN = "arnsberg"
POSTGRES = os.environ.get("SMOKE_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("SMOKE_DATABASE", "sc5_smoke")
REDIS = os.environ.get("SMOKE_REDIS", "redis://127.0.0.1:6379/15")
# Above the suite's private servers (tests/servers.py, 18100-18299): .ci/run runs this beside the suite.
PORTS = range(18300, 18400)


def production_env(tmp: Path, port: int) -> dict:
    """The one place that says how the smoke test's processes are configured (as docker-compose.yml does).
    A new required production setting goes here."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "MFA_TOTP_INSECURE_BYPASS_CODE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "STATIC_ROOT",
            "DJANGO_SETTINGS_MODULE",
            "SMARTCITY5_REQUIRE_SERVICES",
        }
    }
    env.update(
        {
            "SMARTCITY5_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
            "DATABASE_URL": f"{POSTGRES}/{DATABASE}",
            "REDIS_URL": REDIS,
            "EMAIL_URL": "consolemail://",
            "DEFAULT_FROM_EMAIL": f"smartcity5 <noreply@{HOST}>",
            "MEDIA_ROOT": str(tmp / "media"),
            "STATIC_ROOT": str(tmp / "static"),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "4",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


# --- Small helpers ------------------------------------------------------------------------------------------

CHECKED: list[str] = []


def say(message: str) -> None:
    print(f"[smoke {time.strftime('%H:%M:%S')}] {message}", flush=True)


def ok(message: str) -> None:
    CHECKED.append(message)
    say(f"ok   {message}")


class SmokeFailure(Exception):
    pass


def expect(condition, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SmokeFailure(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise SmokeFailure(f"timed out after {timeout:.0f} s waiting for {what}")


class Processes:
    """The processes this script started (each in its own process group), stopped again on exit."""

    def __init__(self, logs: Path):
        self.logs, self.started = logs, []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started.append((name, process))
        say(f"started {name} (pid {process.pid})")
        return process

    def check_alive(self) -> None:
        for name, process in self.started:
            expect(process.poll() is None, f"{name} exited with {process.returncode}; see its log below")

    def stop_all(self) -> None:
        for _name, process in reversed(self.started):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for name, process in reversed(self.started):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            say(f"stopped {name}")

    def print_logs(self) -> None:
        for name, _ in self.started:
            text = (self.logs / f"{name}.log").read_text(errors="replace")
            print(f"----- last lines of {name} -----\n" + "\n".join(text.splitlines()[-40:]), flush=True)


def run(args: list[str], env: dict, what: str, timeout: float = 300) -> str:
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise SmokeFailure(
            f"{what} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def request(
    port: int, path: str, *, headers: dict | None = None, https: bool = True
) -> tuple[int, dict, bytes]:
    """One request to gunicorn as the reverse proxy sends it (Host, X-Forwarded-Proto: https)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        all_headers = {"Host": HOST, **({"X-Forwarded-Proto": "https"} if https else {}), **(headers or {})}
        connection.request("GET", path, headers=all_headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


# --- The steps ----------------------------------------------------------------------------------------------


def reset_database() -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    ok(f"database {DATABASE} dropped and created")


def reset_redis() -> None:
    """Only the keys a previous run may have left in db 15 (queues, unacked messages, the heartbeat)."""
    import redis

    client = redis.Redis.from_url(REDIS, socket_timeout=5)
    client.delete("celery", "unacked", "unacked_index", "unacked_mutex", "smartcity5:health:worker-heartbeat")
    client.close()


SETUP_REPORT = """
import json
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from accounts.models import Membership, Role, User
from accounts.services import api_token_create
from municipalities.models import Municipality
from municipalities.scoping import town_scope
from reports.models import ReportRequest
from reports.services import report_request

town = Municipality.objects.get(slug="%(town)s")
user = User.objects.create_user(email="smoke-admin@%(host)s", password=None)
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
TOTP.activate(user, generate_totp_secret())
with town_scope(town):
    Membership.objects.create(user=user, municipality=town, role=Role.ADMIN)
token, secret = api_token_create(user=user, name="production smoke test")
with town_scope(town):
    report, created = report_request(municipality=town, kind=ReportRequest.Kind.TOWN,
                                     format=ReportRequest.Format.PDF, by=user)
print("SMOKE " + json.dumps({"report": report.pk, "token": secret}))
"""


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="sc5-smoke-"))
    port = free_port()
    env = production_env(tmp, port)
    processes = Processes(tmp)
    started = time.monotonic()
    # SIGTERM (e.g. CI's time limit) ends the run through the finally below, like Ctrl+C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        reset_database()
        reset_redis()
        run([PYTHON, "manage.py", "migrate", "--noinput"], env, "migrate")
        ok("migrate")
        # Worker and beat early: beat's first heartbeat comes a minute after it starts.
        processes.start(
            "worker",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "smartcity5",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "1",
                "--hostname",
                f"smoke-{port}@%h",
            ],
            env,
        )
        processes.start(
            "beat",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "smartcity5",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(tmp / "celerybeat-schedule"),
            ],
            env,
        )
        # The static build and the demo towns at the same time.
        static = subprocess.Popen(
            [PYTHON, "manage.py", "collectstatic", "--noinput"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            run([PYTHON, "manage.py", "load_demo"], env, "load_demo")
            ok("load_demo (the five towns, no demo accounts in production)")
            output, _ = static.communicate(timeout=300)
        finally:
            if static.poll() is None:
                static.kill()
                static.wait()
        expect(static.returncode == 0, f"production collectstatic failed:\n{output[-3000:]}")
        manifest = json.loads((tmp / "static" / "staticfiles.json").read_text())["paths"]
        ok(f"production collectstatic ({len(manifest)} files in the manifest)")

        processes.start("gunicorn", [PYTHON, "-m", "gunicorn", "--config", "gunicorn.conf.py"], env)
        wait_until(lambda: _answers(port), timeout=60, what="gunicorn to answer")
        processes.check_alive()

        status, headers, _ = request(port, "/", https=False)
        expect(
            status == 301 and headers.get("location", "").startswith(f"https://{HOST}/"),
            f"plain HTTP should redirect to HTTPS, got {status} {headers.get('location')}",
        )
        ok("plain HTTP is redirected to HTTPS")

        status, _, body = request(port, "/")
        expect(status == 200, f"start page answered {status}")
        page = body.decode()
        ok("start page 200")
        status, _, body = request(port, f"/{TOWN}/")
        expect(status == 200 and "Arnsberg" in body.decode(), f"town page /{TOWN}/ answered {status}")
        ok(f"town page /{TOWN}/ 200")

        css = re.search(r'href="(/static/css/smartcity5\.[0-9a-f]{12}\.css)"', page)
        if css is None:
            raise SmokeFailure("the start page names no hashed stylesheet")
        expect(
            manifest.get("css/smartcity5.css") == css.group(1).removeprefix("/static/"),
            "the page's stylesheet is not the manifest's",
        )
        status, headers, body = request(port, css.group(1))
        expect(
            status == 200 and body and "max-age" in headers.get("cache-control", ""),
            f"hashed static file {css.group(1)} answered {status} {headers.get('cache-control')}",
        )
        ok(f"hashed static file {css.group(1)} 200, cached for long")

        status, _, body = request(port, "/healthz")
        expect(status == 200 and body == b"ok", f"/healthz answered {status} {body[:100]!r}")
        ok("/healthz 200")

        stdout = run(
            [PYTHON, "manage.py", "shell", "-c", SETUP_REPORT % {"town": TOWN, "host": HOST}],
            env,
            "creating the report request",
        )
        setup = json.loads(stdout.split("SMOKE ", 1)[1].splitlines()[0])
        ok(f"report {setup['report']} requested through reports.services, with a town admin's API token")
        auth = {"Authorization": f"Bearer {setup['token']}"}
        detail_path = f"/api/v1/towns/{TOWN}/reports/{setup['report']}/"

        def report_done():
            processes.check_alive()
            status, _, body = request(port, detail_path, headers=auth)
            expect(status == 200, f"{detail_path} answered {status}: {body[:300]!r}")
            state = json.loads(body)["status"]
            expect(state != "failed", f"the worker marked the report failed: {body[:500]!r}")
            return state == "done"

        wait_until(report_done, timeout=120, what="the worker to build the report")
        ok("the worker built the report (status done)")
        status, headers, body = request(port, detail_path + "download/", headers=auth)
        expect(
            status == 200
            and body.startswith(b"%PDF")
            and "attachment" in headers.get("content-disposition", ""),
            f"report download answered {status} {headers.get('content-type')} {body[:20]!r}",
        )
        ok(f"report downloaded through gunicorn as the town admin ({len(body)} bytes of PDF)")

        def ready():
            processes.check_alive()
            status, _, body = request(port, "/readyz")
            report = json.loads(body)
            critical = all(c["status"] == "ok" for c in report["checks"].values() if c["critical"])
            return (
                (status, report)
                if status == 200 and critical and report["checks"]["worker_heartbeat"]["status"] == "ok"
                else None
            )

        status, report = wait_until(
            ready, timeout=120, what="/readyz with a fresh worker heartbeat", interval=1
        )
        checks = report["checks"]
        summary = ", ".join(f"{name} {entry['status']}" for name, entry in checks.items())
        ok(f"/readyz 200 ({summary}; heartbeat {checks['worker_heartbeat']['age_seconds']} s old)")
        expect(
            all(entry["status"] == "ok" for entry in checks.values()),
            f"/readyz reports a failing check: {json.dumps(report, indent=2)}",
        )
        ok("/readyz: every check ok")
        processes.check_alive()
    except Exception as exc:  # noqa: BLE001 - any failure: say what, show the logs, stop everything
        say(f"FAIL {type(exc).__name__}: {exc}")
        processes.print_logs()
        return 1
    finally:
        processes.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    say(f"passed: {len(CHECKED)} checks in {time.monotonic() - started:.0f} s")
    return 0


def _answers(port: int) -> bool:
    try:
        return request(port, "/healthz")[0] == 200
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
