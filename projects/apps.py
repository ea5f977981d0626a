from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")

    def ready(self):
        # Every row a public project or strategy page shows raises its towns' version (the anonymous page cache).
        from municipalities import freshness

        from . import models

        def own_project(row):
            freshness.bump_project_towns(row.project_id, row.municipality_id)

        freshness.watch(models.Project, lambda row: freshness.bump_project_towns(row.pk, row.municipality_id))
        for model in (models.ProjectPartner, models.ProgressUpdate, models.Indicator, models.ProjectFile):
            freshness.watch(model, own_project)
        freshness.watch(
            models.Measurement,
            lambda row: freshness.bump_project_towns(
                models.Indicator._base_manager.filter(pk=row.indicator_id).values("project_id"),
                row.municipality_id,
            ),
        )
        freshness.watch(models.Strategy, lambda row: freshness.bump_towns([row.municipality_id]))
        for model in (models.FieldOfAction, models.Tag, models.Bundle):
            freshness.watch(model, everywhere=True)
