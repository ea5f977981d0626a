"""Send the notification digests now (what beat does every morning, weekly ones on Mondays); safe to run any
number of times."""

from django.core.management.base import BaseCommand

from notifications.kinds import DIGEST_PLANS
from notifications.tasks import notification_digest_dispatch


class Command(BaseCommand):
    help = "Mail everyone with notifications waiting for their daily (or weekly) summary."

    def add_arguments(self, parser):
        parser.add_argument(
            "--plan",
            choices=[str(plan) for plan in DIGEST_PLANS],
            default="daily",
            help="which digest to send (default: daily)",
        )

    def handle(self, *args, **options):
        people = notification_digest_dispatch(plan=options["plan"])
        self.stdout.write(f"{options['plan'].capitalize()} digest tasks started for {people} people.")
