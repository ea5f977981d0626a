"""Platform admin for task hand-overs: read-only; operators look at what waits or failed, the relay does the rest."""

from django.contrib import admin

from smartcity5.admin import ReadOnlyModelAdmin

from .models import MailClaim, OutboxTask


@admin.register(OutboxTask)
class OutboxTaskAdmin(ReadOnlyModelAdmin):
    list_display = ["pk", "task", "created_at", "handed_at", "hand_count", "done_at", "failed"]
    list_filter = ["failed", ("done_at", admin.EmptyFieldListFilter)]
    search_fields = ["task"]


@admin.register(MailClaim)
class MailClaimAdmin(ReadOnlyModelAdmin):
    list_display = ["key", "created_at", "claimed_at", "sent_at"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["key"]
