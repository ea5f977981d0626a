"""How writes of the projects' rows move the towns' versions (``municipalities.freshness``), registered by
``ProjectsConfig.ready``: a project concerns its lead town and its partner towns."""

from django.db.models import Q

from municipalities import row_towns
from municipalities.freshness import ALL, BOTH, PAGES, Towns, Watch, everywhere, own


def project_towns(projects) -> Q:
    """The lead towns and partner towns of ``projects``: one project id or a query of project ids."""
    from .models import Project, ProjectPartner

    return row_towns.lead_and_partner_towns(
        projects, lead=Project, partner=ProjectPartner, partner_field="project_id"
    )


def project(row) -> Towns:
    """A project: its own town, lead and partners."""
    return Q(pk=row.municipality_id) | project_towns(row.pk)


def of_project(row) -> Towns:
    """A row of a project (``row.project_id``): the row's own town and the project's towns."""
    if row.municipality_id is None:
        return ALL
    if row.project_id is None:
        return Q(pk=row.municipality_id)
    return Q(pk=row.municipality_id) | project_towns(row.project_id)


def of_indicator(row) -> Towns:
    """A measurement: its town and the towns of its indicator's project."""
    from .models import Indicator

    return Q(pk=row.municipality_id) | project_towns(
        Indicator._base_manager.filter(pk=row.indicator_id).values("project_id")
    )


#: The shared catalogues show on every town's pages; a project's rows on its pages and in its figures (a joint one
#: in its lead town's and every partner's).
WATCHED: dict[str, Watch] = {
    "projects.FieldOfAction": Watch(everywhere, PAGES),
    "projects.Tag": Watch(everywhere, PAGES),
    "projects.Bundle": Watch(everywhere, PAGES),
    "projects.Project": Watch(project, BOTH),
    "projects.ProjectPartner": Watch(of_project, BOTH),
    "projects.ProgressUpdate": Watch(of_project, BOTH),
    "projects.Indicator": Watch(of_project, PAGES),
    "projects.ProjectFile": Watch(of_project, PAGES),
    "projects.Measurement": Watch(of_indicator, PAGES),
    "projects.Strategy": Watch(own, PAGES),
}
