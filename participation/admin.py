"""Platform admin for participation: read-only, because every change must go through the services
(phases, moderation, history, notifications)."""

from django.contrib import admin

from smartcity5.admin import ReadOnlyModelAdmin

from .models import Idea, ParticipationEvent, Process


@admin.register(Process)
class ProcessAdmin(ReadOnlyModelAdmin):
    list_display = ["title", "municipality", "is_published", "created_at"]
    list_filter = ["municipality", "is_published"]
    list_select_related = ["municipality"]
    search_fields = ["title"]


@admin.register(Idea)
class IdeaAdmin(ReadOnlyModelAdmin):
    list_display = ["title", "municipality", "process", "status", "moderation", "is_offline", "created_at"]
    list_filter = ["municipality", "status", "moderation", "is_offline"]
    list_select_related = ["municipality", "process"]
    search_fields = ["title"]


@admin.register(ParticipationEvent)
class ParticipationEventAdmin(ReadOnlyModelAdmin):
    list_display = ["at", "municipality", "kind", "subject", "actor"]
    list_filter = ["kind", "municipality"]
    list_select_related = ["municipality", "actor"]
