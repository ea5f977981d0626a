from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "participation"
    verbose_name = _("Participation")

    def ready(self):
        from municipalities import freshness
        from projects.signals import project_status_changed

        from . import freshness as participation_freshness
        from .services import processes as processes_services

        freshness.watch_all(participation_freshness.WATCHED)
        freshness.add_scope_version(participation_freshness.scope_version)

        def _on_project_status(sender, project, event, **kwargs):
            processes_services.project_status_changed(project=project, event_id=event.pk)

        project_status_changed.connect(
            _on_project_status, dispatch_uid="participation-project-status", weak=False
        )
