"""manage.py load_demo: the five towns and one demo account per role (idempotent)."""

import logging

from django.conf import settings
from django.core.management.base import BaseCommand

from municipalities.demo.loader import DEMO_PASSWORD
from sampledata.demo import load_demo


class Command(BaseCommand):
    help = "Create or update the consortium, the five towns and (outside production) demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-accounts", action="store_true", help="Do not print the demo accounts.")

    def handle(self, *args, quiet_accounts: bool = False, **options):
        with_accounts = not settings.PRODUCTION
        # Without a broker the demo's notification tasks run in-process; one log line each would bury the summary.
        trace = logging.getLogger("celery.app.trace")
        level = trace.level
        trace.setLevel(logging.WARNING)
        try:
            towns, accounts = load_demo(with_accounts=with_accounts)
        finally:
            trace.setLevel(level)
        self.stdout.write(
            self.style.SUCCESS(f"Loaded {len(towns)} towns: {', '.join(t.name for t in towns)}.")
        )
        if not with_accounts:
            self.stdout.write("Production mode: no demo accounts were created.")
            return
        if quiet_accounts:
            return
        self.stdout.write(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
        for account in accounts:
            self.stdout.write(f"  {account.email:<48} {account.role:<18} {account.town}")
        code = getattr(settings, "MFA_TOTP_INSECURE_BYPASS_CODE", None)
        self.stdout.write(
            "\nStaff, moderators and platform admins must set up two-factor authentication "
            "(TOTP) at first login."
        )
        if code:
            self.stdout.write(f"Development server only: the code {code} is accepted as a TOTP code.")
