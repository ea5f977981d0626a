"""Small display helpers for project pages: ``{% load project_tags %}``."""

from django import template

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
