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
"""

import argparse
import csv
import importlib.util
import os
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
DATABASE = "sc5_bench_load"
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--locust", default=shutil.which("locust") or "/tmp/locustenv/bin/locust")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--time", type=int, default=120, help="seconds of load once every user is there")
    parser.add_argument("--accounts", type=int, default=40, help="signed-in citizens' accounts to create")
    parser.add_argument("--workers", default=None, help="GUNICORN_WORKERS (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", default=None, help="GUNICORN_THREADS (default: gunicorn.conf.py's)")
    args = parser.parse_args()
    if not Path(args.locust).exists():
        parser.error(f"no locust at {args.locust}: install it into a virtualenv of its own (see the docstring)")

    tmp = Path(tempfile.mkdtemp(prefix="sc5-load-"))
    port = smoke.free_port()
    password = secrets.token_urlsafe(12)
    env = smoke.production_env(tmp, port)
    env.update({"DATABASE_URL": f"{POSTGRES}/{DATABASE}", "REDIS_URL": REDIS,
                "ALLOWED_HOSTS": "127.0.0.1", "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}",
                "TRUSTED_PROXY_COUNT": "1", "GUNICORN_LOG_LEVEL": "warning"})
    for name, value in (("GUNICORN_WORKERS", args.workers), ("GUNICORN_THREADS", args.threads)):
        if value:
            env[name] = value
        else:
            env.pop(name, None)
    processes = smoke.Processes(tmp)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {DATABASE}")
        smoke.run([PYTHON, "manage.py", "migrate", "--noinput"], env, "migrate")
        smoke.run([PYTHON, "manage.py", "collectstatic", "--noinput"], env, "collectstatic")
        smoke.run([PYTHON, "manage.py", "load_demo"], env, "load_demo")
        print(smoke.run([PYTHON, "manage.py", "shell", "-c",
                         ACCOUNTS % {"password": password, "count": args.accounts}], env, "accounts").strip())
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")],
                       check=True, capture_output=True)
        processes.start("worker", [PYTHON, "-m", "celery", "-A", "smartcity5", "worker", "--loglevel", "WARNING",
                                   "--concurrency", "1", "--hostname", f"load-{port}@%h"], env)
        processes.start("gunicorn", [PYTHON, "-m", "gunicorn", "--config", "gunicorn.conf.py",
                                     "--certfile", str(tmp / "cert.pem"), "--keyfile", str(tmp / "key.pem")], env)
        smoke.wait_until(lambda: _answers(port), timeout=60, what="gunicorn to answer")
        load_env = {**os.environ, "LOAD_PASSWORD": password,
                    "LOAD_ACCOUNTS": ",".join(f"lasttest-{n:03d}@load.example" for n in range(args.accounts))}
        ramp = int(args.users / args.spawn_rate) + 1
        print(f"locust: {args.users} users, {args.spawn_rate}/s, {ramp} s ramp-up + {args.time} s; "
              f"load before: {os.getloadavg()}", flush=True)
        subprocess.run([args.locust, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                        "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
                        "--run-time", f"{ramp + args.time}s", "--host", f"https://127.0.0.1:{port}",
                        "--csv", str(tmp / "locust"), "--only-summary", "--loglevel", "WARNING"],
                       env=load_env, check=False, timeout=ramp + args.time + 120)
        processes.check_alive()
        print(f"load after: {os.getloadavg()}")
        _summary(tmp / "locust_stats.csv", tmp / "locust_failures.csv")
    except Exception as exc:  # noqa: BLE001 - any failure: say what, show the logs, stop everything
        print(f"FAIL {type(exc).__name__}: {exc}")
        processes.print_logs()
        return 1
    finally:
        processes.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _answers(port: int) -> bool:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", context=context, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _summary(stats: Path, failures: Path) -> None:
    print("\n| page | requests | failures | median ms | p95 ms | p99 ms | requests/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with stats.open() as handle:
        for row in csv.DictReader(handle):
            name = row["Name"] if row["Name"] != "Aggregated" else "**all**"
            print(f"| {name} | {row['Request Count']} | {row['Failure Count']} | "
                  f"{float(row['Median Response Time']):.0f} | {row['95%']} | {row['99%']} | {float(row['Requests/s']):.1f} |")
    if failures.exists():
        with failures.open() as handle:
            for row in csv.DictReader(handle):
                print(f"failure: {row['Method']} {row['Name']}: {row['Error']} ×{row['Occurrences']}")


if __name__ == "__main__":
    sys.exit(main())
