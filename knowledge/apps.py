from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge transfer")

    def ready(self):
        # A note shows on /wissen/ and on its project's page: it raises its town's version (the Agentur's notes,
        # without a town, every town's) and its project's towns' (the anonymous page cache).
        from municipalities import freshness

        from .models import LessonNote

        freshness.watch(
            LessonNote, lambda row: freshness.bump_project_towns(row.project_id, row.municipality_id)
        )
