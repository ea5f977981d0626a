"""Demo projects, strategies and bundles for the five towns (from ``projects.json``), made through the
services so that history and derived figures are real. Idempotent: existing projects are left alone.

The services stamp their history entries with the moment of loading; the loader then dates each entry back to
the day it stands for (timestamps only, nothing the services decide), so that histories and the quarterly
figures read true: a start on the project's actual start, a completion on its actual end, an update on its
date, a measurement on its day. Steps the file gives no date for (the project being entered, becoming
planned, being paused or stopped) are placed before or between the dated ones with seeded random gaps, never
after the day of loading. Deterministic: the same file loaded on the same day gives the same history."""

import datetime
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import overload

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from municipalities.models import Consortium, Municipality
from municipalities.scoping import town_scope

from .. import services
from ..models import Bundle, FieldOfAction, ProgressUpdate, Project, ProjectEvent, Strategy

DATA_FILE = Path(__file__).with_name("projects.json")
SEED = "smartcity5-projects-demo"

# The order in which the demo walks a project to its status.
PATHS = {
    "idea": [],
    "planned": ["planned"],
    "in_progress": ["planned", "in_progress"],
    "paused": ["planned", "in_progress", "paused"],
    "completed": ["planned", "in_progress", "completed"],
    "cancelled": ["cancelled"],
}
# A project that was stopped after it had started (it has an actual start) went through the work first.
STARTED_THEN_CANCELLED = ["planned", "in_progress", "cancelled"]


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _day(value: str) -> datetime.date:
    """A date the data file must give (an update's, a measurement's)."""
    return datetime.date.fromisoformat(value)


@overload
def _decimal(value: None) -> None: ...
@overload
def _decimal(value: int | float | str | Decimal) -> Decimal: ...
def _decimal(value: int | float | str | Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _fields(slugs) -> list[FieldOfAction]:
    return list(FieldOfAction.objects.filter(slug__in=slugs))


class _Timeline:
    """The moments of one project's history: dated steps on their day, undated ones placed with seeded gaps;
    never later than the moment of loading, and each after the one before."""

    def __init__(self, key: str, now: datetime.datetime):
        self.rng = random.Random(f"{SEED}:{key}")
        self.now = now
        self.today = timezone.localdate(now)
        self.last: datetime.datetime | None = None
        self.mark = self._last_event()

    @staticmethod
    def _last_event() -> int:
        return ProjectEvent._base_manager.aggregate(last=Max("pk"))["last"] or 0

    def days_before(self, day: datetime.date, low: int, high: int) -> datetime.date:
        return min(day, self.today) - datetime.timedelta(days=self.rng.randint(low, high))

    def between(self, first: datetime.date, last: datetime.date) -> datetime.date:
        last = min(last, self.today)
        if last <= first:
            return min(first, self.today)
        return first + datetime.timedelta(days=self.rng.randint(0, (last - first).days))

    def moment(self, day: datetime.date, *, ordered: bool = False) -> datetime.datetime:
        """A working-hours moment on ``day``, not after now; ``ordered``: also after the last ordered one (the
        steps of the status workflow, which can fall on the same day)."""
        when = timezone.make_aware(
            datetime.datetime.combine(
                min(day, self.today), datetime.time(self.rng.randint(8, 17), self.rng.randint(0, 59))
            )
        )
        if ordered and self.last is not None and when <= self.last:
            when = self.last + datetime.timedelta(minutes=self.rng.randint(2, 30))
        when = min(when, self.now - datetime.timedelta(seconds=1))
        if ordered:
            self.last = when
        return when

    def date(self, day: datetime.date, *, ordered: bool = False) -> datetime.datetime:
        """Date the history entries written since the last call to a moment on ``day``."""
        when = self.moment(day, ordered=ordered)
        last = self._last_event()
        if last > self.mark:
            ProjectEvent._base_manager.filter(pk__gt=self.mark, pk__lte=last).update(at=when)
        self.mark = last
        return when


def _status_days(
    item: dict, path: list[str], timeline: _Timeline
) -> tuple[datetime.date, dict[int, datetime.date]]:
    """The day the project was entered and the day of each step of ``path`` (by position)."""
    actual_start, actual_end = _date(item.get("actual_start")), _date(item.get("actual_end"))
    updates = sorted(_day(u["published_on"]) for u in item.get("updates", []))
    known = [
        d for d in (actual_start, _date(item.get("planned_start")), updates[0] if updates else None) if d
    ]
    anchor = min([*known, timeline.today])
    days: dict[int, datetime.date] = {}
    planned = timeline.days_before(anchor, 14, 60)
    for position, status in enumerate(path):
        if status == "planned":
            days[position] = planned
        elif status == "in_progress":
            days[position] = actual_start or timeline.between(planned, timeline.today)
        elif status == "completed":
            days[position] = actual_end or timeline.between(days.get(position - 1, planned), timeline.today)
        else:  # paused or cancelled: the last update after the work began says so, else a day since then
            since = days.get(position - 1, planned)
            later = [d for d in updates if d >= since]
            days[position] = later[-1] if later else timeline.between(since, timeline.today)
    created = timeline.days_before(planned if path else anchor, 10, 45)
    return created, days


def load_bundles(consortium: Consortium, data: list[dict]) -> dict[int, Bundle]:
    bundles = {}
    for item in data:
        bundle, _ = Bundle.objects.update_or_create(
            consortium=consortium,
            number=item["number"],
            defaults={"title": item["title"], "description": item.get("description", "")},
        )
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
                municipality=town,
                kind=Strategy.Kind.JOINT if key == "joint" else Strategy.Kind.TOWN,
                fields={
                    "title": item["title"],
                    "adopted_on": _date(item.get("adopted_on")),
                    "summary": item.get("summary", ""),
                    "resolution_url": "",
                },
                fields_of_action=_fields(item.get("fields", [])),
            )


def _load_project(
    item: dict, towns: dict[str, Municipality], bundles: dict[int, Bundle], now: datetime.datetime
) -> Project | None:
    lead = towns[item["town"]]
    with town_scope(lead):
        if Project.objects.led_by(lead).filter(title=item["title"]).exists():
            return None
        actual_start, actual_end = _date(item.get("actual_start")), _date(item.get("actual_end"))
        fields = {
            "title": item["title"],
            "summary": item["summary"],
            "description": item.get("description", ""),
            "phase": item.get("phase", "B"),
            "bundle": bundles.get(item["bundle"]) if item.get("bundle") is not None else None,
            "weight": item.get("weight", 1),
            "planned_start": _date(item.get("planned_start")),
            "planned_end": _date(item.get("planned_end")),
            "planned_budget": _decimal(item.get("planned_budget")),
            "contact_name": item.get("contact_name", ""),
            "contact_email": item.get("contact_email", ""),
            "visibility": item.get("visibility", "public"),
            "open_source_url": item.get("open_source_url", ""),
            "transferability": item.get("transferability", "not_assessed"),
            "transferability_note": item.get("transferability_note", ""),
            "location_label": item.get("location_label", ""),
            "latitude": _decimal(item.get("latitude")),
            "longitude": _decimal(item.get("longitude")),
        }
        status = item.get("status", "idea")
        path = STARTED_THEN_CANCELLED if status == "cancelled" and actual_start else PATHS[status]
        timeline = _Timeline(f"{lead.slug}:{item['title']}", now)
        created_day, days = _status_days(item, path, timeline)
        project = services.project_create(
            municipality=lead,
            by=None,
            fields=fields,
            partner_towns=[towns[s] for s in item.get("partners", []) if s in towns],
            fields_of_action=_fields(item.get("fields", [])),
            tags=services.tags_from_text(", ".join(item.get("tags", []))),
        )
        created_at = status_at = timeline.date(created_day, ordered=True)
        for position, step in enumerate(path):
            on = actual_end if step == "completed" else actual_start if step == "in_progress" else None
            reason = item.get("status_reason") or "Stillstand laut Projektteam"
            project = services.project_transition(
                project=project,
                to=step,
                by=None,
                acting_town=lead,
                reason=reason if step in ("paused", "cancelled") else "",
                on=on,
            )
            status_at = timeline.date(days[position], ordered=True)
        if actual_start or actual_end:
            project = services.project_change(
                project=project,
                by=None,
                acting_town=lead,
                fields={"actual_start": actual_start, "actual_end": actual_end},
            )
            timeline.date(timezone.localdate(status_at), ordered=True)
        # Updates and measurements are dated on their own days, which lie between the steps above.
        for update in item.get("updates", []):
            town = towns.get(update.get("town")) or lead
            published_on = _day(update["published_on"])
            posted = services.progress_update_post(
                project=project,
                by=None,
                acting_town=town,
                fields={
                    "title": update["title"],
                    "body": update.get("body", ""),
                    "published_on": published_on,
                    "progress_percent": update.get("progress_percent"),
                    "is_public": update.get("is_public", True),
                },
            )
            when = timeline.date(published_on)
            ProgressUpdate._base_manager.filter(pk=posted.pk).update(created_at=when, updated_at=when)
        for position, indicator_data in enumerate(item.get("indicators", [])):
            measurements = [(_day(day), value) for day, value in indicator_data.get("measurements", [])]
            indicator = services.indicator_create(
                project=project,
                by=None,
                acting_town=lead,
                fields={
                    "name": indicator_data["name"],
                    "unit": indicator_data.get("unit", ""),
                    "description": indicator_data.get("description", ""),
                    "baseline": _decimal(indicator_data.get("baseline")),
                    "baseline_date": _date(indicator_data.get("baseline_date")),
                    "target": _decimal(indicator_data.get("target")),
                    "target_date": _date(indicator_data.get("target_date")),
                    "position": position,
                },
            )
            first = min([d for d, _value in measurements] or [timeline.today])
            timeline.date(min(_date(indicator_data.get("baseline_date")) or first, first))
            for day, value in measurements:
                services.measurement_record(
                    indicator=indicator, by=None, acting_town=lead, measured_on=day, value=_decimal(value)
                )
                timeline.date(day)
        last_event = ProjectEvent._base_manager.filter(project=project).aggregate(last=Max("at"))["last"]
        Project._base_manager.filter(pk=project.pk).update(
            created_at=created_at, status_changed_at=status_at, updated_at=last_event or status_at
        )
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
    now = timezone.now()
    for item in data.get("projects", []):
        if item["town"] in by_slug and _load_project(item, by_slug, bundles, now) is not None:
            created += 1
    return created
