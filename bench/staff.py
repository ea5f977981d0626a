"""Benchmark: the staff side at scale (``/agentur/`` and the town staff pages) on ``seed_scale`` data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sc5_bench_staff .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sc5_bench_staff .venv/bin/python manage.py seed_scale \
        --towns 50 --ideas-per-town 4000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sc5_bench_staff .venv/bin/python bench/staff.py

Requests every staff page through the whole middleware stack (tenant scope, sessions, decorators, templates) with
Django's test client, signed in as the role the page is for: the Agentur's moderator (with TOTP, as the pages
demand) for ``/agentur/…``, the town's admin for the town's staff area. It prints, per page, the median and the
95th percentile of the server time, the Python process's CPU time, the SQL time and the number of queries.

It refuses a database whose name does not start with ``sc5_bench`` and one that ``seed_scale`` did not fill. It
adds what the seed does not make (a submitted progress report of the measured town, the two sign-ins' TOTP
authenticators) once. ``--cold`` also measures ``/agentur/`` right after a write in one town (one new published
idea through the services), which is what a visitor meets when a town has just changed.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity5.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--town", default="", help="slug of the town to measure (default: the lead town)")
    parser.add_argument(
        "--only",
        default="",
        help="measure only the pages whose label contains one of these texts (separated by '|')",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="also measure /agentur/ after a write in one town (a new idea each time)",
    )
    args = parser.parse_args()

    # Cached figures are keyed by town id and version: two scratch databases must not share cache entries.
    os.environ.setdefault(
        "CACHE_KEY_PREFIX", "bench-" + os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1]
    )
    import django

    django.setup()
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    if not str(name).startswith("sc5_bench"):
        sys.exit(f"Refusing to use database {name!r}: use a scratch database named sc5_bench…")
    from municipalities.models import Municipality
    from municipalities.selectors import lead_town
    from sampledata.seed.fill import EMAIL_DOMAIN

    towns = Municipality.objects.active()
    if not towns.filter(contact_email__endswith=".example").exists():
        sys.exit("This database holds no seed_scale towns: run manage.py seed_scale first.")
    town = towns.get(slug=args.town) if args.town else lead_town()
    people = _people(town, EMAIL_DOMAIN)
    pages = _pages(town)
    print(f"{towns.count()} towns; measuring {town.name} ({town.slug}); {_sizes(town)}")
    _measure(pages, people, repeat=args.repeat, only=args.only)
    if args.cold:
        _measure_cold(town, people, repeat=args.repeat)


def _sizes(town) -> str:
    from municipalities.scoping import scopes_disabled
    from participation.models import Comment, Idea, Support

    with scopes_disabled():
        ideas = Idea.objects.count()
        town_ideas = Idea.objects.filter(municipality=town).count()
        return (
            f"{ideas:,} ideas ({town_ideas:,} in this town), {Support.objects.count():,} supports, "
            f"{Comment.objects.count():,} comments"
        )


def _people(town, domain: str) -> dict:
    """The town's admin and the Agentur's moderator as seed_scale made them, each given a TOTP authenticator (the
    staff pages send a privileged person without one to the set-up)."""
    from allauth.mfa.models import Authenticator

    from accounts.models import Membership, Role, User
    from municipalities.scoping import town_scope

    with town_scope(town):
        admin = (
            Membership.objects.filter(municipality=town, role=Role.ADMIN).select_related("user").first().user
        )
    agentur = User.objects.filter(is_agentur_moderator=True, email__endswith=domain).first()
    for user in (admin, agentur):
        Authenticator.objects.get_or_create(
            user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "x"}}
        )
    return {"staff": admin, "agentur": agentur}


def _progress_report(town, by):
    """A submitted progress report of the town for the last quarter (the seed makes none): the Agentur's review
    pages and the town's report pages need one. Made once, through the services."""
    from municipalities.scoping import town_scope
    from reviews import services
    from reviews.models import ProgressReport

    year, quarter = services.default_quarter()
    with town_scope(town):
        report = ProgressReport.objects.filter(year=year, quarter=quarter).first()
        if report is None:
            report = services.report_create(municipality=town, year=year, quarter=quarter, by=by)
            report = services.report_submit(report=report, by=by)
    return report


def _pages(town) -> list[tuple[str, str, str]]:
    """(label, path, who) for every staff page kind, with the town's own rows to show."""
    from django.db.models import Count

    from accounts.models import Membership, Role
    from funding.models import Grant
    from knowledge.models import LessonNote
    from municipalities.scoping import town_scope
    from participation.models import Idea, Process
    from projects.models import Indicator, Project

    with town_scope(town):
        admin = Membership.objects.filter(municipality=town, role=Role.ADMIN).first().user
        report = _progress_report(town, admin)
        process = Process.objects.filter(municipality=town).annotate(n=Count("ideas")).order_by("-n").first()
        idea = Idea.objects.filter(municipality=town, process=process).order_by("-comment_count").first()
        project = (
            Project.objects.filter(municipality=town)
            .annotate(n=Count("indicators"))
            .order_by("-n", "pk")
            .first()
        )
        indicator = Indicator.objects.filter(project=project).first()
        grant = Grant.objects.filter(municipality=town).first()
        note = LessonNote.objects.filter(municipality=town).first()
    t = f"/{town.slug}/verwaltung"
    g = f"{t}/foerderung/{grant.pk}"
    q = f"{report.year}-q{report.quarter}"
    pages = [
        ("Agentur overview", "/agentur/", "agentur"),
        ("Agentur overview, field filter", f"/agentur/?field={_field_slug()}", "agentur"),
        ("Agentur overview, phase B", "/agentur/?phase=B", "agentur"),
        ("Agentur progress reports", "/agentur/fortschrittsberichte/", "agentur"),
        ("Agentur progress reports, all", "/agentur/fortschrittsberichte/?status=all", "agentur"),
        ("Agentur progress report", f"/agentur/fortschrittsberichte/{town.slug}/{q}/", "agentur"),
        ("Agentur region reports", "/agentur/berichte/", "agentur"),
        ("API Agentur towns", "/api/v1/agentur/towns/", "agentur"),
        ("town staff dashboard", f"{t}/", "staff"),
        ("town staff dashboard (Agentur)", f"{t}/", "agentur"),
        ("staff projects", f"{t}/projekte/", "staff"),
        ("staff projects, in progress, led", f"{t}/projekte/?status=in_progress&lead=ja", "staff"),
        ("staff projects, page 5", f"{t}/projekte/?page=5", "staff"),
        ("staff project", f"{t}/projekte/{project.slug}/", "staff"),
        ("staff project history", f"{t}/projekte/{project.slug}/verlauf/", "staff"),
        ("staff KPI", f"{t}/projekte/{project.slug}/kennzahlen/{indicator.pk}/", "staff"),
        ("staff strategy", f"{t}/strategie/", "staff"),
        ("funding list", f"{t}/foerderung/", "staff"),
        ("funding grant", f"{g}/", "staff"),
        ("funding budget", f"{g}/haushaltsplan/", "staff"),
        ("funding spending", f"{g}/ausgaben/", "staff"),
        ("funding disbursements", f"{g}/mittelabrufe/", "staff"),
        ("funding milestones", f"{g}/meilensteine/", "staff"),
        ("funding milestones, overdue", f"{g}/meilensteine/?state=overdue", "staff"),
        ("funding proofs", f"{g}/nachweise/", "staff"),
        ("funding history", f"{g}/verlauf/", "staff"),
        ("participation overview", f"{t}/beteiligung/", "staff"),
        ("staff process page", f"{t}/beteiligung/{process.slug}/", "staff"),
        ("moderation queue", f"{t}/beteiligung/moderation/", "staff"),
        ("staff ideas", f"{t}/beteiligung/ideen/", "staff"),
        ("staff ideas, published, led", f"{t}/beteiligung/ideen/?moderation=published&lead=ja", "staff"),
        (
            "staff ideas, answered",
            f"{t}/beteiligung/ideen/?moderation=published&lead=ja&answered=yes",
            "staff",
        ),
        ("staff ideas, page 20", f"{t}/beteiligung/ideen/?page=20", "staff"),
        ("staff idea", f"{t}/beteiligung/ideen/{idea.pk}/", "staff"),
        ("knowledge notes", f"{t}/wissen/", "staff"),
        ("knowledge note", f"{t}/wissen/{note.pk}/", "staff") if note else None,
        ("progress reports", f"{t}/fortschrittsberichte/", "staff"),
        ("progress report", f"{t}/fortschrittsberichte/{q}/", "staff"),
        ("town reports", f"{t}/berichte/", "staff"),
        ("team", f"{t}/team/", "staff"),
        ("accessibility reports", f"{t}/barrierefreiheit/?status=new", "staff"),
    ]
    return [page for page in pages if page]


def _field_slug() -> str:
    from projects.models import FieldOfAction

    return FieldOfAction.objects.order_by("pk").values_list("slug", flat=True).first()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _get(client, url: str) -> tuple[float, float, float, int]:
    from django.db import connection, reset_queries

    reset_queries()
    started, started_cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    wall = (time.perf_counter() - started) * 1000
    cpu = (time.process_time() - started_cpu) * 1000
    assert response.status_code == 200, (url, response.status_code)
    sql = sum(float(query["time"]) for query in connection.queries) * 1000
    return wall, cpu, sql, len(connection.queries)


def _measure(pages, people: dict, *, repeat: int, only: str = "") -> None:
    from django.test import Client
    from django.test.utils import override_settings

    clients = {}
    for who, user in people.items():
        clients[who] = Client()
        clients[who].force_login(user)
    # The wall time is the server time of the request (the test client calls the WSGI handler in this process);
    # the CPU column is this process's share of it, the SQL column PostgreSQL's (a wall time of its own).
    print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>7} {'SQL ms':>7} {'queries':>8}")
    with override_settings(DEBUG=True, ALLOWED_HOSTS=["*"]):
        for label, url, who in pages:
            if only and not any(part in label for part in only.split("|")):
                continue
            client = clients[who]
            _get(client, url)  # the first request fills per-process caches (templates, URL resolver)
            runs = [_get(client, url) for _ in range(repeat)]
            walls = [run[0] for run in runs]
            print(
                f"{label:40} {statistics.median(walls):8.1f} {_percentile(walls, 0.95):8.1f} "
                f"{statistics.median(run[1] for run in runs):7.1f} {statistics.median(run[2] for run in runs):7.1f} "
                f"{runs[-1][3]:8d}",
                flush=True,
            )


def _measure_cold(town, people: dict, *, repeat: int) -> None:
    """``/agentur/`` right after a write in one town: an offline idea entered by the town's admin each time."""
    from django.test import Client
    from django.test.utils import override_settings

    from municipalities.scoping import town_scope
    from participation.models import Process
    from participation.services import ideas as ideas_services

    client = Client()
    client.force_login(people["agentur"])
    with town_scope(town):
        process = Process.objects.filter(municipality=town, is_published=True).order_by("pk").first()
    walls = []
    with override_settings(DEBUG=True, ALLOWED_HOSTS=["*"]):
        _get(client, "/agentur/")
        for n in range(repeat):
            with town_scope(town):
                ideas_services.idea_enter_offline(
                    process=process,
                    by=people["staff"],
                    acting_town=town,
                    fields={"title": f"Benchmark-Idee {n}", "body": "Auf der Bürgerversammlung genannt."},
                    source="Bürgerversammlung",
                )
            walls.append(_get(client, "/agentur/"))
    print(
        f"{'Agentur overview after a write':40} {statistics.median(w[0] for w in walls):8.1f} "
        f"{_percentile([w[0] for w in walls], 0.95):8.1f} {statistics.median(w[1] for w in walls):7.1f} "
        f"{statistics.median(w[2] for w in walls):7.1f} {walls[-1][3]:8d}"
    )


if __name__ == "__main__":
    main()
