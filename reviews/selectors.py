"""Reads of the progress review: the figures of a town's quarter (from the selectors of projects, funding and
participation, all summed in SQL), the town's reports, and the Agentur's audited cross-town queue."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from funding import selectors as funding_selectors
from municipalities.models import Municipality
from municipalities.scoping import cross_town_scope
from participation.selectors import figures as figures_selectors
from projects.models import FieldOfAction
from projects.selectors import dashboard as dashboard_selectors
from smartcity5.money import cents
from smartcity5.numbers import plain_text

from .models import ProgressReport, ProgressReportEvent, ProgressReportSection, ReviewComment

if TYPE_CHECKING:
    from accounts.permissions import AnyUser

#: Version of the snapshot's layout, stored with it, so that an old snapshot is still read correctly.
FIGURES_VERSION = 1


def _money(value: Decimal) -> str:
    """To the cent, half up (``smartcity5.money``): the snapshot shows what the funding pages show."""
    return str(cents(value))


def _number(value: Decimal | None) -> str:
    """``Decimal("180.0000")`` → ``"180"``, ``Decimal("2.5000")`` → ``"2.5"`` (never an exponent)."""
    return plain_text(value)


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def quarter_figures(
    *, municipality: Municipality, year: int, quarter: int, today: datetime.date | None = None
) -> dict[str, Any]:
    """The town's figures for one quarter, as the JSON snapshot a report keeps (inside the town's scope).

    Projects by status (now, led by the town) and what changed in the quarter, progress updates, KPI
    measurements, funding (spent, called, paid, milestones done and overdue) and participation (ideas
    received and answered). Amounts are strings with two decimals, dates ISO strings. A fixed number of
    queries."""
    from .models import quarter_bounds

    today = today or timezone.localdate()
    start, end = quarter_bounds(year, quarter)
    activity = dashboard_selectors.period_activity(municipality=municipality, start=start, end=end)
    funding = funding_selectors.period_figures(start=start, end=end, today=today)
    participation = figures_selectors.period_figures(municipality=municipality, start=start, end=end)
    return {
        "version": FIGURES_VERSION,
        "period": {"start": _day(start), "end": _day(end), "as_of": _day(min(end, today))},
        "projects": {
            "by_status": dashboard_selectors.status_counts(municipality=municipality),
            "by_field": {
                str(pk): n for pk, n in dashboard_selectors.field_counts(municipality=municipality).items()
            },
            "status_changes": activity["status_changes"],
            "changes": [{**change, "on": _day(change["on"])} for change in activity["changes"]],
            "started": activity["started"],
            "completed": activity["completed"],
        },
        "updates": {"count": activity["updates"], "projects": activity["updated_projects"]},
        "kpis": {
            "measurements": activity["measurements"],
            "indicators": [
                {
                    "name": item.name,
                    "unit": item.unit,
                    "project": item.project.title,
                    "count": item.n,
                    "latest": _number(item.latest_value),
                    "latest_on": _day(item.latest_on),
                    "target": _number(item.target),
                }
                for item in activity["indicators"]
            ],
        },
        "funding": {
            "spent": _money(funding["spent"]),
            "called": _money(funding["called"]),
            "called_requests": funding["called_requests"],
            "paid": _money(funding["paid"]),
            "milestones_done": funding["milestones_done"],
            "milestones_overdue": funding["milestones_overdue"],
            "as_of": _day(funding["as_of"]),
            "done": [
                {
                    "title": m.title,
                    "grant": m.grant.title,
                    "due_on": _day(m.due_on),
                    "done_on": _day(m.done_on),
                }
                for m in funding["done"]
            ],
            "overdue": [
                {"title": m.title, "grant": m.grant.title, "due_on": _day(m.due_on)}
                for m in funding["overdue"]
            ],
        },
        "participation": participation,
    }


# --- A town's reports (inside the town's scope) ----------------------------------------------------------


def report_list() -> QuerySet[ProgressReport]:
    """Every report of the town in scope, newest quarter first, with its comment count (one query)."""
    return (
        ProgressReport.objects.annotate(comment_count=Count("comments"))
        .select_related("submitted_by", "decided_by")
        .order_by("-year", "-quarter")
    )


def report_get(*, year: int, quarter: int) -> ProgressReport:
    """A report of the town in scope (raises ``ProgressReport.DoesNotExist`` for others)."""
    return ProgressReport.objects.get(year=year, quarter=quarter)


def report_page(*, report: ProgressReport) -> dict[str, Any]:
    """What a report page shows: the fields of action with the town's text and project count, the review
    comments and the history (four queries)."""
    texts = {s.field_of_action_id: s for s in ProgressReportSection.objects.filter(report=report)}
    by_field = (report.figures.get("projects") or {}).get("by_field", {})
    sections = [
        {
            "field": field,
            "text": texts[field.pk].text if field.pk in texts else "",
            "updated_by": texts[field.pk].updated_by_id if field.pk in texts else None,
            "projects": by_field.get(str(field.pk), 0),
        }
        for field in FieldOfAction.objects.order_by("position", "name")
    ]
    return {
        "sections": sections,
        "comments": list(
            ReviewComment.objects.filter(report=report).select_related("author").order_by("created_at", "pk")
        ),
        "events": list(
            ProgressReportEvent.objects.filter(report=report).select_related("actor").order_by("-at", "-pk")
        ),
    }


def section_texts(*, report: ProgressReport) -> dict[int, str]:
    return dict(ProgressReportSection.objects.filter(report=report).values_list("field_of_action", "text"))


# --- The Agentur's queue (audited cross-town reads) ------------------------------------------------------

REVIEW_FILTERS = ("submitted", "accepted", "returned", "all")


def review_queue(*, user: AnyUser, path: str, status: str = "submitted") -> list[ProgressReport]:
    """Reports of every active town that the Agentur has received, for moderators: one audited cross-town read,
    two queries (the audit entry and the list) whatever the number of towns and reports.

    ``status`` is ``submitted`` (waiting for review, oldest first), ``accepted``, ``returned`` or ``all``. Drafts
    that were never submitted stay with the town."""
    towns = list(Municipality.objects.active().order_by("name"))
    with cross_town_scope(purpose="agentur:progress-reports", user=user, path=path, municipalities=towns):
        qs = (
            ProgressReport.objects.filter(submitted_at__isnull=False)
            .select_related("municipality", "submitted_by", "decided_by")
            .annotate(comment_count=Count("comments"))
        )
        if status in ProgressReport.Status.values:
            qs = qs.filter(status=status)
        order = (
            ("submitted_at", "pk") if status == "submitted" else ("-year", "-quarter", "municipality__name")
        )
        return list(qs.order_by(*order))


@contextmanager
def review_scope(
    *, user: AnyUser, path: str, town_slug: str, purpose: str = "agentur:progress-report"
) -> Iterator[Municipality]:
    """For a moderator's page on one town's report: an audited read of that town, open for the block (the page
    is rendered and any decision taken inside it). Raises ``ProgressReport.DoesNotExist`` for an unknown town."""
    municipality = Municipality.objects.active().filter(slug=town_slug).first()
    if municipality is None:
        raise ProgressReport.DoesNotExist
    with cross_town_scope(purpose=purpose, user=user, path=path, municipalities=[municipality]):
        yield municipality


def review_get(*, municipality: Municipality, year: int, quarter: int) -> ProgressReport:
    """A report the Agentur has received (inside :func:`review_scope`); never-submitted drafts are not found."""
    return ProgressReport.objects.select_related("municipality", "submitted_by", "decided_by").get(
        municipality=municipality, year=year, quarter=quarter, submitted_at__isnull=False
    )
