"""Cells and rows of the open data files: one object (project, KPI, idea, survey) as an item of the JSON file,
and a JSON value as a CSV cell."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.urls import reverse
from django.utils import timezone

from municipalities.models import Municipality
from participation.models import Idea
from projects.models import Project
from smartcity5.numbers import plain_text
from smartcity5.spreadsheets import csv_text

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

#: Lists (partner towns, fields of action) in one CSV cell; slugs never contain it.
LIST_SEPARATOR = "|"


def _number(value):
    """A decimal as a JSON number (an int when it is whole)."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def iso_moment(value: datetime.datetime | None) -> str | None:
    """A moment as local time in ISO 8601 with its offset, to the second."""
    return None if value is None else timezone.localtime(value).isoformat(timespec="seconds")


def _day(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    return value.isoformat()


def csv_cell(value) -> str:
    """A JSON item's value as CSV text: numbers and dates as they are, lists joined, user text guarded."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return plain_text(value)
    if isinstance(value, list | tuple):
        return csv_text(LIST_SEPARATOR.join(value))
    return csv_text(str(value))


@dataclass(frozen=True)
class Context:
    """What a row needs besides its object: the absolute address of the public pages, under the file's town
    (a joint project's page in a partner town) or, for the region, under the lead town."""

    base: str
    town: Municipality | None

    def url(self, obj) -> str:
        return self.base + obj.get_absolute_url(self.town)


class ProjectFacts(TypedDict):
    """What ``projects.selectors.progress.with_list_facts`` adds to each project (``selectors.public_projects``)."""

    progress: float  # the stored progress, rounded


class IdeaFacts(TypedDict):
    """What ``selectors.published_ideas`` adds to each idea."""

    answer_body: str | None  # the latest official answer's text
    vote_sum: int | None  # the votes of the process's vote (None: no vote given)


def project_item(project: "WithAnnotations[Project, ProjectFacts]", ctx: Context) -> dict:
    return {
        "slug": project.slug,
        "title": project.title,
        "summary": project.summary,
        "status": project.status,
        "phase": project.phase,
        "lead_town": project.municipality.slug,
        "partner_towns": sorted(town.slug for town in project.partner_towns.all()),
        "fields_of_action": sorted(field.slug for field in project.fields_of_action.all()),
        "planned_start": _day(project.planned_start),
        "planned_end": _day(project.planned_end),
        "actual_start": _day(project.actual_start),
        "actual_end": _day(project.actual_end),
        "progress_percent": None if project.progress is None else int(project.progress),
        "last_update_on": _day(project.last_update_on),
        "updated_at": iso_moment(project.updated_at),
        "url": ctx.url(project),
    }


def indicator_item(indicator, ctx: Context) -> dict:
    return {
        "id": indicator.pk,
        "project": indicator.project.slug,
        "name": indicator.name,
        "unit": indicator.unit,
        "baseline": _number(indicator.baseline),
        "baseline_date": _day(indicator.baseline_date),
        "target": _number(indicator.target),
        "target_date": _day(indicator.target_date),
        "measurements": [
            {"measured_on": _day(m.measured_on), "value": _number(m.value)}
            for m in indicator.measurements.all()
        ],
    }


def idea_item(idea: "WithAnnotations[Idea, IdeaFacts]", ctx: Context) -> dict:
    return {
        "id": idea.pk,
        "town": idea.municipality.slug,
        "process": idea.process.slug,
        "title": idea.title,
        "status": idea.status,
        "field_of_action": idea.field_of_action.slug if idea.field_of_action else None,
        "location_label": idea.location_label,
        "latitude": _number(idea.latitude),
        "longitude": _number(idea.longitude),
        "is_offline": idea.is_offline,
        "support_count": idea.support_count,
        "comment_count": idea.comment_count,
        "created_on": _day(idea.created_at),
        "official_answer": idea.answer_body,
        "answered_on": _day(idea.answered_at),
        # A participatory budget's proposal: the town's cost and verdict; every vote's result once it is public.
        "cost_estimate": _number(idea.cost_estimate),
        "feasibility": idea.feasibility if idea.process.is_budget else None,
        "votes": (idea.vote_sum or 0)
        if idea.process.results_public() and idea.process.phase("vote")
        else None,
        "url": ctx.url(idea),
    }


def _answer(position: int, result, row: str | None, answer: str | None, count, share, rank=None) -> dict:
    question = result.question
    return {
        "question_position": position,
        "question": question.text,
        "question_kind": question.kind,
        "answered": result.answered,
        "row": row,
        "answer": answer,
        "count": count,
        "share_percent": _number(share),
        "average_rank": _number(rank),
        "average": _number(result.average),
    }


def survey_item(survey_and_results: tuple, ctx: Context) -> dict:
    """A survey's figures (``selectors.SurveysWithResults`` gives each survey with them): one entry per answer of
    each question (per value of a scale, per cell of a matrix); a free-text question only with how many answered
    it, never a text."""
    survey, results = survey_and_results
    answers = []
    for position, result in enumerate(results.questions, start=1):
        if result.matrix:
            for line in result.matrix:
                for cell in line.cells:
                    answers.append(
                        _answer(position, result, line.row.label, cell.option.label, cell.count, cell.share)
                    )
        elif result.options:
            for found in result.options:
                answers.append(
                    _answer(
                        position,
                        result,
                        None,
                        found.option.label,
                        found.count,
                        found.share,
                        found.average_rank,
                    )
                )
        elif result.scale:
            for value, count, share in result.scale:
                answers.append(_answer(position, result, None, str(value), count, share))
        else:
            answers.append(_answer(position, result, None, None, None, None))
    town = ctx.town or survey.municipality
    return {
        "id": survey.pk,
        "town": survey.municipality.slug,
        "process": survey.process.slug,
        "title": survey.title,
        "version": survey.version,
        "responses": results.responses,
        "paper_responses": results.paper_responses,
        "answers": answers,
        "url": ctx.base
        + reverse("surveys:results", kwargs={"town_slug": town.slug, "slug": survey.process.slug}),
    }
