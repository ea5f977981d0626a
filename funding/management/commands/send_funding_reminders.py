"""Send today's deadline reminders now (what beat does every morning); safe to run any number of times."""

from django.core.management.base import BaseCommand

from funding.tasks import funding_reminders_dispatch


class Command(BaseCommand):
    help = "Remind the towns' editors of milestones and proofs of use due in 14 or 3 days or overdue."

    def handle(self, *args, **options):
        towns = funding_reminders_dispatch()
        self.stdout.write(f"Reminder tasks started for {towns} towns.")
