"""Demo projects, strategies and bundles for the five towns (from ``projects.json``), made through the
services so that history and derived figures are real. Idempotent: existing projects are left alone."""

import datetime
import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from municipalities.models import Consortium, Municipality
from municipalities.scoping import town_scope

from .. import services
from ..models import Bundle, FieldOfAction, Project, Strategy

DATA_FILE = Path(__file__).with_name("projects.json")

# The order in which the demo walks a project to its status.
PATHS = {
    "idea": [], "planned": ["planned"], "in_progress": ["planned", "in_progress"],
    "paused": ["planned", "in_progress", "paused"], "completed": ["planned", "in_progress", "completed"],
    "cancelled": ["cancelled"],
}


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _fields(slugs) -> list[FieldOfAction]:
    return list(FieldOfAction.objects.filter(slug__in=slugs))


def load_bundles(consortium: Consortium, data: list[dict]) -> dict[int, Bundle]:
    bundles = {}
    for item in data:
        bundle, _ = Bundle.objects.update_or_create(
            consortium=consortium, number=item["number"],
            defaults={"title": item["title"], "description": item.get("description", "")})
        bundle.fields_of_action.set(_fields(item.get("fields", [])))
        bundles[bundle.number] = bundle
    return bundles


def load_strategies(towns: dict[str, Municipality], data: dict) -> None:
    lead = next((t for t in towns.values() if t.is_lead), None)
    for key, item in data.items():
        town = lead if key == "joint" else towns.get(key)
        if town is None:
            continue
        with town_scope(town):
            services.strategy_save(
                municipality=town, kind=Strategy.Kind.JOINT if key == "joint" else Strategy.Kind.TOWN,
                fields={"title": item["title"], "adopted_on": _date(item.get("adopted_on")),
                        "summary": item.get("summary", ""), "resolution_url": ""},
                fields_of_action=_fields(item.get("fields", [])))


def _load_project(item: dict, towns: dict[str, Municipality], bundles: dict[int, Bundle]) -> Project | None:
    lead = towns[item["town"]]
    with town_scope(lead):
        if Project.objects.led_by(lead).filter(title=item["title"]).exists():
            return None
        actual_start, actual_end = _date(item.get("actual_start")), _date(item.get("actual_end"))
        fields = {
            "title": item["title"], "summary": item["summary"], "description": item.get("description", ""),
            "phase": item.get("phase", "B"), "bundle": bundles.get(item.get("bundle")),
            "weight": item.get("weight", 1), "planned_start": _date(item.get("planned_start")),
            "planned_end": _date(item.get("planned_end")), "planned_budget": _decimal(item.get("planned_budget")),
            "contact_name": item.get("contact_name", ""), "contact_email": item.get("contact_email", ""),
            "visibility": item.get("visibility", "public"), "open_source_url": item.get("open_source_url", ""),
            "transferability": item.get("transferability", "not_assessed"),
            "transferability_note": item.get("transferability_note", ""),
            "location_label": item.get("location_label", ""),
            "latitude": _decimal(item.get("latitude")), "longitude": _decimal(item.get("longitude")),
        }
        project = services.project_create(
            municipality=lead, by=None, fields=fields,
            partner_towns=[towns[s] for s in item.get("partners", []) if s in towns],
            fields_of_action=_fields(item.get("fields", [])), tags=services.tags_from_text(", ".join(item.get("tags", []))))
        for status in PATHS[item.get("status", "idea")]:
            on = actual_end if status == "completed" else actual_start if status == "in_progress" else None
            reason = item.get("status_reason") or "Demo"
            project = services.project_transition(project=project, to=status, by=None, acting_town=lead,
                                                  reason=reason if status in ("paused", "cancelled") else "", on=on)
        if actual_start or actual_end:
            project = services.project_change(project=project, by=None, acting_town=lead,
                                              fields={"actual_start": actual_start, "actual_end": actual_end})
        for update in item.get("updates", []):
            town = towns.get(update.get("town")) or lead
            services.progress_update_post(project=project, by=None, acting_town=town, fields={
                "title": update["title"], "body": update.get("body", ""),
                "published_on": _date(update["published_on"]), "progress_percent": update.get("progress_percent"),
                "is_public": update.get("is_public", True)})
        for position, indicator_data in enumerate(item.get("indicators", [])):
            indicator = services.indicator_create(project=project, by=None, acting_town=lead, fields={
                "name": indicator_data["name"], "unit": indicator_data.get("unit", ""),
                "description": indicator_data.get("description", ""),
                "baseline": _decimal(indicator_data.get("baseline")),
                "baseline_date": _date(indicator_data.get("baseline_date")),
                "target": _decimal(indicator_data.get("target")),
                "target_date": _date(indicator_data.get("target_date")), "position": position})
            for day, value in indicator_data.get("measurements", []):
                services.measurement_record(indicator=indicator, by=None, acting_town=lead,
                                            measured_on=_date(day), value=_decimal(value))
    return project


@transaction.atomic
def load_projects(consortium: Consortium, towns: list[Municipality]) -> int:
    """Load bundles, strategies and projects; returns the number of projects created."""
    if not DATA_FILE.exists():
        return 0
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    by_slug = {t.slug: t for t in towns}
    bundles = load_bundles(consortium, data.get("bundles", []))
    load_strategies(by_slug, data.get("strategies", {}))
    created = 0
    for item in data.get("projects", []):
        if item["town"] in by_slug and _load_project(item, by_slug, bundles) is not None:
            created += 1
    return created
