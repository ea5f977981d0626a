"""Benchmark: could one storage serve both channels of ``municipalities.freshness``? What each storage costs its
channel's writers and readers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sc5_bench_unify .venv/bin/python bench/freshness_channels.py

On a scratch database (name starting with ``sc5_bench``, migrated; ``--towns`` towns are added if missing):

1. **Writers of one town at once** (a campaign's ideas and held comments, each request one transaction,
   ``ATOMIC_REQUESTS``): ``--writers`` threads each run ``--writes`` transactions that move one channel of the same
   town and then hold the transaction open ``--hold`` ms (the rest of a request). The pages' storage (an ``UPDATE``
   of the town row) makes them queue on the row lock; the figures' storage (an ``INSERT``) does not.
2. **Readers**: what a version read costs in each storage, for one town (a town page: the pages' version comes
   with the town row the middleware reads anyway) and for every town (the region's pages, the Agentur), with
   ``--changes`` change rows per town in the figures' table (a busy day before the nightly prune).
"""

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity5.settings")


def _writers(town_id: int, channel, *, writers: int, writes: int, hold: float) -> dict:
    from django.db import close_old_connections, connection, transaction

    from municipalities import freshness

    waits: list[float] = []
    lock = threading.Lock()

    def run():
        mine = []
        for _ in range(writes):
            with transaction.atomic():
                started = time.perf_counter()
                freshness.move([town_id], channels=channel)
                mine.append(time.perf_counter() - started)
                time.sleep(hold)
        with lock:
            waits.extend(mine)
        connection.close()

    close_old_connections()
    threads = [threading.Thread(target=run) for _ in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    waits.sort()
    return {
        "wall_s": round(wall, 2),
        "ideal_s": round(writes * hold, 2),
        "move_p50_ms": round(statistics.median(waits) * 1000, 2),
        "move_p95_ms": round(waits[int(len(waits) * 0.95) - 1] * 1000, 2),
    }


def _timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--towns", type=int, default=50)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--writes", type=int, default=25)
    parser.add_argument("--hold", type=float, default=20, help="ms the transaction stays open after the move")
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    if not connection.settings_dict["NAME"].startswith("sc5_bench"):
        raise SystemExit("use a scratch database whose name starts with sc5_bench")

    from municipalities import freshness
    from municipalities.models import Consortium, FiguresChange, Municipality

    consortium = Consortium.objects.first() or Consortium.objects.create(name="Bench", slug="bench")
    have = Municipality.objects.count()
    for n in range(have, args.towns):
        Municipality.objects.create(consortium=consortium, name=f"Bench-Ort {n}", slug=f"bench-ort-{n}")
    towns = list(Municipality.objects.order_by("pk").values_list("pk", flat=True))[: args.towns]
    FiguresChange._base_manager.all().delete()
    FiguresChange._base_manager.bulk_create(
        [FiguresChange(municipality_id=pk) for _ in range(args.changes) for pk in towns], batch_size=5000
    )
    connection.cursor().execute("ANALYZE municipalities_figureschange")

    hold = args.hold / 1000
    print(f"{len(towns)} towns, {args.changes} change rows each; {os.getloadavg()=}")
    for name, channel in (
        ("pages (UPDATE)", freshness.Channel.PAGES),
        ("figures (INSERT)", freshness.Channel.FIGURES),
    ):
        cpu = time.process_time()
        result = _writers(towns[0], channel, writers=args.writers, writes=args.writes, hold=hold)
        print(
            f"writers  {name:17} {args.writers}x{args.writes}: {result} cpu={time.process_time() - cpu:.2f}s"
        )

    town = Municipality.objects.get(pk=towns[0])
    print(
        "readers  one town:  pages (with the town row, 0 extra queries) "
        f"{_timed(lambda: Municipality.objects.get(pk=town.pk).content_version, args.repeat)} ms incl. the town row; "
        f"figures {_timed(lambda: freshness.read_versions([town.pk]), args.repeat)} ms (one more query)"
    )
    print(
        f"readers  all towns: pages (aggregate) {_timed(freshness.region_version, args.repeat)} ms; "
        f"figures (latest per town) {_timed(lambda: freshness.read_versions(towns), args.repeat)} ms"
    )
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
