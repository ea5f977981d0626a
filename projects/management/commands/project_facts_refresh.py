"""manage.py project_facts_refresh: store every project's list facts anew (after rows were written past the
services), or with ``--check`` only count the projects whose stored facts are wrong."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from municipalities.scoping import scopes_disabled
from projects.models import Project
from projects.selectors.progress import projects_with_stale_facts
from projects.services import project_facts_refresh_all


class Command(BaseCommand):
    help = (
        "Derive every project's stored facts (progress, latest update, partner count) from its rows again. "
        "The services keep them on every write; run this after a bulk load or a change by hand in the database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; fail if any project's stored facts are wrong.",
        )

    def handle(self, *args, **options):
        with scopes_disabled():
            if options["check"]:
                stale = projects_with_stale_facts(Project._base_manager.all())
                if stale:
                    raise CommandError(
                        f"{len(stale)} projects have wrong stored facts, e.g. ids {stale[:10]}."
                    )
                self.stdout.write(self.style.SUCCESS("Every project's stored facts are right."))
                return
            with transaction.atomic():
                count = project_facts_refresh_all()
        self.stdout.write(self.style.SUCCESS(f"Stored the facts of {count} projects."))
