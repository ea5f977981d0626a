"""Benchmark: participation pages with many ideas, comments and supports.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sc5_bench .venv/bin/python bench/participation.py --ideas 20000

Creates (or re-creates, with --fresh) a scratch database of its own, fills one town with a process holding
``--ideas`` ideas (a third with a place, three comments and five supports each on average), then requests
the public and staff pages through the full middleware stack and prints the median and worst time and the
number of queries of each. It refuses to run against a database whose name does not start with ``sc5_bench``.
Numbers are from the machine it runs on; compare runs on the same machine only.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity5.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ideas", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--fresh", action="store_true", help="drop the benchmark data and create it again")
    parser.add_argument(
        "--only",
        default="",
        help="measure only the pages whose label contains one of these texts (separated by '|')",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    if not str(name).startswith("sc5_bench"):
        sys.exit(f"Refusing to fill database {name!r}: use a scratch database named sc5_bench…")
    _ensure_database(settings.DATABASES["default"])
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    town, process = _fill(args.ideas, fresh=args.fresh)
    discussed = _discussed(town, process)
    _measure(town, process, discussed, args.repeat, only=args.only)


def _ensure_database(db: dict) -> None:
    if "postgresql" not in db["ENGINE"]:
        return
    import psycopg

    dsn = f"host={db.get('HOST') or '127.0.0.1'} port={db.get('PORT') or 5432} user={db.get('USER') or 'postgres'}"
    with psycopg.connect(dsn + " dbname=postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def _fill(count: int, *, fresh: bool):
    from django.db import transaction

    from accounts.models import User
    from municipalities.models import Consortium, Municipality
    from municipalities.scoping import town_scope
    from participation.models import Comment, Idea, Process, Support
    from participation.services import common as common_services
    from participation.services import processes as processes_services
    from participation.services import supports as supports_services

    consortium, _ = Consortium.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    town, _ = Municipality.objects.get_or_create(
        slug="benchstadt",
        defaults={
            "consortium": consortium,
            "name": "Benchstadt",
            "official_name": "Stadt Benchstadt",
            "map_south": 51.3,
            "map_west": 7.9,
            "map_north": 51.5,
            "map_east": 8.2,
        },
    )
    with town_scope(town):
        process = Process.objects.filter(slug="bench-ideen").first()
        if process is not None and fresh:
            process.delete()
            process = None
        if process is not None and Idea.objects.filter(process=process).count() >= count:
            return town, process
        if process is None:
            import datetime

            today = datetime.date.today()
            process = processes_services.process_create(
                municipality=town,
                by=None,
                fields={"title": "Bench-Ideen", "summary": "Viele Ideen.", "is_published": True},
                phases=[
                    {
                        "kind": "ideas",
                        "starts_on": today - datetime.timedelta(days=30),
                        "ends_on": today + datetime.timedelta(days=30),
                    }
                ],
            )
            Process.objects.filter(pk=process.pk).update(slug="bench-ideen")
            process.slug = "bench-ideen"
        started = time.perf_counter()
        rng = random.Random(5)
        people = list(User.objects.filter(email__endswith="@bench.example")[:500])
        if len(people) < 500:
            User.objects.bulk_create(
                [
                    User(email=f"p{n}@bench.example", display_name=f"Person {n}")
                    for n in range(len(people), 500)
                ],
                ignore_conflicts=True,
            )
            people = list(User.objects.filter(email__endswith="@bench.example")[:500])
        words = [
            "Radweg",
            "Bank",
            "Baum",
            "Brunnen",
            "Spielplatz",
            "Bus",
            "WLAN",
            "Markt",
            "Schule",
            "Licht",
            "Parkplatz",
            "Garten",
            "Bücherei",
            "Sitzbank",
            "Ladestation",
            "Fußweg",
            "Ampel",
            "Wiese",
            "Café",
            "Toilette",
        ]
        with transaction.atomic():
            ideas = [
                Idea(
                    process=process,
                    municipality=town,
                    author=rng.choice(people),
                    consent_at=None,
                    title=f"{rng.choice(words)} am {rng.choice(words)} {n}",
                    body=" ".join(rng.choice(words) for _ in range(60)),
                    latitude=51.4 if n % 3 == 0 else None,
                    longitude=8.0 if n % 3 == 0 else None,
                )
                for n in range(count)
            ]
            Idea.objects.bulk_create(ideas, batch_size=2000)
            ideas = list(Idea.objects.filter(process=process).only("pk"))
            Comment.objects.bulk_create(
                [
                    Comment(idea=i, municipality=town, author=rng.choice(people), body="Ja!")
                    for i in ideas
                    for _ in range(rng.randint(0, 6))
                ],
                batch_size=5000,
            )
            Support.objects.bulk_create(
                [
                    Support(idea=i, municipality=town, user=u)
                    for i in ideas
                    for u in rng.sample(people, rng.randint(0, 10))
                ],
                batch_size=5000,
                ignore_conflicts=True,
            )
        all_ids = [i.pk for i in ideas]
        for start in range(0, len(all_ids), 2000):
            supports_services.refresh_counts(all_ids[start : start + 2000])
        # Bulk inserts bypass the services: the process's stored count and version are set once here.
        common_services.touch_processes([process.pk], recount=True)
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as autovacuum would after a load like this
        print(f"filled {count} ideas in {time.perf_counter() - started:.1f} s")
    return town, process


def _discussed(town, process) -> dict:
    """Two ideas with exactly 50 and 200 published comments (added once), as a lively discussion has."""
    from accounts.models import User
    from municipalities.scoping import town_scope
    from participation.models import Comment, Idea
    from participation.services import supports as supports_services

    people = list(User.objects.filter(email__endswith="@bench.example").order_by("pk")[:200])
    found = {}
    with town_scope(town):
        for size in (50, 200):
            title = f"Diskussion mit {size} Kommentaren"
            idea = Idea.objects.filter(process=process, title=title).first()
            if idea is None:
                idea = Idea.objects.create(
                    process=process,
                    municipality=town,
                    author=people[0],
                    title=title,
                    body="Eine lebhafte Diskussion.",
                )
                Comment.objects.bulk_create(
                    [
                        Comment(
                            idea=idea,
                            municipality=town,
                            author=people[n % len(people)],
                            body=f"Beitrag {n}: Das sehe ich ähnlich, aber der Radweg braucht Licht.",
                        )
                        for n in range(size)
                    ]
                )
                supports_services.refresh_counts([idea.pk])
            found[size] = idea
    return found


def _measure(town, process, discussed: dict, repeat: int, only: str = "") -> None:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import override_settings

    from accounts.models import Membership, Role, User

    client = Client()
    staff, _ = User.objects.get_or_create(email="staff@bench.example", defaults={"display_name": "Staff"})
    from municipalities.scoping import town_scope

    with town_scope(town):
        Membership.objects.get_or_create(user=staff, municipality=town, defaults={"role": Role.ADMIN})
    from allauth.mfa.models import Authenticator

    Authenticator.objects.get_or_create(
        user=staff, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "x"}}
    )
    agentur, _ = User.objects.get_or_create(
        email="agentur@bench.example", defaults={"display_name": "Agentur", "is_agentur_moderator": True}
    )
    Authenticator.objects.get_or_create(
        user=agentur, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "x"}}
    )
    pages = [
        ("town home", f"/{town.slug}/", None),
        ("idea with 50 comments", f"/{town.slug}/ideen/{discussed[50].pk}/", None),
        ("idea with 200 comments", f"/{town.slug}/ideen/{discussed[200].pk}/", None),
        ("API idea list", f"/api/v1/towns/{town.slug}/ideas/", None),
        ("API idea list, page 50", f"/api/v1/towns/{town.slug}/ideas/?page=50", None),
        ("process page", f"/{town.slug}/beteiligung/{process.slug}/", None),
        ("idea list, newest", f"/{town.slug}/ideen/", None),
        ("idea list, most supported", f"/{town.slug}/ideen/?sort=supported", None),
        ("idea list, most discussed, page 50", f"/{town.slug}/ideen/?sort=discussed&page=50", None),
        # The fill's descriptions repeat a dozen words, so this search matches nine ideas in ten ...
        ("idea list, search, common words", f"/{town.slug}/ideen/?q=Brunnen+Garten", None),
        # ... and this one a dozen (the number in their titles), as a real search for a place or a topic would.
        ("idea list, search, rare word", f"/{town.slug}/ideen/?q=1234", None),
        ("staff process page", f"/{town.slug}/verwaltung/beteiligung/{process.slug}/", staff),
        ("moderation queue", f"/{town.slug}/verwaltung/beteiligung/moderation/", staff),
        ("Agentur overview", "/agentur/", agentur),
    ]
    # The Python process's own CPU time beside the wall time: on a machine shared with other work the wall time
    # mostly measures the wait for a core, the CPU time what this request cost (SQL time is in neither column
    # alone: PostgreSQL runs in its own processes, its share is the "SQL ms" column, itself a wall time).
    print(f"{'page':38} {'median ms':>10} {'max ms':>8} {'CPU ms':>7} {'SQL ms':>7} {'queries':>8}")
    with override_settings(DEBUG=True, ALLOWED_HOSTS=["*"]):
        for label, url, user in pages:
            if only and not any(part in label for part in only.split("|")):
                continue
            client.logout()
            if user is not None:
                client.force_login(user)
            times, cpu, sql = [], [], []
            for _ in range(repeat):
                reset_queries()
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
                sql.append(sum(float(query["time"]) for query in connection.queries) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            print(
                f"{label:38} {statistics.median(times):10.1f} {max(times):8.1f} {statistics.median(cpu):7.1f} "
                f"{statistics.median(sql):7.1f} {len(connection.queries):8d}"
            )


if __name__ == "__main__":
    main()
