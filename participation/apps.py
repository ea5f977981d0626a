from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "participation"
    verbose_name = _("Participation")

    def ready(self):
        from projects.signals import project_status_changed

        from . import services

        def _on_project_status(sender, project, event, **kwargs):
            services.project_status_changed(project=project, event_id=event.pk)

        project_status_changed.connect(
            _on_project_status, dispatch_uid="participation-project-status", weak=False
        )
