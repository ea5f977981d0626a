"""Platform admin for lessons-learned notes: read-only, because notes are written in the staff pages."""

from django.contrib import admin

from smartcity5.admin import ReadOnlyModelAdmin

from .models import LessonNote


@admin.register(LessonNote)
class LessonNoteAdmin(ReadOnlyModelAdmin):
    list_display = ["title", "municipality", "author", "is_public", "updated_at"]
    list_filter = ["municipality", "is_public"]
    list_select_related = ["municipality", "author"]
    search_fields = ["title"]
