"""Platform admin for reports: read-only; reports are requested on the staff pages and made by the task."""

from django.contrib import admin

from smartcity5.admin import ReadOnlyModelAdmin

from .models import ReportRequest


@admin.register(ReportRequest)
class ReportRequestAdmin(ReadOnlyModelAdmin):
    list_display = [
        "created_at",
        "municipality",
        "kind",
        "format",
        "status",
        "progress",
        "attempts",
        "heartbeat_at",
        "requested_by",
        "expires_at",
    ]
    list_filter = ["kind", "format", "status", "municipality"]
    list_select_related = ["municipality", "requested_by"]
    exclude = ["file"]  # files are only sent by the views that check the reader's rights
