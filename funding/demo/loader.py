"""Demo funding data for the five towns (from ``grants.json``): one grant per town with its budget plan,
spending, disbursement requests, milestones and proofs of use, made through :mod:`funding.services` so that
the limits are checked and the history is real.

The data is written as seen from ``reference_year`` and loaded relative to the day it is loaded:

* ISO dates and years are shifted by whole years, so that the reference year becomes the current year;
* ``"today-N"`` / ``"today+N"`` are days relative to the day of loading (used for what must be "now":
  the overdue and at-risk milestones, the request awaiting payment, an overdue interim proof);
* ``{year}`` in texts becomes the (shifted) year of the row;
* events dated after the day of loading have not happened yet: such spending is left out, and requests,
  milestones and proofs stop at the last step that has happened.

Idempotent: a town whose grant (by title) exists is left alone.
"""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from municipalities.models import Municipality
from municipalities.scoping import town_scope
from projects.models import Project
from projects.uploads import check_upload

from .. import services
from ..models import Grant

if TYPE_CHECKING:
    from typing_extensions import TypeIs

DATA_FILE = Path(__file__).with_name("grants.json")
RELATIVE = re.compile(r"^today([+-]\d+)$")
EVIDENCE = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class _Clock:
    """Turns the dates of the data file into dates relative to the day of loading."""

    def __init__(self, today: datetime.date, reference_year: int):
        self.today = today
        self.shift = today.year - reference_year

    def year(self, value: int) -> int:
        return value + self.shift

    def date(self, value: str | None) -> datetime.date | None:
        if not value:
            return None
        relative = RELATIVE.match(value)
        if relative:
            return self.today + datetime.timedelta(days=int(relative.group(1)))
        day = datetime.date.fromisoformat(value)
        try:
            return day.replace(year=day.year + self.shift)
        except ValueError:  # 29 February in a year that has none
            return day.replace(year=day.year + self.shift, day=28)

    def happened(self, day: datetime.date | None) -> TypeIs[datetime.date]:
        return day is not None and day <= self.today


def _text(value: str, year: int) -> str:
    return value.replace("{year}", str(year))


def _evidence():
    return check_upload(ContentFile(EVIDENCE, name="nachweis.pdf"))


def _load_grant(municipality: Municipality, item: dict, clock: _Clock) -> Grant:
    projects = {p.title: p for p in Project.objects.led_by(municipality)}

    def led_project(title: str) -> Project:
        if title not in projects:
            raise ValueError(
                f"Funding demo: {municipality.slug} leads no project “{title}” (see projects/demo)."
            )
        return projects[title]

    def project(title: str | None) -> Project | None:
        return None if title is None else led_project(title)

    data = item["grant"]
    fields = {name: data[name] for name in ("title", "reference", "cohort", "recipient", "notes")}
    for name in (
        "approved_on",
        "period_start",
        "period_end",
        "phase_a_start",
        "phase_a_end",
        "phase_b_start",
        "phase_b_end",
    ):
        fields[name] = clock.date(data.get(name))
    fields["eligible_costs"] = Decimal(data["eligible_costs"])
    fields["funding_rate"] = Decimal(data["funding_rate"])
    grant = services.grant_create(municipality=municipality, by=None, fields=fields)

    for line in item.get("budget", []):
        services.budget_line_save(
            grant=grant,
            by=None,
            fields={
                "year": clock.year(line["year"]),
                "cost_type": line["cost_type"],
                "project": project(line.get("project")),
                "amount": Decimal(line["amount"]),
                "note": line.get("note", ""),
            },
        )

    for entry in item.get("spending", []):
        spent_on = clock.date(entry["spent_on"])
        if not clock.happened(spent_on):
            continue
        services.spending_record(
            grant=grant,
            by=None,
            fields={
                "spent_on": spent_on,
                "cost_type": entry["cost_type"],
                "project": project(entry.get("project")),
                "amount": Decimal(entry["amount"]),
                "description": _text(entry["description"], spent_on.year),
                "payee": entry.get("payee", ""),
                "voucher": _text(entry.get("voucher", ""), spent_on.year),
            },
        )

    for entry in item.get("disbursements", []):
        year = clock.year(entry["year"])
        request = services.disbursement_prepare(
            grant=grant,
            by=None,
            fields={
                "year": year,
                "amount": Decimal(entry["amount"]),
                "purpose": _text(entry.get("purpose", ""), year),
            },
        )
        submitted_on = clock.date(entry.get("submitted_on"))
        if not clock.happened(submitted_on):
            continue
        request = services.disbursement_submit(item=request, by=None, submitted_on=submitted_on)
        paid_on, rejected_on = clock.date(entry.get("paid_on")), clock.date(entry.get("rejected_on"))
        if clock.happened(paid_on):
            services.disbursement_mark_paid(item=request, by=None, paid_on=paid_on)
        elif clock.happened(rejected_on):
            services.disbursement_reject(
                item=request, by=None, rejected_on=rejected_on, reason=entry["reason"]
            )

    for entry in item.get("milestones", []):
        milestone = services.milestone_save(
            grant=grant,
            by=None,
            projects=[led_project(title) for title in entry.get("projects", [])],
            fields={
                "title": entry["title"],
                "description": entry.get("description", ""),
                "phase": entry.get("phase", "B"),
                "due_on": clock.date(entry["due_on"]),
            },
        )
        done_on = clock.date(entry.get("done_on"))
        if clock.happened(done_on):
            services.milestone_mark_done(milestone=milestone, by=None, done_on=done_on, evidence=_evidence())
        elif entry.get("waived_reason"):
            services.milestone_waive(milestone=milestone, by=None, reason=entry["waived_reason"])

    for entry in item.get("proofs", []):
        proof_year = clock.year(entry["year"]) if entry.get("year") else None
        proof = services.proof_save(
            grant=grant,
            by=None,
            fields={
                "kind": entry["kind"],
                "year": proof_year,
                "due_on": clock.date(entry["due_on"]),
                "note": entry.get("note", ""),
            },
        )
        submitted_on = clock.date(entry.get("submitted_on"))
        if not clock.happened(submitted_on):
            continue
        proof = services.proof_submit(proof=proof, by=None, submitted_on=submitted_on)
        accepted_on = clock.date(entry.get("accepted_on"))
        if clock.happened(accepted_on):
            services.proof_accept(proof=proof, by=None, accepted_on=accepted_on)
    return grant


@transaction.atomic
def load_funding(towns: list[Municipality]) -> int:
    """Load the demo grants of the given towns (after their projects); returns the number of grants created."""
    if not DATA_FILE.exists():
        return 0
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    clock = _Clock(timezone.localdate(), data["reference_year"])
    by_slug = {town.slug: town for town in towns}
    created = 0
    for item in data.get("grants", []):
        town = by_slug.get(item["town"])
        if town is None:
            continue
        with town_scope(town):
            if Grant.objects.filter(title=item["grant"]["title"]).exists():
                continue
            _load_grant(town, item, clock)
            created += 1
    return created
