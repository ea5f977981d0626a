"""Benchmark: open data downloads of a town with many ideas, and a page while six downloads run at once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sc5_bench_opendata .venv/bin/python bench/opendata.py --ideas 5000

Uses the scratch database and the town of ``bench/participation.py`` (filled the same way if needed; the name must
start with ``sc5_bench``), builds the open data files, then measures (median of ``--repeat``):

1. what a download of the region's ideas CSV cost every request before the files: reading and assembling it
   (``api.opendata.downloads.write_download`` into memory, with the freshness query);
2. what it costs now: the whole request through the test client, streaming the built file;
3. the issue's scenario: gunicorn with three sync workers on ``--port``, six clients downloading the region's ideas
   CSV in a loop, and the time of the town's start page meanwhile (and without the downloads, for comparison).
"""

import argparse
import importlib.util
import io
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity5.settings")


def _participation_bench():
    spec = importlib.util.spec_from_file_location("bench_participation", ROOT / "bench" / "participation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ideas", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--port", type=int, default=18500)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    if not str(name).startswith("sc5_bench"):
        sys.exit(f"Refusing to fill database {name!r}: use a scratch database named sc5_bench…")
    bench = _participation_bench()
    bench._ensure_database(settings.DATABASES["default"])
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    town, _process = bench._fill(args.ideas, fresh=False)
    started = time.perf_counter()
    call_command("opendata_build", dataset=["ideas"])
    print(
        f"built the ideas files (region and every town, CSV and JSON) in {time.perf_counter() - started:.1f} s"
    )
    _per_request(args.repeat)
    _under_load(town, args.port, args.repeat)


def _median_ms(times) -> str:
    return f"median {statistics.median(times) * 1000:8.1f} ms, worst {max(times) * 1000:8.1f} ms"


def _per_request(repeat: int) -> None:
    from django.test import Client

    from api.opendata.datasets import DATASETS
    from api.opendata.downloads import write_download
    from municipalities.scoping import public_region_scope

    dataset = DATASETS["ideas"]
    before, after, size = [], [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        with public_region_scope():
            dataset.freshness()
            out = io.BytesIO()
            write_download(out, dataset, "csv", None)
        before.append(time.perf_counter() - started)
        size = len(out.getvalue())
    client = Client()
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get("/api/v1/opendata/ideas.csv")
        body = b"".join(response.streaming_content)
        after.append(time.perf_counter() - started)
        assert response.status_code == 200 and len(body) == size, (response.status_code, len(body), size)
    print(f"region ideas CSV, {size / 1e6:.1f} MB")
    print(f"  before: assembled in the request   {_median_ms(before)}")
    print(f"  now: the built file streamed       {_median_ms(after)}")


def _get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        while response.read(1 << 16):
            pass
    return time.perf_counter() - started


def _under_load(town, port: int, repeat: int) -> None:
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "false"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "smartcity5.wsgi",
            "--workers",
            "3",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    page, download = f"{base}/{town.slug}/", f"{base}/api/v1/opendata/ideas.csv"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(page)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        quiet = [_get(page) for _ in range(repeat)]
        stop, downloads = threading.Event(), []

        def downloader():
            while not stop.is_set():
                downloads.append(_get(download))

        threads = [threading.Thread(target=downloader) for _ in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        busy = []
        for _ in range(repeat):
            busy.append(_get(page))
            time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("gunicorn, 3 sync workers:")
    print(f"  town page, no downloads              {_median_ms(quiet)}")
    print(f"  town page, six downloads running     {_median_ms(busy)}")
    print(f"  the downloads meanwhile ({len(downloads)})         {_median_ms(downloads)}")


if __name__ == "__main__":
    main()
