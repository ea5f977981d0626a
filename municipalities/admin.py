"""Admin for platform admins: towns are added here, no code change needed."""

from django.contrib import admin

from .models import AccessibilityFeedback, AuditEntry, Consortium, Municipality


@admin.register(Consortium)
class ConsortiumAdmin(admin.ModelAdmin):
    list_display = ["name", "coordinator", "cohort"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "district", "population", "is_lead", "is_active"]
    list_filter = ["is_active", "is_lead", "consortium"]
    search_fields = ["name", "official_name", "slug", "ags", "ars"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "purpose", "path"]
    list_filter = ["purpose"]
    search_fields = ["path", "user__email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessibilityFeedback)
class AccessibilityFeedbackAdmin(admin.ModelAdmin):
    list_display = ["created_at", "municipality", "status", "page_url"]
    list_filter = ["status", "municipality"]
