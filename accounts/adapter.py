"""allauth adapter: sends privileged users through MFA set-up right after login and staff to their staff area;
builds allauth's mails with the portal's one mail function (smartcity5.mail); reads the client's address as the
rest of the portal does (smartcity5.clientip)."""

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse
from django.utils.translation import gettext as _

from smartcity5.clientip import client_ip
from smartcity5.mail import mail_send, portal_name, site_url

from . import permissions
from .models import ROLE_RANK, Role
from .selectors import user_memberships


def staff_landing_url(user) -> str | None:
    """Where a staff member lands after signing in: the staff area of their town (the first by name where they
    hold the highest role), the Agentur's overview for its moderators; ``None`` for everybody else."""
    # Ordered by town name; a stable sort keeps that order among equal roles.
    memberships = sorted(user_memberships(user=user), key=lambda m: -ROLE_RANK[Role(m.role)])
    if memberships:
        return reverse("agentur:staff-dashboard", kwargs={"town_slug": memberships[0].municipality.slug})
    if permissions.is_agentur_moderator(user):
        return reverse("agentur-overview")
    return None


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        # allauth asks this only when the login carried no safe ``next``: a link someone followed wins.
        if permissions.needs_mfa_setup(request.user):
            return reverse("mfa_activate_totp")
        return staff_landing_url(request.user) or super().get_login_redirect_url(request)

    def get_client_ip(self, request):
        # allauth's login limits count per address: behind a proxy that must be the citizen's, not the proxy's.
        return client_ip(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Every allauth mail (confirming an address, resetting a password, …) in the portal's frame, with its
        own German text (templates/account/email/), links on ``SITE_HOST`` and the portal's name in the subject."""
        ctx = {"email": email, **context}
        for key, value in ctx.items():
            # allauth builds its links from the request (a dev server's 127.0.0.1:8101): the mail uses SITE_HOST.
            if key.endswith("_url") and isinstance(value, str):
                ctx[key] = site_url(value)
        mail_send(
            to=email,
            template=template_prefix,
            body_template=f"{template_prefix}_message.txt",
            context=ctx,
            subject_prefix=f"{portal_name()}: ",
            settings_link=False,
            reason=_(
                "This e-mail concerns your account on the portal %(portal)s. Such e-mails come whatever "
                "your notification settings are."
            )
            % {"portal": portal_name()},
        )
