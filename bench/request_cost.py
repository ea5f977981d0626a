"""CPU per request of the load benchmark's pages, in-process, in production mode (bench/README.md, "load.py").

    LOAD_DATABASE=sc5_bench_load .venv/bin/python bench/request_cost.py [--repeat 30] [--profile 25]

Runs after ``bench/load.py`` has filled its database (``LOAD_DATABASE``, default ``sc5_bench_load``; Redis from
``LOAD_REDIS``). Requests every kind of page the simulated citizens ask for through Django's test client, with
the production settings (DEBUG off, the whole middleware stack, the Redis cache), anonymously and signed in, and
prints the median CPU time of this process per request (``time.process_time``: what the machine's other load
does not inflate much, unlike wall time), the queries, and with ``--profile N`` the N functions that take the
most time over all of them. TLS and gunicorn are not in it; bench/load.py measures those.
"""

import argparse
import cProfile
import io
import os
import pstats
import re
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
POSTGRES = os.environ.get("LOAD_POSTGRES", "postgres://postgres@127.0.0.1:5432")
os.environ.update(
    {
        "SMARTCITY5_ENV": "production",
        "SECRET_KEY": os.environ.get("SECRET_KEY", secrets.token_urlsafe(50)),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"{POSTGRES}/{os.environ.get('LOAD_DATABASE', 'sc5_bench_load')}",
        "REDIS_URL": os.environ.get("LOAD_REDIS", "redis://127.0.0.1:6379/14"),
        "EMAIL_URL": "consolemail://",
        "TRUSTED_PROXY_COUNT": "1",
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": os.environ.get("LOAD_STATIC_ROOT", "/tmp/sc5-request-cost-static"),
    }
)
os.environ.pop("DEBUG", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity5.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

if not (Path(os.environ["STATIC_ROOT"]) / "staticfiles.json").exists():
    call_command("collectstatic", "--noinput", verbosity=0)

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

IDEA = re.compile(r'href="/(arnsberg)/ideen/(\d+)/"')
PROJECT = re.compile(r'href="/(arnsberg)/projekte/([a-z0-9-]+)/"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    parser.add_argument("--only", default="", help="only pages whose name contains this (=name: only that)")
    parser.add_argument("--who", default="", help="only anonymous or only signed in (the profile too)")
    parser.add_argument(
        "--callers", default="", help="with --profile: print who calls functions matching this"
    )
    args = parser.parse_args()

    anonymous = _client()
    plain = {"HTTP_ACCEPT_ENCODING": "identity"}
    listing = anonymous.get("/arnsberg/ideen/?sort=new&page=1", **plain).content.decode()
    projects = anonymous.get("/arnsberg/projekte/", **plain).content.decode()
    idea, project = IDEA.search(listing).groups(), PROJECT.search(projects).groups()
    pages = {
        "town page": "/arnsberg/",
        "idea list (new)": "/arnsberg/ideen/?sort=new&page=1",
        "idea list (supported, page 2)": "/arnsberg/ideen/?sort=supported&page=2",
        "idea": f"/{idea[0]}/ideen/{idea[1]}/",
        "project list": "/arnsberg/projekte/",
        "project": f"/{project[0]}/projekte/{project[1]}/",
        "API idea list": "/api/v1/towns/arnsberg/ideas/",
        "API idea": f"/api/v1/towns/{idea[0]}/ideas/{idea[1]}/",
        "healthz": "/healthz",
    }
    signed_in = _client()
    from accounts.models import User

    user = User.objects.filter(email__endswith="@load.example").first()
    if user is None:
        parser.error("no @load.example accounts: run bench/load.py first (it fills LOAD_DATABASE)")
    signed_in.force_login(user)

    # CPU time, not wall time: on a busy machine the wall clock mostly measures the wait for a core.
    profile = cProfile.Profile(time.process_time) if args.profile else None
    print(f"load average {os.getloadavg()[0]:.1f}; median of {args.repeat} after 3 warm-up requests\n")
    print("| page | who | CPU ms (median) | wall ms (median) | queries |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name, path in pages.items():
        if args.only not in name and args.only != f"={name}":
            continue
        for who, client in (("anonymous", anonymous), ("signed in", signed_in)):
            if args.who not in who:
                continue
            for _ in range(3):
                assert client.get(path).status_code == 200, path
            cpu, wall = [], []
            for _ in range(args.repeat):
                with CaptureQueriesContext(connection) as queries:
                    started_cpu, started = time.process_time(), time.perf_counter()
                    if profile:
                        profile.enable()
                    response = client.get(path)
                    if profile:
                        profile.disable()
                    cpu.append((time.process_time() - started_cpu) * 1000)
                    wall.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            print(
                f"| {name} | {who} | {statistics.median(cpu):.1f} | {statistics.median(wall):.1f} | "
                f"{len(queries.captured_queries)} |"
            )
            reset_queries()
    if profile:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.profile)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.profile)
        print(out.getvalue())
        if args.callers:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_callers(args.callers)
            print(out.getvalue())
    return 0


def _client() -> Client:
    # As the reverse proxy sends it: HTTPS, one client address, gzip accepted, German.
    return Client(
        secure=True,
        HTTP_HOST="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.0.0.1",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_ACCEPT_ENCODING="gzip",
        HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9",
    )


if __name__ == "__main__":
    sys.exit(main())
