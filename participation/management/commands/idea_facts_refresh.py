"""manage.py idea_facts_refresh: store anew the facts of every idea whose stored ones are wrong (after rows were
written past the services), or with ``--check`` only count them."""

from django.core.management.base import BaseCommand, CommandError

from municipalities.scoping import scopes_disabled
from participation.models import Idea
from participation.selectors.facts import ideas_with_stale_facts
from participation.services.supports import idea_facts_refresh_all


class Command(BaseCommand):
    help = (
        "Derive every idea's stored facts (support and comment counts, latest official answer) from its rows "
        "again. The services keep them on every write; run this after a bulk load or a change by hand in the "
        "database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; fail if any idea's stored facts are wrong.",
        )

    def handle(self, *args, **options):
        with scopes_disabled():
            if options["check"]:
                stale = ideas_with_stale_facts(Idea._base_manager.all())
                if stale:
                    raise CommandError(f"{len(stale)} ideas have wrong stored facts, e.g. ids {stale[:10]}.")
                self.stdout.write(self.style.SUCCESS("Every idea's stored facts are right."))
                return
            count = idea_facts_refresh_all()
        self.stdout.write(self.style.SUCCESS(f"Stored the facts of {count} ideas anew."))
