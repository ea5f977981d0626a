"""manage.py survey_tallies_refresh: count the answers of every survey version whose stored counts are wrong (after
rows were written past the services) anew, or with ``--check`` only name them."""

from django.core.management.base import BaseCommand, CommandError

from municipalities.scoping import scopes_disabled
from surveys.models import Survey
from surveys.selectors import surveys_with_stale_tallies
from surveys.services import tallies_refresh


class Command(BaseCommand):
    help = (
        "Count every survey's answers again and compare them with the stored counts its results read (per option, "
        "matrix cell, scale value, answered question, texts waiting; responses and paper questionnaires). The "
        "services keep them on every write; run this after a bulk load or a change by hand in the database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; fail if any survey's stored counts are wrong.",
        )

    def handle(self, *args, **options):
        with scopes_disabled():
            surveys = list(Survey._base_manager.order_by("pk"))
            stale = [
                pk
                for start in range(0, len(surveys), 50)
                for pk in surveys_with_stale_tallies(surveys[start : start + 50])
            ]
            if options["check"]:
                if stale:
                    raise CommandError(
                        f"{len(stale)} surveys have wrong stored counts, e.g. ids {stale[:10]}."
                    )
                self.stdout.write(self.style.SUCCESS("Every survey's stored counts are right."))
                return
            count = tallies_refresh([s for s in surveys if s.pk in set(stale)])
        self.stdout.write(self.style.SUCCESS(f"Counted the answers of {count} surveys anew."))
