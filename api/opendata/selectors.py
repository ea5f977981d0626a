"""Reads of the open data downloads: public projects, their KPIs and published ideas of the active scope, and when
the rows of each download last changed (for ``Last-Modified``, ``ETag`` and ``dct:modified``), all in SQL.

Every function reads in the scope its caller entered: one town (``town_scope``, joint projects and processes
included) or the region (``public_region_scope``, each shared row once). Only public rows are read: projects
through ``Project.objects.public()``, ideas through ``participation.selectors.ideas.idea_list`` (published ideas of
published processes), as the public pages do.
"""

import datetime
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, OuterRef, Prefetch, QuerySet, Subquery, Sum

from municipalities.models import Municipality
from municipalities.scoping import public_region_scope, town_scope
from participation.models import Comment, Idea, OfficialAnswer, Support
from participation.selectors.ballots import votes_of_the_idea
from participation.selectors.ideas import idea_list
from projects.models import Indicator, Measurement, Project
from projects.selectors.lists import public_project_changes
from projects.selectors.progress import with_list_facts
from surveys.models import Survey
from surveys.selectors import SurveyResults, public_results, results_of


def scope_of(municipality: Municipality | None) -> AbstractContextManager[Any]:
    """The scope a town's datasets are read in: the town's own, or for the region (``None``) the published content
    of every town (``public_region_scope()``). The files' builds and the catalogue's dates both read in it."""
    return town_scope(municipality) if municipality is not None else public_region_scope()


def public_projects() -> QuerySet[Project]:
    """Public projects of the scope with what the public lists show (progress, last update, towns, fields)."""
    return with_list_facts(Project.objects.public()).order_by("slug")


def public_indicators() -> QuerySet[Indicator]:
    """The KPIs of the scope's public projects, each with its measurements (oldest first)."""
    return (
        Indicator.objects.filter(project__in=Project.objects.public().values("pk"))
        .select_related("project")
        .prefetch_related(
            Prefetch("measurements", queryset=Measurement.objects.order_by("measured_on", "pk"))
        )
        .order_by("project__slug", "position", "pk")
    )


def published_ideas() -> QuerySet[Idea]:
    """Published ideas of published processes (the public pages' rule), with the latest official answer (its
    moment is the stored ``Idea.answered_at``); the author is not even read."""
    latest_answer = OfficialAnswer._base_manager.filter(idea=OuterRef("pk")).order_by("-created_at", "-pk")
    # Votes only as the sum per idea (an aggregate: no ballot, no voter); shown once the results are public.
    votes = votes_of_the_idea()
    return (
        idea_list()
        .select_related(None)
        .select_related("process", "field_of_action", "municipality")
        .prefetch_related("process__phases")
        .annotate(answer_body=Subquery(latest_answer.values("body")[:1]), vote_sum=Subquery(votes))
        .order_by("created_at", "pk")
    )


class SurveysWithResults:
    """The current surveys whose results everyone may see (``surveys.selectors.public_results``), each with its
    figures (``surveys.selectors.results_of``, free text unread), as ``(survey, results)``: a chunk of surveys is
    counted in one fixed set of queries, however many surveys, questions and responses."""

    def __init__(self, surveys: QuerySet[Survey]) -> None:
        self.surveys = surveys

    def iterator(self, chunk_size: int) -> Iterator[tuple[Survey, SurveyResults]]:
        surveys = list(self.surveys)
        for start in range(0, len(surveys), chunk_size):
            chunk = surveys[start : start + chunk_size]
            figures = results_of(chunk, texts=False)
            for survey in chunk:
                yield survey, figures[survey.pk]


def public_survey_results() -> SurveysWithResults:
    """The figures of the surveys whose results everyone may see; never a free-text answer, nobody named."""
    return SurveysWithResults(public_results())


@dataclass(frozen=True)
class Freshness:
    """When the rows of a download last changed (``None``: no rows), and a token that changes whenever the
    rows do, deletions and recounted supports included (the ETag is made from it)."""

    last_modified: datetime.datetime | None
    token: str


def latest(*moments: datetime.datetime | None) -> datetime.datetime | None:
    """The newest of the moments given, ignoring ``None``."""
    return max((moment for moment in moments if moment is not None), default=None)


def _token(*parts: object) -> str:
    return "|".join(
        "" if part is None else (part.isoformat() if hasattr(part, "isoformat") else str(part))
        for part in parts
    )


def _project_changes() -> dict[str, Any]:
    """Public projects of the scope: how many, which, and the newest change. Every change of a project and of
    what hangs off it (updates, KPIs, measurements, partners) is a ``ProjectEvent`` written by its service;
    sub-projects count too, since their updates move a parent's progress (``projects.selectors.
    public_project_changes``)."""
    return public_project_changes()


def projects_freshness(changes: dict[str, Any] | None = None) -> Freshness:
    c = changes or _project_changes()
    last = latest(c["updated"], c["events_at"])
    return Freshness(last if c["n"] else None, _token(c["n"], c["ids"], c["events"], last))


def indicators_freshness(changes: dict[str, Any] | None = None) -> Freshness:
    c = changes or _project_changes()
    kpis = Indicator.objects.filter(project__in=Project.objects.public().values("pk")).aggregate(
        n=Count("pk", distinct=True),
        ids=Sum("pk", distinct=True),
        values=Count("measurements", distinct=True),
        value_ids=Sum("measurements__id", distinct=True),
    )
    last = latest(c["updated"], c["events_at"]) if kpis["n"] else None
    return Freshness(
        last, _token(kpis["n"], kpis["ids"], kpis["values"], kpis["value_ids"], c["events"], last)
    )


def ideas_freshness() -> Freshness:
    """Ideas change through their own saves, their process, official answers, and supports and comments, whose
    counts are stored on the idea without touching ``updated_at``: the sums are part of the token, and
    ``counts_changed_at`` dates a recount (a withdrawn support or a removed comment leaves no row to date it)."""
    ideas = idea_list().order_by()
    ids = ideas.values("pk")
    own = ideas.aggregate(
        n=Count("pk"),
        ids=Sum("pk"),
        supports=Sum("support_count"),
        comments=Sum("comment_count"),
        updated=Max("updated_at"),
        counted=Max("counts_changed_at"),
        moderated=Max("moderated_at"),
        process=Max("process__updated_at"),
    )
    answers = OfficialAnswer._base_manager.filter(idea__in=ids).aggregate(at=Max("created_at"), n=Count("pk"))
    supports = Support._base_manager.filter(idea__in=ids).aggregate(at=Max("created_at"))
    comments = Comment._base_manager.filter(idea__in=ids).aggregate(
        at=Max("created_at"), moderated=Max("moderated_at")
    )
    last = (
        latest(
            own["updated"],
            own["counted"],
            own["moderated"],
            own["process"],
            answers["at"],
            supports["at"],
            comments["at"],
            comments["moderated"],
        )
        if own["n"]
        else None
    )
    return Freshness(last, _token(own["n"], own["ids"], own["supports"], own["comments"], answers["n"], last))


def surveys_freshness() -> Freshness:
    """Surveys change through the builder (``updated_at``), their process, and responses, which only count
    themselves on the survey row (``response_count``, part of the token; a new response changes the ETag and the
    build dates the file). The day is part of the token: a survey whose results are shown after it closes enters
    the file on the day after its last day."""
    own = (
        public_results()
        .order_by()
        .aggregate(
            n=Count("pk"),
            ids=Sum("pk"),
            responses=Sum("response_count"),
            updated=Max("updated_at"),
            locked=Max("locked_at"),
            process=Max("process__updated_at"),
        )
    )
    last = latest(own["updated"], own["locked"], own["process"]) if own["n"] else None
    return Freshness(last, _token(own["n"], own["ids"], own["responses"], last))


def freshness_of(keys: Iterable[str]) -> dict[str, Freshness]:
    """The freshness of these datasets of the scope (all four keys: projects, indicators, ideas, surveys), the
    project query shared by the two datasets that read it; for the catalogue, which needs only the datasets that
    have no built files to date them."""
    wanted = set(keys)
    changes = _project_changes() if wanted & {"projects", "indicators"} else None
    readers: dict[str, Callable[[], Freshness]] = {
        "projects": lambda: projects_freshness(changes),
        "indicators": lambda: indicators_freshness(changes),
        "ideas": ideas_freshness,
        "surveys": surveys_freshness,
    }
    return {key: read() for key, read in readers.items() if key in wanted}
