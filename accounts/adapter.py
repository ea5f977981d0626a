"""allauth adapter: sends privileged users through MFA set-up right after login."""

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from . import permissions


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        if permissions.needs_mfa_setup(request.user):
            return reverse("mfa_activate_totp")
        return super().get_login_redirect_url(request)
