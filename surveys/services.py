"""Writes of surveys: the staff's builder, a citizen's response, a paper questionnaire entered by staff and the
moderation of free-text answers. Each checks its caller (``accounts.permissions``; ``by=None`` is the portal:
demo data, commands), the survey's state and the process's phase, in one place.

The builder's writes take the survey row ``FOR UPDATE`` and refuse a locked survey; a response takes the same row
first (its ``UPDATE`` sets ``locked_at`` and the count), so a question can never change under a response being
stored: whichever comes second waits and then sees the other's result.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import permissions
from municipalities.models import Municipality
from participation.models import CodePurpose, Moderation, ParticipationEvent, Process
from participation.services import codes as codes_services
from participation.services.common import require_answer_right, require_moderation_right
from smartcity5.history import record, snapshot

from .models import (
    CHOICE_KINDS,
    Answer,
    Audience,
    Option,
    Participant,
    Question,
    QuestionKind,
    Response,
    Survey,
    Tally,
)
from .selectors import tallies_derived
from .signals import survey_changed

if TYPE_CHECKING:
    from accounts.models import User

Kind = ParticipationEvent.Kind

SURVEY_FIELDS = ("title", "intro", "audience", "is_anonymous", "results_shown")
#: What a response depends on: these cannot change once the first response has arrived.
LOCKED_FIELDS = frozenset({"audience", "is_anonymous"})
QUESTION_FIELDS = (
    "kind",
    "text",
    "help_text",
    "is_required",
    "scale_min",
    "scale_max",
    "scale_min_label",
    "scale_max_label",
)
#: The longest scale offered (a 0–10 recommendation scale has 11 points).
MAX_SCALE_POINTS = 11
MAX_OPTIONS = 30


def _require_builder(by: User | None, process: Process) -> None:
    permissions.require(
        by is None or permissions.can_manage_process(by, process),
        _("Only editors of the lead town may change this survey."),
    )


def _locked_survey(survey: Survey) -> Survey:
    return Survey.objects.select_for_update().select_related("process").get(pk=survey.pk)


def _refuse_if_locked(survey: Survey) -> None:
    if survey.superseded_at is not None:
        raise ValidationError(
            _("This version of the survey has been replaced by a newer one."), code="superseded"
        )
    if survey.locked_at is not None:
        raise ValidationError(
            _(
                "The survey has responses and can no longer change. Start a new version to change its questions."
            ),
            code="locked",
        )


def _questions_snapshot(survey: Survey) -> dict[str, str]:
    lines = []
    for number, question in enumerate(survey.questions.prefetch_related("options"), start=1):
        options = ", ".join(o.label for o in question.options.all())
        lines.append(
            f"{number}. {question.text} ({question.get_kind_display()}{': ' + options if options else ''})"
        )
    return {"questions": "\n".join(lines)}


def _label(moderation: str) -> str:
    """A moderation state as the history stores it: in the portal's main language, whoever acted."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(Moderation(moderation).label) if moderation else ""


def _record(survey: Survey, *, kind: str, by: User | None, **values: Any) -> None:
    record(
        ParticipationEvent,
        municipality=survey.municipality_id,
        kind=kind,
        by=by,
        subject=survey.title,
        process=survey.process,
        acting_town_id=survey.municipality_id,
        **values,
    )
    survey_changed.send(sender=Survey, survey_id=survey.pk, at_once=True)


# --- The builder -------------------------------------------------------------------------------------------


@transaction.atomic
def survey_create(*, process: Process, by: User | None, fields: Mapping[str, Any]) -> Survey:
    """The process's questionnaire, version 1, without questions yet. A process has one survey (in versions)."""
    _require_builder(by, process)
    Process.objects.select_for_update().filter(pk=process.pk).first()  # one creation at a time per process
    if Survey.objects.filter(process=process).exists():
        raise ValidationError(_("This process already has a survey."), code="exists")
    survey = Survey(process=process, municipality_id=process.municipality_id)
    for name in SURVEY_FIELDS:
        if name in fields:
            setattr(survey, name, fields[name])
    _check_survey(survey)
    survey.save()
    _record(survey, kind=Kind.SURVEY_CHANGED, by=by, after=snapshot(survey, SURVEY_FIELDS))
    return survey


def _check_survey(survey: Survey) -> None:
    if survey.audience == Audience.EVERYONE and not survey.is_anonymous:
        raise ValidationError(
            {"is_anonymous": _("A survey open to everyone, also without an account, is always anonymous.")}
        )
    if survey.audience == Audience.CODES and not survey.is_anonymous:
        raise ValidationError({"is_anonymous": _("A survey answered with voting codes is always anonymous.")})
    survey.full_clean(exclude=["process", "municipality"])


@transaction.atomic
def survey_change(*, survey: Survey, by: User | None, fields: Mapping[str, Any]) -> Survey:
    """Title, introduction and when results are shown may change at any time; who may answer and whether the
    responses are anonymous only until the first response (a promise made to those who answered)."""
    survey = _locked_survey(survey)
    _require_builder(by, survey.process)
    before = snapshot(survey, SURVEY_FIELDS)
    for name in SURVEY_FIELDS:
        if name in fields and getattr(survey, name) != fields[name]:
            if name in LOCKED_FIELDS:
                _refuse_if_locked(survey)
            setattr(survey, name, fields[name])
    _check_survey(survey)
    survey.save()
    _record(survey, kind=Kind.SURVEY_CHANGED, by=by, before=before, after=snapshot(survey, SURVEY_FIELDS))
    return survey


@dataclass
class QuestionInput:
    """A question as the builder's form gives it: its fields, its options (labels, in order) and, for a matrix,
    its rows; ``shown_if`` an option of an earlier question of the same survey."""

    kind: str
    text: str
    help_text: str = ""
    is_required: bool = False
    scale_min: int = 1
    scale_max: int = 5
    scale_min_label: str = ""
    scale_max_label: str = ""
    options: Sequence[str] = ()
    rows: Sequence[str] = ()
    shown_if: Option | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def _clean_labels(labels: Iterable[str]) -> list[str]:
    return [label.strip() for label in labels if label and label.strip()]


def _check_question(survey: Survey, values: QuestionInput, position: int) -> None:
    errors: dict[str, list[str]] = {}
    kind = values.kind
    if kind not in QuestionKind.values:
        errors.setdefault("kind", []).append(_("Choose a kind of question."))
    if not values.text.strip():
        errors.setdefault("text", []).append(_("Please write the question."))
    options, rows = _clean_labels(values.options), _clean_labels(values.rows)
    if kind in CHOICE_KINDS:
        if len(options) < 2:
            errors.setdefault("options", []).append(_("Give at least two answers to choose from."))
        if len(options) > MAX_OPTIONS or len(rows) > MAX_OPTIONS:
            errors.setdefault("options", []).append(
                _("A question can offer at most %(count)d answers.") % {"count": MAX_OPTIONS}
            )
        if len({o.casefold() for o in options}) != len(options):
            errors.setdefault("options", []).append(_("Each answer can be given once."))
    if kind == QuestionKind.MATRIX:
        if not rows:
            errors.setdefault("rows", []).append(_("Give at least one row for the matrix."))
        if len({r.casefold() for r in rows}) != len(rows):
            errors.setdefault("rows", []).append(_("Each row can be given once."))
    if kind == QuestionKind.SCALE and not (
        values.scale_min < values.scale_max and values.scale_max - values.scale_min + 1 <= MAX_SCALE_POINTS
    ):
        errors.setdefault("scale_max", []).append(
            _("The scale runs from a lower to a higher value, with at most %(count)d points.")
            % {"count": MAX_SCALE_POINTS}
        )
    condition = values.shown_if
    if condition is not None:
        asked_before = condition.question.survey_id == survey.pk and condition.question.position < position
        if not asked_before or condition.question.kind not in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            errors.setdefault("shown_if", []).append(
                _("A question can depend only on a choice in an earlier question of this survey.")
            )
    if errors:
        raise ValidationError(errors)


def _write_options(question: Question, labels: Sequence[str], *, rows: bool) -> None:
    wanted = _clean_labels(labels)
    existing = list(question.options.filter(is_row=rows).order_by("position", "pk"))
    for position, label in enumerate(wanted):
        if position < len(existing):
            option = existing[position]
            if (option.label, option.position) != (label, position):
                option.label, option.position = label, position
                option.save(update_fields=["label", "position"])
        else:
            Option.objects.create(
                question=question,
                municipality_id=question.municipality_id,
                label=label,
                position=position,
                is_row=rows,
            )
    for option in existing[len(wanted) :]:
        option.delete()


def _set_question(question: Question, values: QuestionInput) -> None:
    for name in QUESTION_FIELDS:
        setattr(question, name, getattr(values, name))
    question.text = question.text.strip()
    question.shown_if = values.shown_if
    question.save()
    _write_options(question, values.options if question.has_options else (), rows=False)
    _write_options(question, values.rows if question.kind == QuestionKind.MATRIX else (), rows=True)


@transaction.atomic
def question_add(*, survey: Survey, by: User | None, values: QuestionInput) -> Question:
    survey = _locked_survey(survey)
    _require_builder(by, survey.process)
    _refuse_if_locked(survey)
    before = _questions_snapshot(survey)
    position = (survey.questions.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    _check_question(survey, values, position)
    question = Question(survey=survey, municipality_id=survey.municipality_id, position=position)
    _set_question(question, values)
    _record(survey, kind=Kind.SURVEY_CHANGED, by=by, before=before, after=_questions_snapshot(survey))
    return question


@transaction.atomic
def question_change(*, question: Question, by: User | None, values: QuestionInput) -> Question:
    survey = _locked_survey(question.survey)
    _require_builder(by, survey.process)
    _refuse_if_locked(survey)
    question = Question.objects.get(pk=question.pk)
    before = _questions_snapshot(survey)
    _check_question(survey, values, question.position)
    _set_question(question, values)
    _drop_broken_conditions(survey)
    _record(survey, kind=Kind.SURVEY_CHANGED, by=by, before=before, after=_questions_snapshot(survey))
    return question


@transaction.atomic
def question_delete(*, question: Question, by: User | None) -> None:
    survey = _locked_survey(question.survey)
    _require_builder(by, survey.process)
    _refuse_if_locked(survey)
    before = _questions_snapshot(survey)
    Question.objects.filter(
        pk=question.pk
    ).delete()  # its options go with it; dependants lose their condition
    _renumber(survey)
    _record(survey, kind=Kind.SURVEY_CHANGED, by=by, before=before, after=_questions_snapshot(survey))


@transaction.atomic
def question_move(*, question: Question, by: User | None, offset: int) -> None:
    """Move a question up (``offset`` -1) or down (+1). A question that depends on an answer stays after the
    question it depends on: a move that would put it before is refused."""
    survey = _locked_survey(question.survey)
    _require_builder(by, survey.process)
    _refuse_if_locked(survey)
    before = _questions_snapshot(survey)
    ordered = list(survey.questions.select_related("shown_if__question").order_by("position", "pk"))
    index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
    target = index + offset
    if not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    seen: set[int] = set()
    for item in ordered:
        if item.shown_if is not None and item.shown_if.question_id not in seen:
            raise ValidationError(
                _("“%(question)s” depends on an answer to an earlier question and must stay after it.")
                % {"question": item.text},
                code="condition_order",
            )
        seen.add(item.pk)
    for position, item in enumerate(ordered, start=1):
        if item.position != position:
            Question.objects.filter(pk=item.pk).update(position=position)
    _record(survey, kind=Kind.SURVEY_CHANGED, by=by, before=before, after=_questions_snapshot(survey))


def _renumber(survey: Survey) -> None:
    for position, pk in enumerate(
        survey.questions.order_by("position", "pk").values_list("pk", flat=True), start=1
    ):
        Question.objects.filter(pk=pk).exclude(position=position).update(position=position)


def _drop_broken_conditions(survey: Survey) -> None:
    """After a question changed its kind or options, conditions on options it no longer has are gone (SET_NULL
    did that); conditions on a question that is no longer a choice are removed here."""
    Question.objects.filter(survey=survey, shown_if__isnull=False).exclude(
        shown_if__question__kind__in=(QuestionKind.SINGLE, QuestionKind.MULTIPLE)
    ).update(shown_if=None)


@transaction.atomic
def survey_new_version(*, survey: Survey, by: User | None) -> Survey:
    """A new, unlocked version with the same settings and questions; the old one keeps its responses and is no
    longer answered."""
    survey = _locked_survey(survey)
    _require_builder(by, survey.process)
    if survey.superseded_at is not None:
        raise ValidationError(
            _("This version of the survey has been replaced by a newer one."), code="superseded"
        )
    survey.superseded_at = timezone.now()
    survey.save(update_fields=["superseded_at", "updated_at"])
    copy = Survey.objects.create(
        process=survey.process,
        municipality_id=survey.municipality_id,
        version=survey.version + 1,
        **{name: getattr(survey, name) for name in SURVEY_FIELDS},
    )
    option_copies: dict[int, Option] = {}
    for question in survey.questions.prefetch_related("options").order_by("position", "pk"):
        new = Question.objects.create(
            survey=copy,
            municipality_id=copy.municipality_id,
            position=question.position,
            shown_if=option_copies.get(question.shown_if_id) if question.shown_if_id else None,
            **{name: getattr(question, name) for name in QUESTION_FIELDS},
        )
        for option in question.options.all():
            option_copies[option.pk] = Option.objects.create(
                question=new,
                municipality_id=copy.municipality_id,
                label=option.label,
                position=option.position,
                is_row=option.is_row,
            )
    _record(
        copy,
        kind=Kind.SURVEY_VERSION,
        by=by,
        changes={"version": [str(survey.version), str(copy.version)]},
    )
    return copy


# --- Responses ---------------------------------------------------------------------------------------------


def shown_questions(questions: Sequence[Question], chosen: Mapping[int, set[int]]) -> list[Question]:
    """The questions asked of someone who chose ``chosen`` (question pk → option pks): in order, each question
    whose condition is met by an answer to a question that was itself asked."""
    asked: list[Question] = []
    asked_ids: set[int] = set()
    for question in questions:
        condition = question.shown_if_id
        if condition is not None:
            parent = next((q for q in questions if any(o.pk == condition for o in q.options.all())), None)
            if parent is None or parent.pk not in asked_ids or condition not in chosen.get(parent.pk, set()):
                continue
        asked.append(question)
        asked_ids.add(question.pk)
    return asked


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _answers_for(questions: Sequence[Question], values: Mapping[int, Any]) -> list[Answer]:
    """Check ``values`` (question pk → the form's value, see :func:`response_submit`) against the questions and
    return the unsaved answers; every problem is reported at once, keyed ``q<pk>``."""
    chosen: dict[int, set[int]] = {}
    for question in questions:
        if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            raw = values.get(question.pk)
            items = raw if isinstance(raw, list | tuple | set) else [raw]
            chosen[question.pk] = {pk for pk in (_as_int(v) for v in items) if pk is not None}
    answers: list[Answer] = []
    errors: dict[str, list[str]] = {}
    for question in shown_questions(questions, chosen):
        key = f"q{question.pk}"
        columns = {o.pk: o for o in question.options.all() if not o.is_row}
        rows = {o.pk: o for o in question.options.all() if o.is_row}
        raw = values.get(question.pk)
        given: list[Answer] = []
        problem = None
        if question.kind == QuestionKind.SINGLE:
            pk = _as_int(raw)
            if raw not in (None, ""):
                if pk not in columns:
                    problem = _("Please choose one of the answers.")
                else:
                    given.append(Answer(question=question, option=columns[pk]))
        elif question.kind == QuestionKind.MULTIPLE:
            items = (
                [_as_int(v) for v in (raw or [])]
                if isinstance(raw, list | tuple | set)
                else [_as_int(raw)]
                if raw
                else []
            )
            if any(pk not in columns for pk in items):
                problem = _("Please choose among the answers given.")
            else:
                given += [Answer(question=question, option=columns[pk]) for pk in dict.fromkeys(items) if pk]
        elif question.kind == QuestionKind.SCALE:
            if raw not in (None, ""):
                number = _as_int(raw)
                if number is None or not question.scale_min <= number <= question.scale_max:
                    problem = _("Please choose a value from %(low)d to %(high)d.") % {
                        "low": question.scale_min,
                        "high": question.scale_max,
                    }
                else:
                    given.append(Answer(question=question, number=number))
        elif question.kind == QuestionKind.RANKING:
            # option pk → rank (1 = first); ranks given must be 1…n without gaps or repeats.
            ranks = (
                {pk: _as_int(rank) for pk, rank in (raw or {}).items() if rank not in (None, "")}
                if isinstance(raw, Mapping)
                else {}
            )
            numbers = sorted(r for r in ranks.values() if r is not None)
            if (
                any(_as_int(pk) not in columns for pk in ranks)
                or numbers != list(range(1, len(numbers) + 1))
                or len(numbers) != len(ranks)
            ):
                problem = _("Please number the answers 1, 2, 3 … each number once.")
            elif ranks and question.is_required and len(ranks) != len(columns):
                problem = _("Please rank every answer.")
            else:
                given += [
                    Answer(question=question, option=columns[int(pk)], number=rank)
                    for pk, rank in sorted(ranks.items(), key=lambda item: item[1] or 0)
                ]
        elif question.kind == QuestionKind.MATRIX:
            cells = (
                {_as_int(r): _as_int(c) for r, c in raw.items() if c not in (None, "")}
                if isinstance(raw, Mapping)
                else {}
            )
            if any(r not in rows or c not in columns for r, c in cells.items()):
                problem = _("Please choose one of the answers in each row.")
            elif cells and question.is_required and len(cells) != len(rows):
                problem = _("Please answer every row.")
            else:
                given += [
                    Answer(question=question, row=rows[r], option=columns[c])  # type: ignore[index]
                    for r, c in sorted(cells.items(), key=lambda item: rows[item[0]].position)  # type: ignore[index]
                ]
        else:  # free text
            text = (raw or "").strip() if isinstance(raw, str) else ""
            if len(text) > question.text_length:
                problem = _("Please write at most %(count)d characters.") % {"count": question.text_length}
            elif text:
                given.append(Answer(question=question, text=text, moderation=Moderation.PENDING))
        if problem is None and question.is_required and not given:
            problem = _("Please answer this question.")
        if problem is not None:
            errors[key] = [problem]
        answers += given
    if errors:
        raise ValidationError(errors)
    return answers


def _take_survey(survey: Survey, *, paper: bool = False) -> Survey:
    """The survey row, locked for this transaction and marked as answered (locked for the builder) with one
    response more (and one paper questionnaire more); a superseded version refuses. The lock also puts the
    responses to one survey in a line, so their stored counts (:func:`_count_answers`) are added one after the
    other."""
    now = timezone.now()
    Survey.objects.filter(pk=survey.pk).update(
        locked_at=Coalesce(F("locked_at"), now),
        response_count=F("response_count") + 1,
        paper_response_count=F("paper_response_count") + int(paper),
    )
    survey = Survey.objects.select_related("process").get(pk=survey.pk)
    if survey.superseded_at is not None:
        raise ValidationError(
            _("This version of the survey has been replaced by a newer one."), code="superseded"
        )
    return survey


def _questions(survey: Survey) -> list[Question]:
    return list(survey.questions.prefetch_related("options").order_by("position", "pk"))


def _store(survey: Survey, answers: list[Answer], **fields: Any) -> Response:
    response = Response.objects.create(survey=survey, municipality_id=survey.municipality_id, **fields)
    for answer in answers:
        answer.response = response
        answer.municipality_id = survey.municipality_id
    Answer.objects.bulk_create(answers)
    _count_answers(survey, answers)
    survey_changed.send(sender=Survey, survey_id=survey.pk, at_once=False)
    return response


TallyKey = tuple[int, int | None, int | None, int | None]  # question, option, row, value


def tally_increments(answers: Iterable[Answer]) -> dict[TallyKey, list[int]]:
    """What one response's answers add to the stored counts (:class:`~surveys.models.Tally`): key → [count,
    rank_sum, waiting]. A question answered counts once, however many answers it gave."""
    added: dict[TallyKey, list[int]] = {}
    for answer in answers:
        question = answer.question
        answered = added.setdefault((question.pk, None, None, None), [1, 0, 0])
        if answer.moderation == Moderation.PENDING:
            answered[2] += 1
        if answer.option_id is not None:
            key: TallyKey = (question.pk, answer.option_id, answer.row_id, None)
        elif question.kind == QuestionKind.SCALE and answer.number is not None:
            key = (question.pk, None, None, answer.number)
        else:
            continue
        counts = added.setdefault(key, [0, 0, 0])
        counts[0] += 1
        if question.kind == QuestionKind.RANKING:
            counts[1] += answer.number or 0
    return added


def _count_answers(survey: Survey, answers: Sequence[Answer]) -> None:
    """Add a response's answers to the stored counts in one statement: ``INSERT … ON CONFLICT DO UPDATE SET
    count = count + …`` (the row is created by the first answer to reach it, then only ever added to, under the
    row's lock: two responses at once never lose one of their counts)."""
    added = tally_increments(answers)
    if not added:
        return
    table = connection.ops.quote_name(Tally._meta.db_table)
    rows = sorted(added.items(), key=lambda item: tuple(-1 if part is None else part for part in item[0]))
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    params: list[int | str | None] = []
    for (question, option, row, value), (count, rank_sum, waiting) in rows:
        slot = Tally.slot_of(option, row, value)
        params += [survey.municipality_id, question, option, row, value, slot, count, rank_sum, waiting]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (municipality_id, question_id, option_id, row_id, value, slot, count, rank_sum,"
            f" waiting) VALUES {values} ON CONFLICT (question_id, slot) DO UPDATE SET"
            f" count = {table}.count + EXCLUDED.count, rank_sum = {table}.rank_sum + EXCLUDED.rank_sum,"
            f" waiting = {table}.waiting + EXCLUDED.waiting",
            params,
        )


@transaction.atomic
def tallies_refresh(surveys: Iterable[Survey]) -> int:
    """Count the answers of ``surveys`` anew and store the counts (and the surveys' response counts) in place of
    the stored ones: after a bulk load (``seed_scale``) or a change by hand in the database
    (``manage.py survey_tallies_refresh``). Returns how many surveys it stored."""
    ids = [survey.pk for survey in surveys]
    locked = list(Survey._base_manager.select_for_update().filter(pk__in=ids).order_by("pk"))
    derived = tallies_derived(locked)
    Tally._base_manager.filter(question__survey__in=ids).delete()
    towns = dict(Question._base_manager.filter(survey__in=ids).values_list("pk", "municipality_id"))
    Tally._base_manager.bulk_create(
        [
            Tally(
                municipality_id=towns[question],
                question_id=question,
                option_id=option,
                row_id=row,
                value=value,
                slot=Tally.slot_of(option, row, value),
                count=count,
                rank_sum=rank_sum,
                waiting=waiting,
            )
            for (question, option, row, value), (count, rank_sum, waiting) in derived.tallies.items()
        ],
        batch_size=2000,
    )
    for survey in locked:
        all_, paper = derived.responses.get(survey.pk, (0, 0))
        Survey._base_manager.filter(pk=survey.pk).update(response_count=all_, paper_response_count=paper)
    return len(locked)


def may_respond(survey: Survey, user: User | AnonymousUser) -> bool:
    """Whether ``user`` is among those the survey asks (not whether they answered already); in a survey by codes
    everyone may try, the code decides (:func:`response_submit`)."""
    if survey.audience in (Audience.EVERYONE, Audience.CODES):
        return True
    return permissions.can_participate(user, survey.process.municipality)


@transaction.atomic
def response_submit(
    *,
    survey: Survey,
    by: User | AnonymousUser,
    values: Mapping[int, Any],
    on: datetime.date | None = None,
    code: str | None = None,
    code_town: Municipality | None = None,
) -> Response:
    """A citizen's response: ``values`` maps a question's pk to a single choice's option pk, a multiple choice's
    list of option pks, a scale's number, a ranking's {option pk: rank}, a matrix's {row pk: option pk} or a text.

    Only while the process is in its survey phase, for the survey's audience, once per signed-in person (by the
    database); in an anonymous survey the response keeps no link to the person. A survey by codes takes the
    ``code`` from a letter of ``code_town`` (default: the process's town) instead: one response per code, used
    in this transaction (``participation.services.codes.voting_code_use``), linked to neither code nor person."""
    survey = _take_survey(survey)
    process = survey.process
    if not process.accepts_survey_responses(on):
        raise ValidationError(_("The survey is not open for responses at the moment."), code="closed")
    if not may_respond(survey, by):
        raise ValidationError(
            _("Please sign in with a confirmed e-mail address to take part."), code="audience"
        )
    answers = _answers_for(_questions(survey), values)
    if not answers:
        raise ValidationError(_("Please answer at least one question."), code="empty")
    user = by if by.is_authenticated else None
    if survey.audience == Audience.CODES:
        if not code:
            raise ValidationError({"code": _("Please enter the code from your letter.")}, code="code_missing")
        codes_services.voting_code_use(
            code=code,
            process=process,
            purpose=CodePurpose.SURVEY,
            municipality=code_town or process.municipality,
        )
        user = None  # the code answers, never the person
    elif user is not None:
        try:
            with transaction.atomic():
                Participant.objects.create(survey=survey, user=user, municipality_id=survey.municipality_id)
        except IntegrityError:
            raise ValidationError(_("You have already answered this survey."), code="answered") from None
    return _store(
        survey,
        answers,
        respondent=None if survey.is_anonymous else user,
        submitted_on=on or timezone.localdate(),
    )


@transaction.atomic
def paper_response_enter(
    *,
    survey: Survey,
    by: User | None,
    values: Mapping[int, Any],
    received_on: datetime.date,
    acting_town: Municipality | None = None,
) -> Response:
    """A paper questionnaire, typed in by the staff of a participating town: marked as such, never linked to a
    person, counted with the others. Accepted also after the survey has closed (letters arrive late)."""
    require_answer_right(by, survey.process, acting_town)
    survey = _take_survey(survey, paper=True)
    answers = _answers_for(_questions(survey), values)
    if not answers:
        raise ValidationError(_("Please answer at least one question."), code="empty")
    response = _store(survey, answers, is_paper=True, entered_by=by, submitted_on=received_on)
    _record(survey, kind=Kind.PAPER_RESPONSE, by=by, changes={"received": ["", received_on.isoformat()]})
    return response


@transaction.atomic
def text_answer_moderate(
    *, answer: Answer, by: User | None, publish: bool, acting_town: Municipality
) -> Answer:
    """Publish a free-text answer or keep it hidden: editors of the town and the Agentur's moderators."""
    require_moderation_right(by, acting_town)
    answer = Answer.objects.select_for_update().select_related("question__survey__process").get(pk=answer.pk)
    if not answer.question.is_text:
        raise ValidationError(_("Only free-text answers are moderated."), code="not_text")
    new = Moderation.PUBLISHED if publish else Moderation.HIDDEN
    if answer.moderation == new:
        return answer
    before = {"moderation": _label(answer.moderation)}
    if answer.moderation == Moderation.PENDING:
        # The question's stored count of texts waiting (its answered row holds it), under the row's lock.
        Tally._base_manager.filter(
            Q(option__isnull=True, row__isnull=True, value__isnull=True), question=answer.question_id
        ).update(waiting=F("waiting") - 1)
    answer.moderation = new
    answer.save(update_fields=["moderation"])
    _record(
        answer.question.survey,
        kind=Kind.SURVEY_TEXT_MODERATED,
        by=by,
        before=before,
        after={"moderation": _label(new)},
    )
    return answer
