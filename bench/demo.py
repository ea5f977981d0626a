"""The demo on SQLite, as ``make run`` serves it but with gunicorn (1 sync worker) and DEBUG off (issue 16).

    .venv/bin/python bench/demo.py [--requests 31] [--db /tmp/sc5_bench_demo.sqlite3] [--keep]

Builds a fresh SQLite database with the demo towns (``manage.py migrate`` and ``load_demo``; no Redis: the cache is
the worker's memory, as with ``make run``) and gives one Arnsberg idea 50 published comments through the services
(``Diskussion mit 50 Kommentaren``). Then it runs gunicorn with one sync worker twice: once with the anonymous
page cache off (``PAGE_CACHE_SECONDS=0``: "cold", every page built) and once on ("warm": after the first request a
page comes from the cache until something changes). Each page is requested ``--requests`` times by an anonymous
client (a new connection each, as a sync worker closes it; gzip asked for, as browsers do) and the script prints
the median and the worst wall time seen by the client, and the worker's CPU time per request (from
``/proc/<pid>/stat`` before and after the series), which says more than the wall time on a busy machine.
"""

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TICKS = os.sysconf("SC_CLK_TCK")

COMMENTS = """
from django.utils import timezone
from accounts.models import User
from municipalities.models import Municipality
from municipalities.scoping import town_scope
from participation.services import comments as comment_services
from participation.models import Idea
town = Municipality.objects.get(slug="arnsberg")
with town_scope(town):
    idea = (Idea.objects.visible().filter(process__is_published=True, municipality=town)
            .order_by("-comment_count", "pk").first())
    author, _ = User.objects.get_or_create(email="diskussion@demo.example", defaults={
        "display_name": "Diskussion", "privacy_consent_at": timezone.now()})
    for n in range(50 - idea.comment_count):
        comment_services.comment_post(idea=idea, author=author, body=f"Kommentar {n + 1}: **gute** Idee, weil …")
    idea.refresh_from_db()
    print(idea.pk, idea.comment_count)
"""

PAGES = [
    ("town page", "/arnsberg/"),
    ("idea list", "/arnsberg/ideen/"),
    ("idea with 50 comments", "/arnsberg/ideen/{idea}/"),
    ("API idea list", "/api/v1/towns/arnsberg/ideas/"),
    ("process page", None),
    ("project list", "/arnsberg/projekte/"),
    ("region page", "/"),
]
TARGETS = {"town page": 8, "idea list": 15, "idea with 50 comments": 25, "API idea list": 15}


def _env(db: Path, cache_seconds: int) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "SMARTCITY5_ENV")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{db}",
        DEBUG="false",
        PAGE_CACHE_SECONDS=str(cache_seconds),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True, capture_output=capture
    )
    return result.stdout if capture else ""


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _get(port: int, path: str) -> tuple[float, int, str]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "GET", path, headers={"Accept-Encoding": "gzip", "Accept": "text/html,application/json"}
    )
    response = connection.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    return elapsed, response.status, response.getheader("X-Page-Cache") or ""


def _worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children")
    for _ in range(100):
        pids = children.read_text().split() if children.exists() else []
        if pids:
            return int(pids[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def _serve(env: dict, port: int):
    # -c /dev/null: not the production gunicorn.conf.py (gthread); one sync worker as the issue measures.
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "-c",
            "/dev/null",
            "--workers",
            "1",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "smartcity5.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(300):
        try:
            _get(port, "/healthz")
            break
        except OSError:
            time.sleep(0.1)
    return process


def _series(port: int, pid: int, path: str, n: int) -> dict:
    first = _get(port, path)  # warms the worker (imports, templates) and, with the cache on, fills it
    before = _cpu(pid)
    times, states = [], set()
    for _ in range(n):
        elapsed, status, state = _get(port, path)
        assert status == 200, (path, status)
        times.append(elapsed)
        states.add(state)
    cpu = (_cpu(pid) - before) * 1000 / n
    return {
        "median": statistics.median(times),
        "max": max(times),
        "cpu": cpu,
        "first": first[0],
        "cache": "/".join(sorted(s for s in states if s)) or "-",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=31)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: a new temporary one)")
    parser.add_argument("--port", type=int, default=8103)
    parser.add_argument(
        "--keep", action="store_true", help="keep an existing --db instead of building it anew"
    )
    parser.add_argument("--only", default="", help="measure only pages whose label contains this")
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp(prefix="sc5_bench_demo_")) / "demo.sqlite3"
    env = _env(db, 0)
    if not (args.keep and db.exists()):
        db.unlink(missing_ok=True)
        _manage(env, "migrate", "--verbosity", "0")
        _manage(env, "load_demo", "--quiet-accounts")
    idea, comments = _manage(env, "shell", "-c", COMMENTS, capture=True).split()[-2:]
    process_path = _manage(
        env,
        "shell",
        "-c",
        "from municipalities.scoping import town_scope\n"
        "from municipalities.models import Municipality\n"
        "from participation.models import Process\n"
        "t = Municipality.objects.get(slug='arnsberg')\n"
        "with town_scope(t):\n"
        "    print(Process.objects.filter(is_published=True).order_by('pk').first()"
        ".get_absolute_url())",
        capture=True,
    ).split()[-1]
    print(f"database {db}; idea {idea} has {comments} comments; load {os.getloadavg()[0]:.1f}", flush=True)
    pages = [
        (label, (path or process_path).format(idea=idea))
        for label, path in PAGES
        if args.only.lower() in label.lower()
    ]
    results: dict[str, dict] = {}
    for mode, seconds in (("cold", 0), ("warm", 300)):
        server = _serve(_env(db, seconds), args.port)
        try:
            pid = _worker_pid(server.pid)
            for label, path in pages:
                results.setdefault(label, {})[mode] = _series(args.port, pid, path, args.requests)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(
        f"{'page':<24} {'target':>7} | {'cold median':>11} {'max':>7} {'CPU':>7} | {'warm median':>11} "
        f"{'max':>7} {'CPU':>7} cache"
    )
    for label, path in pages:
        cold, warm = results[label]["cold"], results[label]["warm"]
        target = f"{TARGETS[label]} ms" if label in TARGETS else ""
        print(
            f"{label:<24} {target:>7} | {cold['median']:>8.1f} ms {cold['max']:>7.1f} {cold['cpu']:>7.1f} | "
            f"{warm['median']:>8.1f} ms {warm['max']:>7.1f} {warm['cpu']:>7.1f} {warm['cache']}  {path}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
