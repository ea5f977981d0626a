from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API and open data")

    def ready(self):
        from participation.signals import participation_changed
        from projects.signals import project_changed

        from .opendata import files as opendata_files

        def _projects_changed(sender, **kwargs):
            opendata_files.data_changed("projects", "indicators")

        def _participation_changed(sender, **kwargs):
            opendata_files.data_changed("ideas")

        project_changed.connect(_projects_changed, dispatch_uid="api-opendata-projects", weak=False)
        participation_changed.connect(_participation_changed, dispatch_uid="api-opendata-ideas", weak=False)
