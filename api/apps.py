from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API and open data")

    def ready(self):
        from participation.signals import participation_changed
        from projects.signals import project_changed
        from surveys.signals import survey_changed

        from .opendata import files as opendata_files

        def _projects_changed(sender, **kwargs):
            opendata_files.data_changed("projects", "indicators")

        def _participation_changed(sender, **kwargs):
            opendata_files.data_changed("ideas")

        def _survey_changed(sender, *, at_once: bool, **kwargs):
            if at_once:
                opendata_files.data_changed("surveys")
            else:
                opendata_files.data_changed_for_the_sweep("surveys")

        project_changed.connect(_projects_changed, dispatch_uid="api-opendata-projects", weak=False)
        participation_changed.connect(_participation_changed, dispatch_uid="api-opendata-ideas", weak=False)
        survey_changed.connect(_survey_changed, dispatch_uid="api-opendata-surveys", weak=False)
