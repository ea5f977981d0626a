from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from allauth.account.signals import password_changed, password_reset, password_set
        from django.contrib.auth import SESSION_KEY

        from municipalities import freshness

        from . import services

        # The staff of a town count in its key figures.
        freshness.watch_all({"accounts.Membership": freshness.Watch(freshness.own, freshness.FIGURES)})

        def _end_other_sessions(sender, request, user, **kwargs):
            # Django already refuses the other sessions at their next request (the password hash in them no
            # longer matches); ending them here also removes them from the table at once.
            session = getattr(request, "session", None)
            signed_in_here = session is not None and session.get(SESSION_KEY) == str(user.pk)
            services.sessions_end(user=user, keep=session.session_key if signed_in_here else None)

        for name, signal in (("changed", password_changed), ("set", password_set), ("reset", password_reset)):
            signal.connect(
                _end_other_sessions, dispatch_uid=f"accounts-end-sessions-password-{name}", weak=False
            )
