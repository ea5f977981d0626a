"""Benchmark: every public page and public API read on a ``seed_scale`` database (issue 16, public side).

    createdb -h 127.0.0.1 -U postgres sc5_bench_pub
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/sc5_bench_pub REDIS_URL=redis://127.0.0.1:6379/3
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_scale --towns 50 --ideas-per-town 4000
    .venv/bin/python bench/scale.py --repeat 21 --json /tmp/pub-4000.json

It fills nothing but one discussion (an idea with exactly 200 published comments by the town's seeded citizens,
added once to the town's process that collects ideas today, through the stored counts as the services keep them),
then requests each public page and API read through the whole middleware stack (Django's test client: tenant scope,
sessions, CSRF, gzip, templates, DRF), anonymously and with DEBUG off, and prints the server time's median, p95 and
worst, the Python process's CPU time, the SQL time and the query count of each. Numbers are from the machine it
runs on, as loaded as it is (the load average is printed); compare runs on the same machine only.

**Uncached.** The anonymous page cache (``smartcity5/page_cache.py``) is turned off for the run
(``PAGE_CACHE_SECONDS=0``, set here whatever the environment says), so every request builds its page. Caches of
data that a page reads (the map points of an unfiltered list, Markdown) stay as in production: the warm-up requests
fill them. ``--cold`` empties the whole cache before every request instead (the first visitor after a change).

``--json FILE`` keeps the numbers; ``--flat SMALL.json LARGE.json`` prints the ratio of the medians of two runs
(e.g. 1,000 and 40,000 ideas a town) per page. It refuses a database whose name does not start with ``sc5_bench``
or that ``seed_scale`` did not fill.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity5.settings")

#: The targets of issue 16 for public pages and API reads, and for the text search.
TARGET_MS = 50
SEARCH_TARGET_MS = 150
#: Words of the seeded ideas' texts (sampledata/seed/text.py): "digital" and "die" occur in most of them (a
#: visitor looking for "digitale Ideen"), the rare word in a handful (a street name).
COMMON_WORDS = "digital die"
RARE_WORD = "Kirchplatz"
DEEP_PAGE = 40
#: A search's last page: its pages (of 20) end at the count's cap (smartcity5.pagination.COUNT_CAP, 200: page 10).
SEARCH_LAST_PAGE = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21, help="timed requests per page (default 21)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per page first (default 2)")
    parser.add_argument(
        "--town",
        default="",
        help="the town's slug (default: the second seeded town, a partner "
        "in a joint process, so its scope holds shared rows)",
    )
    parser.add_argument(
        "--only", default="", help="only the pages whose label contains one of these texts (separated by '|')"
    )
    parser.add_argument("--cold", action="store_true", help="empty the cache before every request")
    parser.add_argument("--json", default="", help="write the results to this file")
    parser.add_argument("--flat", nargs=2, metavar=("SMALL", "LARGE"), help="compare two --json results")
    args = parser.parse_args()
    if args.flat:
        _flat(*args.flat)
        return

    import django

    os.environ["PAGE_CACHE_SECONDS"] = "0"
    os.environ.setdefault("CONN_MAX_AGE", "60")  # persistent connections, as in production
    django.setup()
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    if not str(name).startswith("sc5_bench"):
        sys.exit(f"Refusing to run against database {name!r}: use a scratch database named sc5_bench…")
    town, facts = _facts(args.town)
    pages = _pages(town, facts)
    results = _measure(pages, repeat=args.repeat, warmup=args.warmup, only=args.only, cold=args.cold)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "database": name,
                    "town": town.slug,
                    "facts": facts,
                    "load": os.getloadavg(),
                    "results": results,
                },
                indent=1,
            )
        )


def _facts(slug: str):
    """The town to measure and the rows its pages need (the seeded data, plus the 200-comment discussion)."""
    from django.db.models import Count

    from municipalities.models import Consortium, Municipality
    from municipalities.scoping import scopes_disabled, town_scope
    from participation.models import Idea, Process
    from sampledata.seed.fill import SEED_PREFIX

    with scopes_disabled():
        if not Consortium.objects.filter(slug__startswith=SEED_PREFIX).exists():
            sys.exit("This database holds no seed_scale data: run manage.py seed_scale first.")
        towns = list(Municipality.objects.filter(consortium__slug__startswith=SEED_PREFIX).order_by("pk"))
        town = next((t for t in towns if t.slug == slug), None) if slug else towns[min(1, len(towns) - 1)]
        if town is None:
            sys.exit(f"No seeded town {slug!r}.")
        total_ideas = Idea.objects.count()
    with town_scope(town):
        processes = list(Process.objects.filter(is_published=True).order_by("pk"))
        collecting = next(p for p in processes if p.accepts_ideas())
        results = next((p for p in processes if p.results_public()), None)
        discussion = _discussion(town, collecting)
        ideas = Idea.objects.visible().filter(process__is_published=True)
        typical = list(
            ideas.filter(comment_count__range=(2, 6), support_count__range=(5, 20))
            .order_by("pk")
            .values_list("pk", flat=True)[:10]
        )
        town_ideas = ideas.count()
    facts = {
        "town_ideas": town_ideas,
        "all_ideas": total_ideas,
        "towns": len(towns),
        "collecting": collecting.slug,
        "results": results.slug if results else None,
        "discussion": discussion.pk,
        "typical": typical,
    }
    facts.update(_project_facts(town))
    facts.update(_knowledge_facts())
    facts.update(_survey_facts(town))
    with town_scope(town):
        from participation.selectors import ideas as ideas_selectors

        facts["common_matches"] = ideas_selectors.idea_list(
            filters=ideas_selectors.IdeaFilters(q=COMMON_WORDS)
        ).count()
        facts["rare_matches"] = ideas_selectors.idea_list(
            filters=ideas_selectors.IdeaFilters(q=RARE_WORD)
        ).count()
        facts["fields"] = list(
            ideas.values("field_of_action__slug")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .values_list("field_of_action__slug", flat=True)[:1]
        )
    return town, facts


def _discussion(town, process):
    """An idea with exactly 200 published comments (added once, by the town's seeded citizens, with the stored
    counts and the process's freshness kept as the services keep them)."""
    from django.db import transaction

    from accounts.models import Membership, User
    from participation.models import Comment, Idea
    from participation.services import common as common_services
    from participation.services import supports as supports_services

    title = "Diskussion mit 200 Kommentaren"
    idea = Idea.objects.filter(process=process, title=title).first()
    if idea is not None:
        return idea
    staff = Membership.objects.values_list("user_id", flat=True)
    people = list(
        User.objects.filter(email__endswith=".seed.smartcity5.example")
        .exclude(pk__in=staff)
        .order_by("pk")[:200]
    )
    with transaction.atomic():
        idea = Idea.objects.create(
            process=process,
            municipality=process.municipality,
            author=people[0],
            title=title,
            body="Eine lebhafte Diskussion über den **Radweg** am Markt.",
            field_of_action=process.field_of_action,
        )
        Comment.objects.bulk_create(
            [
                Comment(
                    idea=idea,
                    municipality=process.municipality,
                    author=people[n % len(people)],
                    body=f"Beitrag {n}: Das sehe ich ähnlich, aber der Radweg braucht *Licht* und eine Bank.",
                )
                for n in range(200)
            ]
        )
        supports_services.refresh_counts([idea.pk])
        common_services.touch_processes([process.pk], recount=True)
    return idea


def _project_facts(town) -> dict:
    from django.db.models import Count

    from municipalities.scoping import town_scope
    from projects.models import Project

    with town_scope(town):
        public = Project.objects.public()
        busiest = (
            public.annotate(n=Count("updates", distinct=True) + Count("indicators", distinct=True))
            .order_by("-n", "pk")
            .values_list("slug", flat=True)
            .first()
        )
        joint = public.exclude(municipality=town).values_list("slug", flat=True).first()
        return {"projects": public.count(), "project": busiest, "joint_project": joint}


def _survey_facts(town) -> dict:
    """The town's running survey (results live) and its closed one, with their responses (seed_scale makes two
    per town; a database seeded before surveys has none)."""
    from municipalities.scoping import town_scope
    from surveys.models import Survey

    with town_scope(town):
        surveys = list(
            Survey.objects.filter(municipality=town, superseded_at__isnull=True)
            .select_related("process")
            .order_by("pk")
        )
        running = next((s for s in surveys if s.process.accepts_survey_responses()), None)
        closed = next((s for s in surveys if s is not running), None)
    return {
        "survey": running.process.slug if running else None,
        "survey_responses": running.response_count if running else 0,
        "closed_survey": closed.process.slug if closed else None,
    }


def _knowledge_facts() -> dict:
    from knowledge.models import LessonNote
    from knowledge.selectors import shared_knowledge_scope

    with shared_knowledge_scope():
        note = LessonNote.objects.filter(is_public=True).order_by("pk").values_list("pk", flat=True).first()
    return {"note": note}


def _pages(town, facts: dict) -> list[tuple[str, list[str]]]:
    """(label, addresses): a label with several addresses cycles through them (e.g. ten different ideas)."""
    t = town.slug
    api = f"/api/v1/towns/{t}"
    collecting, discussion = facts["collecting"], facts["discussion"]
    deep = f"page={DEEP_PAGE}"
    pages = [
        ("region home", ["/"]),
        ("region projects", ["/projekte/"]),
        ("region processes", ["/beteiligung/"]),
        ("region strategy", ["/strategie/"]),
        ("catalogue of transferable projects", ["/projekte/katalog/"]),
        ("knowledge list", ["/wissen/"]),
        ("open data page", ["/offene-daten/"]),
        ("imprint", ["/impressum/"]),
        ("town home", [f"/{t}/"]),
        ("town accessibility", [f"/{t}/barrierefreiheit/"]),
        ("town strategy", [f"/{t}/strategie/"]),
        ("project list", [f"/{t}/projekte/"]),
        ("project list, page 5", [f"/{t}/projekte/?page=5"]),
        ("project list, search", [f"/{t}/projekte/?q=digital"]),
        ("project list, status filter", [f"/{t}/projekte/?status=in_progress"]),
        ("process list", [f"/{t}/beteiligung/"]),
        ("process page (collecting ideas)", [f"/{t}/beteiligung/{collecting}/"]),
        ("idea list, newest", [f"/{t}/ideen/"]),
        ("idea list, most supported", [f"/{t}/ideen/?sort=supported"]),
        ("idea list, most discussed", [f"/{t}/ideen/?sort=discussed"]),
        (f"idea list, newest, page {DEEP_PAGE}", [f"/{t}/ideen/?{deep}"]),
        (f"idea list, most supported, page {DEEP_PAGE}", [f"/{t}/ideen/?sort=supported&{deep}"]),
        (f"idea list, most discussed, page {DEEP_PAGE}", [f"/{t}/ideen/?sort=discussed&{deep}"]),
        ("idea list, one process", [f"/{t}/ideen/?process={collecting}"]),
        ("idea map: status filter (points per request)", [f"/{t}/ideen/?status=accepted"]),
        ("idea list, field of action", [f"/{t}/ideen/?field_of_action={(facts['fields'] or [''])[0]}"]),
        ("idea list, answered", [f"/{t}/ideen/?answered=yes"]),
        ("idea list, not answered", [f"/{t}/ideen/?answered=no&sort=supported"]),
        ("search, common words", [f"/{t}/ideen/?q={COMMON_WORDS.replace(' ', '+')}"]),
        (
            f"search, common words, page {SEARCH_LAST_PAGE}",
            [f"/{t}/ideen/?q={COMMON_WORDS.replace(' ', '+')}&page={SEARCH_LAST_PAGE}"],
        ),
        ("search, rare word", [f"/{t}/ideen/?q={RARE_WORD}"]),
        ("idea (ten different)", [f"/{t}/ideen/{pk}/" for pk in facts["typical"]]),
        ("idea with 200 comments", [f"/{t}/ideen/{discussion}/"]),
        ("API towns", ["/api/v1/towns/"]),
        ("API fields of action", ["/api/v1/fields-of-action/"]),
        ("API projects", [f"{api}/projects/"]),
        ("API projects, search", [f"{api}/projects/?q=digital"]),
        ("API processes", [f"{api}/processes/"]),
        ("API process", [f"{api}/processes/{collecting}/"]),
        ("API process ideas", [f"{api}/processes/{collecting}/ideas/"]),
        ("API ideas", [f"{api}/ideas/"]),
        (f"API ideas, page {DEEP_PAGE}", [f"{api}/ideas/?{deep}"]),
        ("API ideas, most supported", [f"{api}/ideas/?sort=supported"]),
        ("API ideas, status filter", [f"{api}/ideas/?status=accepted"]),
        ("API ideas, search, common words", [f"{api}/ideas/?q={COMMON_WORDS.replace(' ', '+')}"]),
        ("API idea (ten different)", [f"{api}/ideas/{pk}/" for pk in facts["typical"]]),
        ("API idea comments (200)", [f"{api}/ideas/{discussion}/comments/"]),
    ]
    if facts.get("results"):
        pages.insert(17, ("process results", [f"/{t}/beteiligung/{facts['results']}/ergebnis/"]))
    if facts.get("survey"):
        survey, n = facts["survey"], facts["survey_responses"]
        pages += [
            ("survey page (running)", [f"/{t}/beteiligung/{survey}/umfrage/"]),
            (f"survey results ({n:,} responses, live)", [f"/{t}/beteiligung/{survey}/umfrage/ergebnisse/"]),
            ("API survey", [f"{api}/processes/{survey}/survey/"]),
            ("API survey results", [f"{api}/processes/{survey}/survey/results/"]),
        ]
    if facts.get("closed_survey"):
        pages.append(
            ("survey results (closed)", [f"/{t}/beteiligung/{facts['closed_survey']}/umfrage/ergebnisse/"])
        )
    if facts.get("note"):
        pages.insert(6, ("knowledge note", [f"/wissen/{facts['note']}/"]))
    if facts.get("project"):
        slug = facts["project"]
        pages.insert(
            pages.index(next(p for p in pages if p[0] == "process list")),
            ("project page (most updates and KPIs)", [f"/{t}/projekte/{slug}/"]),
        )
        pages += [
            ("API project", [f"{api}/projects/{slug}/"]),
            ("API project updates", [f"{api}/projects/{slug}/updates/"]),
            ("API project indicators", [f"{api}/projects/{slug}/indicators/"]),
        ]
    if facts.get("joint_project"):
        pages.insert(
            pages.index(next(p for p in pages if p[0] == "process list")),
            ("project page (joint, led by another town)", [f"/{t}/projekte/{facts['joint_project']}/"]),
        )
    return pages


def _percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _backend_cpu_ns(connection) -> int:
    """CPU time of this connection's PostgreSQL backend so far (ns, from /proc/<pid>/schedstat: PostgreSQL runs
    on this machine), or 0 where it cannot be read."""
    try:
        pid = connection.connection.info.backend_pid
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (AttributeError, OSError, ValueError):
        return 0


def _measure(pages, *, repeat: int, warmup: int, only: str, cold: bool) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client()
    results = {}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    # "CPU": this Python process's CPU time for the request (the whole Django side); "PG CPU": the CPU time of
    # the PostgreSQL backend serving it. Their sum is the request's cost with the waiting for a core left out; the
    # wall times (p50, p95, max) include that wait on a loaded machine.
    print(
        f"{'page':46} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'CPU ms':>7} {'PG CPU':>7} {'SQL ms':>7} "
        f"{'queries':>8}  target"
    )
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["*"], PAGE_CACHE_SECONDS=0):
        for label, urls in pages:
            if only and not any(part in label for part in only.split("|")):
                continue
            for n in range(warmup):
                _get(client, urls[n % len(urls)])
            times, cpu, pg, sql, counts = [], [], [], [], set()
            for n in range(repeat):
                url = urls[n % len(urls)]
                if cold:
                    cache.clear()
                connection.ensure_connection()
                pg_before = _backend_cpu_ns(connection)
                with CaptureQueriesContext(connection) as queries:
                    started, started_cpu = time.perf_counter(), time.process_time()
                    _get(client, url)
                    times.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                pg_after = _backend_cpu_ns(connection) if connection.connection is not None else 0
                pg.append(max(0, pg_after - pg_before) / 1e6 if pg_before and pg_after else float("nan"))
                sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
                counts.add(len(queries.captured_queries))
            target = SEARCH_TARGET_MS if label.startswith(("search", "API ideas, search")) else TARGET_MS
            row = {
                "p50": statistics.median(times),
                "p95": _percentile(times, 0.95),
                "max": max(times),
                "cpu": statistics.median(cpu),
                "pg_cpu": statistics.median(pg),
                "sql": statistics.median(sql),
                "queries": sorted(counts),
                "target": target,
            }
            row["server_cpu"] = row["cpu"] + row["pg_cpu"]
            results[label] = row
            shown = "/".join(str(c) for c in row["queries"])
            print(
                f"{label:46} {row['p50']:7.1f} {row['p95']:7.1f} {row['max']:7.1f} {row['cpu']:7.1f} "
                f"{row['pg_cpu']:7.1f} {row['sql']:7.1f} {shown:>8}  "
                f"{'ok' if row['p95'] <= target else 'MISSED'} ({target})"
            )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return results


def _get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return response


def _flat(small: str, large: str) -> None:
    a, b = (json.loads(Path(p).read_text()) for p in (small, large))
    print(
        f"{a['database']} ({a['facts']['town_ideas']:,} ideas in the town) → {b['database']} "
        f"({b['facts']['town_ideas']:,})"
    )
    # The ratio of the server CPU time (Python + PostgreSQL backend) is the one a loaded machine leaves
    # comparable; the wall-time medians are printed beside it.
    print(
        f"{'page':46} {'p50 small':>9} {'p50 large':>9} {'CPU small':>9} {'CPU large':>9} {'ratio':>6} "
        f"{'queries':>10}"
    )
    for label, row in a["results"].items():
        other = b["results"].get(label)
        if other is None:
            continue
        ratio = other["server_cpu"] / row["server_cpu"] if row["server_cpu"] else float("nan")
        queries = f"{'/'.join(map(str, row['queries']))}→{'/'.join(map(str, other['queries']))}"
        print(
            f"{label:46} {row['p50']:9.1f} {other['p50']:9.1f} {row['server_cpu']:9.1f} "
            f"{other['server_cpu']:9.1f} {ratio:6.2f} {queries:>10}{'' if ratio <= 1.5 else '  > 1.5'}"
        )


if __name__ == "__main__":
    main()
