"""Small display helpers for project pages: ``{% load project_tags %}``."""

from django import template
from django.utils.safestring import SafeString

from smartcity5 import fragments

register = template.Library()

_TONES = {
    "idea": "info",
    "planned": "info",
    "in_progress": "warning",
    "paused": "warning",
    "completed": "success",
    "cancelled": "danger",
}


@register.filter
def status_tone(status: str) -> str:
    """The KERN badge variant of a project status."""
    return _TONES.get(status, "info")


@register.filter
def visibility_tone(visibility: str) -> str:
    """The badge variant of a project's visibility: public is good news, internal a warning."""
    return "success" if visibility == "public" else "warning"


@register.filter
def transferability_tone(transferability: str) -> str:
    """The badge variant of a project's transferability: re-usable elsewhere stands out."""
    return "success" if transferability == "yes" else "info"


@register.filter
def days_late(project, kind: str = "end") -> int:
    return project.start_delay_days() if kind == "start" else project.end_delay_days()


@register.filter
def public_url(project, municipality=None) -> str:
    """The project's public page, in ``municipality`` when that is a partner town showing it."""
    if (
        municipality is not None
        and municipality.pk != project.municipality_id
        and municipality.pk not in {t.pk for t in project.partner_towns.all()}
    ):
        municipality = None
    return project.get_absolute_url(municipality)


@register.filter
def staff_url(project, town=None) -> str:
    return project.get_staff_url(town)


@register.filter
def as_percent(share) -> str:
    """A fraction (0..1) as a whole percentage, e.g. 0.456 → "46"."""
    if share is None:
        return ""
    return str(round(share * 100))


@register.filter
def status_label(status: str) -> str:
    from projects.models import Project

    return str(Project.Status(status).label)


@register.simple_tag(takes_context=True)
def project_card(context, project, link_town=None, staff: bool = False) -> SafeString:
    """A project in a list (a town's, the region's, the staff list): ``projects/_project_card.html`` rendered from
    plain values only and kept per worker (smartcity5.fragments); nothing on it depends on the viewer. ``staff``:
    its link goes to the staff page in the page's town, else to the public page in ``link_town`` (when the
    project is that town's or a partner's, see :func:`public_url`). Fifteen cards as an ``{% include %}`` each,
    with their progress bar and badges, were a third of the project list's time on the demo."""
    return fragments.render(
        "projects/_project_card.html",
        url=staff_url(project, context.get("municipality")) if staff else public_url(project, link_town),
        town_slug=project.municipality.slug,
        town_name=project.municipality.name,
        joint=project.is_joint,
        partners=", ".join(str(town) for town in project.partner_towns.all()) if project.is_joint else "",
        fields=", ".join(str(field) for field in project.fields_of_action.all()),
        title=project.title,
        status=project.status,
        status_label=str(project.get_status_display()),
        internal=project.visibility == "internal",
        summary=project.summary,
        phase=str(project.phase),
        progress=getattr(project, "progress", None),
        slug=project.slug,
    )
