"""Admin for the shared catalogues. Town content (projects, KPIs, updates) is edited in the staff pages,
where the workflow and the history apply; the admin only lists it."""

from django.contrib import admin

from smartcity5.admin import ReadOnlyModelAdmin

from .models import Bundle, FieldOfAction, Project, Tag


@admin.register(FieldOfAction)
class FieldOfActionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "consortium"]
    filter_horizontal = ["fields_of_action"]


@admin.register(Project)
class ProjectAdmin(ReadOnlyModelAdmin):
    """Read-only: changes go through the staff pages so that the workflow and history apply."""

    list_display = ["title", "municipality", "status", "visibility", "updated_at"]
    list_filter = ["status", "visibility", "phase", "municipality"]
    search_fields = ["title", "slug"]
    list_select_related = ["municipality"]
