"""manage.py seed_scale: synthetic towns at scale for measuring the portal (never production data)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from municipalities.scoping import scopes_disabled
from sampledata.seed.fill import Options, Seeder, holds_other_data


class Command(BaseCommand):
    help = (
        "Fill the database with synthetic towns: citizens, processes in every phase, ideas with answers, "
        "comments and supports, joint projects, funding and a year of KPI measurements, bulk-inserted. "
        "For benchmarks on a scratch database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--towns", type=int, default=5)
        parser.add_argument("--ideas-per-town", type=int, default=400)
        parser.add_argument(
            "--projects-per-town",
            type=int,
            default=None,
            help="Default: a tenth of the ideas per town (400 for 4,000 ideas).",
        )
        parser.add_argument("--supports-per-idea", type=float, default=10.0, help="On average (default 10).")
        parser.add_argument("--comments-per-idea", type=float, default=2.5, help="On average (default 2.5).")
        parser.add_argument(
            "--citizens-per-town",
            type=int,
            default=None,
            help="Default: a quarter of the ideas per town, at least 100.",
        )
        parser.add_argument(
            "--survey-responses",
            type=int,
            default=1000,
            help="Responses to each of the two surveys per town (default 1,000).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="The same seed gives the same data (default 1)."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Also fill a database that holds other data, or in production settings.",
        )

    def handle(self, *args, **o):
        if o["towns"] < 1 or o["ideas_per_town"] < 0:
            raise CommandError("Give at least one town and no negative numbers.")
        force = o["force"]
        if settings.PRODUCTION and not force:
            raise CommandError(
                "Refusing to fill a production database with synthetic data (use --force only on a "
                "scratch copy)."
            )
        with scopes_disabled():
            if holds_other_data() and not force:
                raise CommandError(
                    "Refusing: this database holds towns or people that seed_scale did not make. Use "
                    "a scratch database, or --force to add the synthetic towns next to them."
                )
            options = Options(
                towns=o["towns"],
                ideas_per_town=o["ideas_per_town"],
                projects_per_town=o["projects_per_town"]
                if o["projects_per_town"] is not None
                else max(1, o["ideas_per_town"] // 10),
                supports_per_idea=o["supports_per_idea"],
                comments_per_idea=o["comments_per_idea"],
                citizens_per_town=o["citizens_per_town"],
                seed=o["seed"],
                survey_responses=o["survey_responses"],
            )
            result = Seeder(options).run()
        counts, seconds = result["counts"], result["seconds"]
        self.stdout.write(f"Seeded consortium {result['consortium']!r} with seed {options.seed}:")
        for label, count in counts.items():
            self.stdout.write(f"  {label:<36} {count:>12,}")
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items() if k != "total")
        self.stdout.write(self.style.SUCCESS(f"Done in {seconds['total']:.1f} s ({parts})."))
