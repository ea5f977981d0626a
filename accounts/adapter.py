"""allauth adapter: sends privileged users through MFA set-up right after login; reads the client's address as
the rest of the portal does (smartcity5.clientip)."""

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from smartcity5.clientip import client_ip

from . import permissions


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        if permissions.needs_mfa_setup(request.user):
            return reverse("mfa_activate_totp")
        return super().get_login_redirect_url(request)

    def get_client_ip(self, request):
        # allauth's login limits count per address: behind a proxy that must be the citizen's, not the proxy's.
        return client_ip(request)
