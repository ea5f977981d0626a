from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge transfer")

    def ready(self):
        from municipalities import freshness
        from projects.freshness import of_project

        # A note shows on its town's pages and its project's (an Agentur note, without a town, on every town's).
        freshness.watch_all({"knowledge.LessonNote": freshness.Watch(of_project, freshness.PAGES)})
