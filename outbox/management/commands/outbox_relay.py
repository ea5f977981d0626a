"""Run the outbox relay now (beat does it every OUTBOX_RELAY_SECONDS), optionally handing failed rows again."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from outbox import services


class Command(BaseCommand):
    help = "Hand tasks that wait in the outbox to the broker now; --failed also hands again the ones that failed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--failed",
            action="store_true",
            help="hand failed and given-up rows again (after the cause was fixed)",
        )

    def handle(self, *args, failed: bool = False, **options):
        if failed:
            reopened = services.reopen_failed()
            self.stdout.write(f"{reopened} failed hand-over(s) reopened")
        handed = services.relay(now=timezone.now(), include_fresh=True)
        self.stdout.write(f"{handed} task(s) handed to the broker")
