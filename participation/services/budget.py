"""The participatory budget (Bürgerhaushalt): the town's check of a proposal's cost and feasibility, and a
winning proposal turned into a project. The ballot's rule is in :mod:`participation.services.ballots`."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from municipalities.models import Municipality
from participation import tasks
from participation.models import Feasibility, Idea, ParticipationEvent, Process
from participation.selectors import ballots as ballots_selectors
from participation.services.common import Kind, _locked, require_answer_right
from participation.services.ideas import idea_link_project
from participation.services.processes import _process_with_phases
from smartcity5.history import record, snapshot

if TYPE_CHECKING:
    from accounts.models import User
    from projects.models import Project

ASSESSMENT_FIELDS = ("cost_estimate", "feasibility", "feasibility_reason")


@transaction.atomic
def idea_assess(
    *,
    idea: Idea,
    by: User | None,
    acting_town: Municipality,
    cost_estimate: Decimal | None,
    feasibility: str,
    reason: str,
    on: datetime.date | None = None,
) -> Idea:
    """The town checks a proposal of a participatory budget: its cost (the binding one, which the ballot adds
    up) and whether it is feasible, with a reason that is published with the proposal. Only until the vote
    starts (the ballot must not change under the voters); the author is told of a new verdict."""
    require_answer_right(by, idea.process, acting_town)
    idea = _locked(idea)
    process = _process_with_phases(idea.process)
    if not process.is_budget:
        raise ValidationError(
            _("Only proposals of a participatory budget are checked for costs."), code="mode"
        )
    if not process.shortlist_open(on):
        raise ValidationError(
            _("The vote has started; costs and feasibility can no longer change."), code="phase"
        )
    if feasibility not in Feasibility.values:
        raise ValidationError({"feasibility": _("Please choose a verdict.")})
    reason = (reason or "").strip()
    errors = {}
    if feasibility == Feasibility.FEASIBLE and cost_estimate is None:
        errors["cost_estimate"] = _("A feasible proposal needs the town's cost estimate.")
    if feasibility != Feasibility.PENDING and not reason:
        errors["feasibility_reason"] = _("Please give the reason; it is published with the proposal.")
    if cost_estimate is not None and cost_estimate < 0:
        errors["cost_estimate"] = _("The cost cannot be negative.")
    elif cost_estimate is not None and cost_estimate >= Decimal("1e10"):
        errors["cost_estimate"] = _("Please enter an amount in euros, e.g. 12.500,00.")
    if errors:
        raise ValidationError(errors)
    if feasibility == Feasibility.FEASIBLE and not idea.is_visible:
        raise ValidationError(_("Only published proposals can be found feasible."), code="hidden")
    before = snapshot(idea, ASSESSMENT_FIELDS)
    verdict_before = idea.feasibility
    idea.cost_estimate = cost_estimate
    idea.feasibility = feasibility
    idea.feasibility_reason = reason
    idea.feasibility_checked_at = timezone.now() if feasibility != Feasibility.PENDING else None
    idea.save(
        update_fields=[
            "cost_estimate",
            "feasibility",
            "feasibility_reason",
            "feasibility_checked_at",
            "updated_at",
        ]
    )
    event = record(
        ParticipationEvent,
        municipality=idea.municipality,
        kind=Kind.FEASIBILITY,
        by=by,
        acting_town=acting_town,
        process=process,
        idea=idea,
        subject=idea.title,
        before=before,
        after=snapshot(idea, ASSESSMENT_FIELDS),
    )
    if event is not None and feasibility != verdict_before and feasibility != Feasibility.PENDING:
        tasks.idea_assessed_notify.delay_on_commit(
            municipality_id=idea.municipality_id, idea_id=idea.pk, event_id=event.pk
        )
    return idea


def winner_ids(*, process: Process) -> set[int]:
    """The winning proposals of a participatory budget whose results are public (else none)."""
    process = _process_with_phases(process)
    if not process.is_budget or not process.results_public():
        return set()
    return {idea.pk for idea in ballots_selectors.vote_results(process=process)["winners"]}


@transaction.atomic
def project_from_proposal(*, idea: Idea, by: User | None, acting_town: Municipality) -> Project:
    """A winning proposal of a participatory budget becomes a project of the process's town (status "idea",
    its cost as the planned budget), linked both ways (``Idea.project``, the project page's "came from a
    citizen idea"); its author and supporters are told, and hear of the project's status from then on."""
    from projects.services import project_create

    require_answer_right(by, idea.process, acting_town)
    idea = _locked(idea)
    if idea.project_id is not None:
        raise ValidationError(_("This proposal has already become a project."), code="linked")
    if idea.pk not in winner_ids(process=idea.process):
        raise ValidationError(
            _("Only a winning proposal becomes a project, once the results are public."), code="not_winner"
        )
    process = idea.process
    project = project_create(
        municipality=process.municipality,
        by=by,
        fields={
            "title": Truncator(idea.title).chars(200),
            "summary": Truncator(" ".join(idea.body.split())).chars(400),
            "description": _("From the participatory budget “%(process)s”.") % {"process": process.title}
            + "\n\n"
            + idea.body,
            "planned_budget": idea.cost_estimate,
        },
        fields_of_action=[idea.field_of_action] if idea.field_of_action is not None else [],
    )
    idea_link_project(idea=idea, project=project, by=by, acting_town=acting_town)
    return project
