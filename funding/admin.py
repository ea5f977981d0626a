"""Platform admin for funding data: read-only, because changes must go through the services (limits, history)."""

from django.contrib import admin

from smartcity5.admin import ReadOnlyModelAdmin

from .models import FundingEvent, Grant


@admin.register(Grant)
class GrantAdmin(ReadOnlyModelAdmin):
    list_display = [
        "title",
        "municipality",
        "period_start",
        "period_end",
        "eligible_costs",
        "funding_rate",
        "federal_share",
    ]
    list_filter = ["municipality", "recipient"]
    list_select_related = ["municipality"]


@admin.register(FundingEvent)
class FundingEventAdmin(ReadOnlyModelAdmin):
    list_display = ["at", "grant", "entity", "kind", "subject", "actor"]
    list_filter = ["entity", "kind", "municipality"]
    list_select_related = ["grant", "actor"]
