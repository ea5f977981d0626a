"""Load benchmark: the production shape on this machine under many citizens at once (bench/locustfile.py).

    .venv/bin/python bench/load.py --locust /path/to/locust [--users 200 --time 120]

Drops and creates the database ``sc5_bench_load`` on the machine's PostgreSQL, uses Redis database 14, migrates,
builds the static files, loads the demo towns (production mode: without the demo accounts) and adds
``--accounts`` signed-in citizens; then starts a Celery worker and gunicorn with gunicorn.conf.py in production
mode, behind TLS of a self-signed certificate (the cookies are Secure in production) and trusting one proxy
(each simulated citizen sends its own X-Forwarded-For address). Then locust runs headless for ``--time``
seconds, and the script prints what it measured per page and in all: requests, failures, median, p95, p99 and
the throughput. Locust is not a dependency of the portal: install it into a virtualenv of its own
(``python3 -m venv /tmp/locustenv && /tmp/locustenv/bin/pip install locust``) and name its executable.
More options (``--plain`` for TLS in a proxy, ``--reuse``, ``--logs``, gunicorn options) in bench/README.md.
"""

import argparse
import csv
import importlib.util
import os
import resource
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DATABASE = os.environ.get("LOAD_DATABASE", "sc5_bench_load")
REDIS = os.environ.get("LOAD_REDIS", "redis://127.0.0.1:6379/14")
POSTGRES = os.environ.get("LOAD_POSTGRES", "postgres://postgres@127.0.0.1:5432")

_spec = importlib.util.spec_from_file_location("prod_smoke", ROOT / "scripts" / "prod_smoke.py")
smoke = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(smoke)

ACCOUNTS = """
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from allauth.account.models import EmailAddress
from accounts.models import User
password = make_password(%(password)r)
for n in range(%(count)d):
    email = f"lasttest-{n:03d}@load.example"
    user = User.objects.create(email=email, display_name=f"Lasttest {n:03d}", password=password,
                               privacy_consent_at=timezone.now())
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
print("accounts", User.objects.filter(email__endswith="@load.example").count())
"""

# --reuse: the database of an earlier run, its accounts given this run's password.
PASSWORDS = """
from django.contrib.auth.hashers import make_password
from accounts.models import User
accounts = User.objects.filter(email__endswith="@load.example")
accounts.update(password=make_password(%(password)r))
print("accounts", accounts.count())
"""

# Access log lines for the summary: status, method, path and the server's time in ms (%(M)s).
ACCESS_FORMAT = "ACCESS %(s)s %(m)s %(U)s %(M)s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--locust", default=shutil.which("locust") or "/tmp/locustenv/bin/locust")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--time", type=int, default=120, help="seconds of load once every user is there")
    parser.add_argument("--accounts", type=int, default=40, help="signed-in citizens' accounts to create")
    parser.add_argument("--workers", default=None, help="GUNICORN_WORKERS (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", default=None, help="GUNICORN_THREADS (default: gunicorn.conf.py's)")
    parser.add_argument("--port", type=int, default=None, help="gunicorn's port (default: a free one)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database of an earlier run (skips migrate, demo towns and accounts)",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="plain HTTP to gunicorn, as from a TLS proxy (default: TLS at gunicorn)",
    )
    parser.add_argument("--logs", type=Path, default=None, help="copy gunicorn's and the worker's logs here")
    parser.add_argument(
        "--steady",
        action="store_true",
        help="count only the time once every user is there (locust --reset-stats: the ramp-up, with the "
        "signed-in citizens' sign-ins, is left out of the table; the CPU figures still include it)",
    )
    parser.add_argument(
        "--gunicorn-arg",
        action="append",
        default=[],
        help="one more gunicorn option, e.g. --gunicorn-arg=--keep-alive=75 (repeatable)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        help="NAME=value for the server's environment, e.g. --env CONN_MAX_AGE=0",
    )
    args = parser.parse_args()
    if not Path(args.locust).exists():
        parser.error(
            f"no locust at {args.locust}: install it into a virtualenv of its own (see the docstring)"
        )

    tmp = Path(tempfile.mkdtemp(prefix="sc5-load-"))
    port = args.port or smoke.free_port()
    password = secrets.token_urlsafe(12)
    env = smoke.production_env(tmp, port)
    env.update(
        {
            "DATABASE_URL": f"{POSTGRES}/{DATABASE}",
            "REDIS_URL": REDIS,
            "ALLOWED_HOSTS": "127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}",
            "TRUSTED_PROXY_COUNT": "1",
            "GUNICORN_LOG_LEVEL": "warning",
        }
    )
    for name, value in (("GUNICORN_WORKERS", args.workers), ("GUNICORN_THREADS", args.threads)):
        if value:
            env[name] = value
        else:
            env.pop(name, None)
    env.update(dict(item.split("=", 1) for item in args.env))
    processes = smoke.Processes(tmp)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        import psycopg

        if not args.reuse:
            with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
                connection.execute(f"CREATE DATABASE {DATABASE}")
            smoke.run([PYTHON, "manage.py", "migrate", "--noinput"], env, "migrate")
        smoke.run([PYTHON, "manage.py", "collectstatic", "--noinput"], env, "collectstatic")
        if not args.reuse:
            smoke.run([PYTHON, "manage.py", "load_demo"], env, "load_demo")
        script = (PASSWORDS if args.reuse else ACCOUNTS) % {"password": password, "count": args.accounts}
        print(smoke.run([PYTHON, "manage.py", "shell", "-c", script], env, "accounts").strip())
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                str(tmp / "key.pem"),
                "-out",
                str(tmp / "cert.pem"),
            ],
            check=True,
            capture_output=True,
        )
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
                "WARNING",
                "--concurrency",
                "1",
                "--hostname",
                f"load-{port}@%h",
            ],
            env,
        )
        tls = [] if args.plain else ["--certfile", str(tmp / "cert.pem"), "--keyfile", str(tmp / "key.pem")]
        processes.start(
            "gunicorn",
            [
                PYTHON,
                "-m",
                "gunicorn",
                "--config",
                "gunicorn.conf.py",
                *tls,
                f"--access-logformat={ACCESS_FORMAT}",
                *args.gunicorn_arg,
            ],
            env,
        )
        scheme = "http" if args.plain else "https"
        smoke.wait_until(lambda: _answers(scheme, port), timeout=60, what="gunicorn to answer")
        load_env = {
            **os.environ,
            "LOAD_PASSWORD": password,
            "LOAD_PLAIN": "1" if args.plain else "0",
            "LOAD_ACCOUNTS": ",".join(f"lasttest-{n:03d}@load.example" for n in range(args.accounts)),
        }
        ramp = int(args.users / args.spawn_rate) + 1
        print(
            f"locust: {args.users} users, {args.spawn_rate}/s, {ramp} s ramp-up + {args.time} s; "
            f"load before: {os.getloadavg()}",
            flush=True,
        )
        gunicorn_pid = processes.started[-1][1].pid
        cpu_before = _cpu_seconds(gunicorn_pid), _postgres_cpu_seconds()
        locust_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            [
                args.locust,
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                f"{ramp + args.time}s",
                "--host",
                f"{scheme}://127.0.0.1:{port}",
                "--csv",
                str(tmp / "locust"),
                "--only-summary",
                *(["--reset-stats"] if args.steady else []),
                "--loglevel",
                "WARNING",
            ],
            env=load_env,
            check=False,
            timeout=ramp + args.time + 120,
        )
        cpu_after = _cpu_seconds(gunicorn_pid), _postgres_cpu_seconds()
        locust_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        locust_cpu = sum(
            getattr(locust_after, field) - getattr(locust_before, field) for field in ("ru_utime", "ru_stime")
        )
        processes.check_alive()
        print(f"load after: {os.getloadavg()}")
        _summary(tmp / "locust_stats.csv", tmp / "locust_failures.csv")
        answered = _server_summary(tmp / "gunicorn.log")
        if answered:
            web, database = (after - before for before, after in zip(cpu_before, cpu_after, strict=True))
            print(
                f"CPU per answer: gunicorn {web / answered * 1000:.1f} ms, PostgreSQL backends "
                f"{database / answered * 1000:.1f} ms, locust {locust_cpu / answered * 1000:.1f} ms "
                f"({web:.0f} s, {database:.0f} s and {locust_cpu:.0f} s for {answered} answers)"
            )
    except Exception as exc:  # noqa: BLE001 - any failure: say what, show the logs, stop everything
        print(f"FAIL {type(exc).__name__}: {exc}")
        processes.print_logs()
        return 1
    finally:
        processes.stop_all()
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            for log in tmp.glob("*.log"):
                shutil.copy(log, args.logs / log.name)
            for table in tmp.glob("locust_*.csv"):
                shutil.copy(table, args.logs / table.name)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _answers(scheme: str, port: int) -> bool:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        request = urllib.request.Request(
            f"{scheme}://127.0.0.1:{port}/healthz", headers={"X-Forwarded-Proto": "https"}
        )
        with urllib.request.urlopen(request, context=context, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _summary(stats: Path, failures: Path) -> None:
    print("\n| page | requests | failures | median ms | p95 ms | p99 ms | requests/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with stats.open() as handle:
        for row in csv.DictReader(handle):
            name = row["Name"] if row["Name"] != "Aggregated" else "**all**"
            print(
                f"| {name} | {row['Request Count']} | {row['Failure Count']} | "
                f"{float(row['Median Response Time']):.0f} | {row['95%']} | {row['99%']} | {float(row['Requests/s']):.1f} |"
            )
    if failures.exists():
        with failures.open() as handle:
            for row in csv.DictReader(handle):
                print(f"failure: {row['Method']} {row['Name']}: {row['Error']} ×{row['Occurrences']}")


def _cpu_seconds(group: int) -> float:
    """CPU time (user + system) of every process in gunicorn's process group, with its finished workers."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # pgrp
            total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def _postgres_cpu_seconds() -> float:
    """CPU time of the PostgreSQL backends connected to the benchmark's database now (kept connections)."""
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        pids = [
            row[0]
            for row in connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [DATABASE])
        ]
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _server_summary(log: Path) -> int:
    """What gunicorn saw: its answers' statuses, its own time per request (median, p95), and its complaints
    (worker timeouts, restarts, errors)."""
    times, statuses, notes = [], {}, {}
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("ACCESS "):
            _, status, _method, _path, ms = line.split(" ", 4)
            statuses[status] = statuses.get(status, 0) + 1
            times.append(float(ms))
        elif any(
            word in line
            for word in (
                "WORKER TIMEOUT",
                "Booting worker",
                "Autorestarting",
                "ERROR",
                "CRITICAL",
                "Error",
                "Traceback",
                "Worker exiting",
                "was sent",
            )
        ):
            key = line.split("] ", 2)[-1][:100]
            notes[key] = notes.get(key, 0) + 1
    times.sort()
    if times:
        print(
            f"\nserver: {len(times)} answers {dict(sorted(statuses.items()))}, gunicorn's own time median "
            f"{times[len(times) // 2]:.0f} ms, p95 {times[int(len(times) * 0.95)]:.0f} ms"
        )
    for note, count in sorted(notes.items(), key=lambda item: -item[1])[:15]:
        print(f"server log ×{count}: {note}")
    return len(times)


if __name__ == "__main__":
    sys.exit(main())
