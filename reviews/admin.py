"""Platform admin for progress reports: read-only, because changes must go through the services (workflow,
history, notifications)."""

from django.contrib import admin

from smartcity5.admin import ReadOnlyModelAdmin

from .models import ProgressReport, ProgressReportEvent


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyModelAdmin):
    list_display = ["municipality", "year", "quarter", "status", "submitted_at", "decided_at"]
    list_filter = ["status", "municipality", "year"]
    list_select_related = ["municipality"]


@admin.register(ProgressReportEvent)
class ProgressReportEventAdmin(ReadOnlyModelAdmin):
    list_display = ["at", "report", "kind", "status_before", "status_after", "actor"]
    list_filter = ["kind", "municipality"]
    list_select_related = ["report", "actor"]
