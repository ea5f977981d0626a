"""Reads of surveys: the current version of a process's survey, whether a person answered, who may see the
results, and the results themselves — read from the counts the services store with each response (``Tally``), a
fixed number of queries whatever the number of responses."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from accounts import permissions
from participation.models import Moderation, Phase, Process, ProcessPhase

from .models import (
    Answer,
    Option,
    Participant,
    Question,
    QuestionKind,
    Response,
    ResultsShown,
    Survey,
    Tally,
)

if TYPE_CHECKING:
    from accounts.models import User

#: How many published free-text answers a question's results list.
TEXTS_SHOWN = 50


def current_survey(process: Process) -> Survey | None:
    """The version of the process's survey that is answered now (the newest). ``process`` was read in the scope
    (its survey belongs to its towns), so the survey is read by its id without building the shared-row filter
    again (that was most of the query's cost on every process page), and gets the caller's process (with the
    phases it read) instead of reading it once more."""
    survey = Survey._base_manager.filter(process_id=process.pk, superseded_at__isnull=True).first()
    if survey is not None:
        survey.process = process
    return survey


def questions(survey: Survey) -> list[Question]:
    return list(survey.questions.prefetch_related("options").order_by("position", "pk"))


def question_ids(survey: Survey) -> set[int]:
    """The ids of the survey's questions (this version's), to tell an answer to one of them from a stray key."""
    return set(Question._base_manager.filter(survey_id=survey.pk).values_list("pk", flat=True))


def has_answered(survey: Survey, user: User | AnonymousUser) -> bool:
    return user.is_authenticated and Participant.objects.filter(survey=survey, user=user).exists()


def survey_closed(process: Process, day: datetime.date | None = None) -> bool:
    """The survey phase is over (or the process has none)."""
    phase = process.phase(Phase.SURVEY)
    day = day or timezone.localdate()
    return phase is None or (phase.ends_on is not None and day > phase.ends_on)


def results_visible(survey: Survey, user: User | AnonymousUser, day: datetime.date | None = None) -> bool:
    """Staff of the process's towns and moderators always; others as the survey's ``results_shown`` says."""
    process = survey.process
    if permissions.can_see_unpublished_process(user, process):
        return True
    if not process.is_published or survey.results_shown == ResultsShown.STAFF:
        return False
    return survey.results_shown == ResultsShown.LIVE or survey_closed(process, day)


def public_results(day: datetime.date | None = None) -> QuerySet[Survey]:
    """The current survey versions of the scope whose results everyone may see (the rule of
    :func:`results_visible` for a visitor, in SQL): published processes, results shown live, or after the survey
    has closed and it has. Each once, ordered by town, process and version (for the open data)."""
    day = day or timezone.localdate()
    running = ProcessPhase.objects.filter(process=OuterRef("process"), kind=Phase.SURVEY).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=day)
    )
    return (
        Survey.objects.filter(superseded_at__isnull=True, process__is_published=True)
        .filter(Q(results_shown=ResultsShown.LIVE) | Q(results_shown=ResultsShown.AFTER) & ~Exists(running))
        .select_related("process", "municipality")
        .order_by("municipality__slug", "process__slug", "pk")
    )


def _share(count: int, total: int) -> Decimal:
    if not total:
        return Decimal(0)
    return (Decimal(100) * count / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class OptionResult:
    option: Option
    count: int
    share: Decimal  # percent of those who answered the question
    average_rank: Decimal | None = None  # rankings: 1 = first


@dataclass
class MatrixRow:
    row: Option
    cells: list[OptionResult]


@dataclass
class QuestionResult:
    question: Question
    answered: int  # responses that answered the question
    options: list[OptionResult] = field(default_factory=list)
    scale: list[tuple[int, int, Decimal]] = field(default_factory=list)  # (value, count, share)
    average: Decimal | None = None
    matrix: list[MatrixRow] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    texts_waiting: int = 0


@dataclass
class SurveyResults:
    survey: Survey
    responses: int
    paper_responses: int
    questions: list[QuestionResult]


def results(survey: Survey) -> SurveyResults:
    """Every question's figures. Shares are of the responses that answered the question (a skipped optional or
    a hidden conditional question does not count); a ranking's options are ordered by their average rank."""
    return results_of([survey])[survey.pk]


#: How long computed results stay in the cache; their key changes with every change they depend on, so this only
#: bounds the memory a survey no one looks at any more keeps.
RESULTS_CACHE_SECONDS = 3600


def results_key(survey: Survey) -> str:
    """What the results depend on: the survey version (its settings and questions: ``updated_at``, which the
    builder's writes move), its responses (``response_count``, one more with each) and the process's stored
    version, which every history event of the process moves (a free text published or hidden, a paper
    questionnaire)."""
    process = survey.process
    return (
        f"survey-results:{survey.pk}:{survey.response_count}:{process.content_version}:"
        f"{survey.updated_at.timestamp() if survey.updated_at else ''}"
    )


def results_cached(survey: Survey) -> SurveyResults:
    """:func:`results`, kept in the cache under :func:`results_key`: a survey with ten thousand responses costs
    its counting once per change, not once per visit (the pages and the API read it)."""
    key = results_key(survey)
    found = cache.get(key)
    if isinstance(found, SurveyResults):
        return found
    computed = results(survey)
    cache.set(key, computed, RESULTS_CACHE_SECONDS)
    return computed


def results_of(surveys: Sequence[Survey], *, texts: bool = True) -> dict[int, SurveyResults]:
    """:func:`results` of several survey versions at once (survey pk → results), in the same fixed number of
    queries however many surveys and responses: the figures are the stored counts (:class:`Tally`, kept by every
    response), read as a few rows per question, and the surveys' stored response counts. ``texts=False`` leaves
    the free-text answers unread (the open data holds figures only). Of the published texts only the first
    ``TEXTS_SHOWN`` of each question are read (a window in SQL), so a survey with thousands of texts reads 50 per
    question."""
    if not surveys:
        return {}
    asked = list(
        Question.objects.filter(survey__in=surveys)
        .prefetch_related("options")
        .order_by("survey", "position", "pk")
    )
    # The shared-row filter is not built again: the questions were read in the scope, their counts go with them.
    stored: dict[tuple[int, int | None, int | None, int | None], Tally] = {
        (t.question_id, t.option_id, t.row_id, t.value): t
        for t in Tally._base_manager.filter(question__in=[q.pk for q in asked]).order_by()
    }
    # The stored response counts as they are now (the caller's survey rows may have been read before a response).
    responses = {
        pk: (n, paper)
        for pk, n, paper in Survey._base_manager.filter(pk__in=[s.pk for s in surveys]).values_list(
            "pk", "response_count", "paper_response_count"
        )
    }
    published: dict[int, list[str]] = {}
    if texts:
        first = (
            Answer.objects.filter(question__survey__in=surveys)
            .order_by()
            .filter(question__kind__in=(QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT))
            .filter(moderation=Moderation.PUBLISHED)
            .annotate(place=Window(RowNumber(), partition_by=[F("question")], order_by=[F("pk").asc()]))
            .filter(place__lte=TEXTS_SHOWN)
            .order_by("question", "pk")
            .values_list("question", "text")
        )
        for question_id, text in first:
            published.setdefault(question_id, []).append(text)

    def count(key: tuple[int, int | None, int | None, int | None]) -> int:
        found = stored.get(key)
        return found.count if found is not None else 0

    figures: dict[int, list[QuestionResult]] = {survey.pk: [] for survey in surveys}
    for question in asked:
        answered = stored.get((question.pk, None, None, None))
        total = answered.count if answered is not None else 0
        result = QuestionResult(question=question, answered=total)
        columns = [o for o in question.options.all() if not o.is_row]
        if question.kind == QuestionKind.MATRIX:
            for row in (o for o in question.options.all() if o.is_row):
                counts = [count((question.pk, c.pk, row.pk, None)) for c in columns]
                row_total = sum(counts)
                result.matrix.append(
                    MatrixRow(
                        row,
                        [
                            OptionResult(c, n, _share(n, row_total))
                            for c, n in zip(columns, counts, strict=True)
                        ],
                    )
                )
        elif question.has_options:
            for option in columns:
                found = stored.get((question.pk, option.pk, None, None))
                n = found.count if found is not None else 0
                result.options.append(
                    OptionResult(
                        option,
                        n,
                        _share(n, total),
                        (Decimal(found.rank_sum) / n).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                        if question.kind == QuestionKind.RANKING and found is not None and n
                        else None,
                    )
                )
            if question.kind == QuestionKind.RANKING:
                result.options.sort(
                    key=lambda r: (r.average_rank is None, r.average_rank or 0, r.option.position)
                )
        elif question.kind == QuestionKind.SCALE:
            # The average from the stored distribution (exact, in Decimal): the sum of the values given.
            given = sum_of = 0
            for value in range(question.scale_min, question.scale_max + 1):
                n = count((question.pk, None, None, value))
                given, sum_of = given + n, sum_of + value * n
                result.scale.append((value, n, _share(n, total)))
            result.average = (
                (Decimal(sum_of) / given).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if given else None
            )
        else:
            result.texts = published.get(question.pk, [])
            result.texts_waiting = answered.waiting if answered is not None else 0
        figures[question.survey_id].append(result)
    return {
        survey.pk: SurveyResults(
            survey=survey,
            responses=responses.get(survey.pk, (0, 0))[0],
            paper_responses=responses.get(survey.pk, (0, 0))[1],
            questions=figures[survey.pk],
        )
        for survey in surveys
    }


@dataclass
class DerivedTallies:
    """The stored figures of some surveys as a full recount gives them (:func:`tallies_derived`)."""

    #: (question, option, row, value) → [count, rank_sum, waiting], only keys with something counted
    tallies: dict[tuple[int, int | None, int | None, int | None], tuple[int, int, int]]
    #: survey → (responses, paper questionnaires)
    responses: dict[int, tuple[int, int]]


def tallies_derived(surveys: Sequence[Survey]) -> DerivedTallies:
    """How every stored count of ``surveys`` is derived from their answers and responses (four aggregates over
    every answer: what the results counted on each visit before the counts were stored). The base managers are
    used on purpose: callers pass surveys they read in a scope, or run without one (the command)."""
    answers = Answer._base_manager.filter(question__survey__in=surveys).order_by()
    tallies: dict[tuple[int, int | None, int | None, int | None], tuple[int, int, int]] = {}
    for question, n, waiting in (
        answers.values("question")
        .annotate(
            n=Count("response", distinct=True), waiting=Count("pk", filter=Q(moderation=Moderation.PENDING))
        )
        .values_list("question", "n", "waiting")
    ):
        tallies[(question, None, None, None)] = (n, 0, waiting)
    for question, option, row, n, ranks in (
        answers.filter(option__isnull=False)
        .values("question", "option", "row")
        .annotate(
            n=Count("pk"),
            ranks=Coalesce(Sum("number", filter=Q(question__kind=QuestionKind.RANKING)), 0),
        )
        .values_list("question", "option", "row", "n", "ranks")
    ):
        tallies[(question, option, row, None)] = (n, ranks, 0)
    for question, value, n in (
        answers.filter(question__kind=QuestionKind.SCALE, number__isnull=False)
        .values("question", "number")
        .annotate(n=Count("pk"))
        .values_list("question", "number", "n")
    ):
        tallies[(question, None, None, value)] = (n, 0, 0)
    responses = {
        survey: (n, paper)
        for survey, n, paper in Response._base_manager.filter(survey__in=surveys)
        .order_by()
        .values("survey")
        .annotate(n=Count("pk"), paper=Count("pk", filter=Q(is_paper=True)))
        .values_list("survey", "n", "paper")
    }
    return DerivedTallies(tallies=tallies, responses=responses)


def surveys_with_stale_tallies(surveys: Sequence[Survey]) -> list[int]:
    """The ids of ``surveys`` whose stored counts (:class:`Tally` rows, response counts) differ from a full
    recount (none while every write goes through the services; ``manage.py survey_tallies_refresh --check``).
    A stored row counting nothing equals a missing one."""
    if not surveys:
        return []
    derived = tallies_derived(surveys)
    survey_of = dict(Question._base_manager.filter(survey__in=surveys).values_list("pk", "survey"))
    stored = {
        (t.question_id, t.option_id, t.row_id, t.value): (t.count, t.rank_sum, t.waiting)
        for t in Tally._base_manager.filter(question__survey__in=surveys).order_by()
        if (t.count, t.rank_sum, t.waiting) != (0, 0, 0)
    }
    stale = {survey_of[key[0]] for key in stored.keys() ^ derived.tallies.keys()}
    stale |= {survey_of[key[0]] for key, found in stored.items() if derived.tallies.get(key, found) != found}
    for survey in surveys:
        if (survey.response_count, survey.paper_response_count) != derived.responses.get(survey.pk, (0, 0)):
            stale.add(survey.pk)
    return sorted(stale)


def text_to_moderate(survey: Survey, pk: int) -> Answer:
    """One free-text answer of the survey waiting for a moderator (``LookupError`` if there is none)."""
    found = Answer.objects.filter(question__survey=survey, moderation=Moderation.PENDING, pk=pk).first()
    if found is None:
        raise LookupError(pk)
    return found


def texts_to_moderate(survey: Survey) -> list[Answer]:
    """Free-text answers waiting for a moderator, oldest first."""
    return list(
        Answer.objects.filter(question__survey=survey, moderation=Moderation.PENDING)
        .select_related("question")
        .order_by("pk")
    )


@dataclass
class ResponseColumn:
    """A column of the response table: a question, or one row of a matrix question."""

    question: Question
    row: Option | None = None


@dataclass
class ResponseLine:
    number: int  # 1 … n in the order the responses arrived; never the row's id
    submitted_on: datetime.date
    is_paper: bool
    values: list[str | int | None]


@dataclass
class ResponseTable:
    survey: Survey
    columns: list[ResponseColumn]
    lines: list[ResponseLine]


def _answer_value(
    question: Question, found: list[tuple[int | None, int | None, str]], labels: dict[int, str]
) -> str | int | None:
    """One cell of the response table from the answers (option, number, text) a response gave to a question."""
    if question.kind == QuestionKind.SCALE:
        return found[0][1] if found else None
    if question.is_text:
        return found[0][2] if found else ""
    if question.kind == QuestionKind.RANKING:
        ranked = sorted((number or 0, labels.get(option or 0, "")) for option, number, _text in found)
        return "; ".join(f"{rank}. {label}" for rank, label in ranked)
    return "; ".join(labels.get(option or 0, "") for option, _number, _text in found)


def response_table(survey: Survey) -> ResponseTable:
    """Every response of the survey version as one line, a column per question (per row of a matrix), for the
    staff's export: free text as typed (also before moderation), paper questionnaires marked.

    Nothing about who answered: no name, no account, no response id (in an anonymous survey the order of the
    ids could be set beside the order of ``Participant`` rows); the lines are numbered instead. Four queries
    whatever the number of responses."""
    asked = questions(survey)
    labels = {option.pk: option.label for question in asked for option in question.options.all()}
    columns: list[ResponseColumn] = []
    for question in asked:
        if question.kind == QuestionKind.MATRIX:
            columns.extend(ResponseColumn(question, row) for row in question.options.all() if row.is_row)
        else:
            columns.append(ResponseColumn(question))
    # (response, question, matrix row) → the answers given there, in the order of the answers' ranks and options.
    given: dict[tuple[int, int, int | None], list[tuple[int | None, int | None, str]]] = {}
    for response_id, question_id, option_id, row_id, number, text in (
        Answer.objects.filter(response__survey=survey)
        .order_by("response", "question", "number", "option__position", "pk")
        .values_list("response", "question", "option", "row", "number", "text")
        .iterator(chunk_size=5000)
    ):
        given.setdefault((response_id, question_id, row_id), []).append((option_id, number, text))
    lines = []
    for number, (pk, submitted_on, is_paper) in enumerate(
        survey.responses.order_by("pk")
        .values_list("pk", "submitted_on", "is_paper")
        .iterator(chunk_size=5000),
        start=1,
    ):
        values = [
            _answer_value(
                column.question,
                given.get((pk, column.question.pk, column.row.pk if column.row else None), []),
                labels,
            )
            for column in columns
        ]
        lines.append(ResponseLine(number, submitted_on, is_paper, values))
    return ResponseTable(survey=survey, columns=columns, lines=lines)


# --- Who is told about a survey (surveys.tasks) ----------------------------------------------------------

#: How long after a survey opened, or its results were published, the daily job still tells people (a job that
#: did not run for a few days catches up; a survey long past never reaches anyone).
NEWS_DAYS = 7


def process_followers(process: Process) -> QuerySet[User]:
    """The active people who took part in the process: wrote an idea or a comment in it, support one of its ideas
    or voted. Their notification settings (``notifications``) decide whether and how the news reaches them."""
    from accounts.models import User
    from participation.models import Ballot, Comment, Idea, Support

    return User.objects.filter(is_active=True).filter(
        Exists(Idea._base_manager.filter(process=process, author=OuterRef("pk")))
        | Exists(Comment._base_manager.filter(idea__process=process, author=OuterRef("pk")))
        | Exists(Support._base_manager.filter(idea__process=process, user=OuterRef("pk")))
        | Exists(Ballot._base_manager.filter(process=process, user=OuterRef("pk")))
    )


def survey_respondents(process: Process) -> QuerySet[User]:
    """The active people who answered a version of the process's survey with their account (``Participant``:
    *that* they answered, never what). Who answered without an account left no one to tell."""
    from accounts.models import User

    return User.objects.filter(is_active=True).filter(
        Exists(Participant._base_manager.filter(survey__process=process, user=OuterRef("pk")))
    )


def surveys_opened(day: datetime.date) -> QuerySet[Survey]:
    """Current surveys with questions, of published processes, whose survey phase runs on ``day`` and began at
    most ``NEWS_DAYS`` before it (the town's own processes: the scope's lead rows)."""
    return (
        Survey.objects.filter(superseded_at__isnull=True, process__is_published=True)
        .filter(Exists(Question._base_manager.filter(survey=OuterRef("pk"))))
        .filter(
            Exists(
                ProcessPhase.objects.filter(
                    process=OuterRef("process"),
                    kind=Phase.SURVEY,
                    starts_on__lte=day,
                    starts_on__gte=day - datetime.timedelta(days=NEWS_DAYS),
                    ends_on__gte=day,
                )
            )
        )
        .select_related("process")
    )


def surveys_with_new_results(day: datetime.date) -> QuerySet[Survey]:
    """Current surveys of published processes whose results everyone may see after the survey phase ended, at
    most ``NEWS_DAYS`` before ``day`` (results shown live are news at the close too: then they are final)."""
    return (
        public_results(day)
        .exclude(response_count=0)
        .filter(
            Exists(
                ProcessPhase.objects.filter(
                    process=OuterRef("process"),
                    kind=Phase.SURVEY,
                    ends_on__lt=day,
                    ends_on__gte=day - datetime.timedelta(days=NEWS_DAYS + 1),
                )
            )
        )
    )
