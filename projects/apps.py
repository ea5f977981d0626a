from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")

    def ready(self):
        from municipalities import freshness

        from . import freshness as project_freshness

        freshness.watch_all(project_freshness.WATCHED)
