"""Admin for users, memberships and API tokens (platform admins only)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from . import services
from .models import ApiToken, Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_agentur_moderator", "is_staff", "is_active"]
    list_filter = ["is_agentur_moderator", "is_staff", "is_active"]
    search_fields = ["email", "display_name"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password", "display_name"]}),
        (_("Roles"), {"fields": ["is_active", "is_agentur_moderator", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["date_joined", "last_login", "privacy_consent_at"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "display_name", "password1", "password2"]})
    ]
    filter_horizontal = ["groups"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Platform admins see and revoke tokens; they cannot make one (its secret belongs to its owner alone) and
    never see the digest."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), ("expires_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__email", "user__display_name"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    readonly_fields = fields  # type: ignore[assignment]  # the same list of names
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            services.api_token_revoke(token=token, by=request.user)
        self.message_user(request, _("The selected tokens have been revoked."))
