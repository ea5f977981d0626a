"""The Django admin for platform admins: behind allauth's login and TOTP, and audited."""

from functools import wraps

from allauth.account.decorators import secure_admin_login
from django import forms
from django.contrib import admin
from django.db import models
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import permissions
from accounts.decorators import redirect_to_mfa_setup
from municipalities.models import AuditEntry

from . import numbers

# The admin reads numbers by the portal's one rule too ("1.000" inhabitants are a thousand, not one).
NUMBER_FIELDS = {
    models.DecimalField: {
        "form_class": numbers.NumberField,
        "widget": forms.TextInput(attrs={"inputmode": "decimal", "class": "vTextField"}),
    },
    models.IntegerField: {
        "form_class": numbers.WholeNumberField,
        "widget": forms.TextInput(attrs={"inputmode": "numeric", "class": "vIntegerField"}),
    },
}
NUMBER_FIELDS[models.BigIntegerField] = NUMBER_FIELDS[
    models.IntegerField
]  # the admin's defaults name it apart


class PlatformAdminSite(admin.AdminSite):
    site_header = gettext_lazy("smartcity5 platform administration")
    site_title = gettext_lazy("smartcity5 admin")

    def has_permission(self, request):
        return permissions.can_use_platform_admin(request.user)

    def register(self, model_or_iterable, admin_class=None, **options):
        overrides = getattr(admin_class or admin.ModelAdmin, "formfield_overrides", {})
        options.setdefault("formfield_overrides", {**NUMBER_FIELDS, **overrides})
        super().register(model_or_iterable, admin_class, **options)

    def login(self, request, extra_context=None):
        return _admin_login(request, self)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def audited(request, *args, **kwargs):
            # The admin runs without tenant scopes, so every use is recorded.
            if self.has_permission(request):
                AuditEntry.objects.create(
                    user=request.user, purpose="platform-admin", path=request.get_full_path()[:500]
                )
            return inner(request, *args, **kwargs)

        return audited


@secure_admin_login
def _admin_login(request, site):
    # secure_admin_login sends anonymous users to allauth's login and refuses non-staff users.
    if not permissions.has_totp(request.user):
        return redirect_to_mfa_setup(
            request, _("Please set up two-factor authentication before using the admin.")
        )
    return redirect("admin:index")


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """For rows whose changes must go through the services (workflows, limits, history)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
