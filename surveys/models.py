"""Surveys (Umfragen): a questionnaire that a participation process runs in its survey phase.

A :class:`Survey` row is one *version* of a process's questionnaire. Staff build it question by question; the first
response locks it (``locked_at``), and a change after that needs a new version (``services.survey_new_version``),
which copies the questions and leaves the old version's responses with the questions they answered. The current
version is the one not yet superseded (one per process, by a constraint).

Who may answer is the survey's ``audience`` (everyone, signed-in citizens, or holders of a voting code:
``participation.services.codes``, one response per code); one response per person (``Participant``, kept apart from the
response, so that an anonymous survey stores *that* someone answered but never *what*), and paper questionnaires
that staff enter are marked as such. Free-text answers are shown publicly only after moderation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TownOwnedModel, TownScopedManager
from participation.models import PROCESS_TOWNS, Moderation, Process
from smartcity5.constraints import CheckConstraint

SURVEY_TOWNS = tuple(f"survey__{path}" for path in PROCESS_TOWNS)
QUESTION_TOWNS = tuple(f"question__{path}" for path in SURVEY_TOWNS)
RESPONSE_TOWNS = tuple(f"response__{path}" for path in SURVEY_TOWNS)


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone, also without an account")
    CITIZENS = "citizens", _("Signed-in citizens")
    CODES = "codes", _("Holders of a voting code (letters to residents)")


class ResultsShown(models.TextChoices):
    LIVE = "live", _("While the survey runs")
    AFTER = "after", _("After the survey has closed")
    STAFF = "staff", _("Only to the town's staff")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    SCALE = "scale", _("Scale")
    RANKING = "ranking", _("Ranking")
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    MATRIX = "matrix", _("Matrix")


#: Kinds whose answers are options of the question; a matrix also has rows.
CHOICE_KINDS = frozenset(
    {QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING, QuestionKind.MATRIX}
)
TEXT_KINDS = frozenset({QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT})
SHORT_TEXT_LENGTH = 200
LONG_TEXT_LENGTH = 3000


class Survey(TownOwnedModel):
    """One version of a process's questionnaire (see the module's docs)."""

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="surveys", verbose_name=_("participation process")
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1, editable=False)
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True, help_text=_("Markdown is supported."))
    audience = models.CharField(
        _("who may answer"), max_length=10, choices=Audience.choices, default=Audience.CITIZENS
    )
    is_anonymous = models.BooleanField(
        _("anonymous"),
        default=True,
        help_text=_("Responses are stored without any link to the person who gave them."),
    )
    results_shown = models.CharField(
        _("results are shown"), max_length=10, choices=ResultsShown.choices, default=ResultsShown.AFTER
    )
    locked_at = models.DateTimeField(_("locked since"), null=True, blank=True, editable=False)
    superseded_at = models.DateTimeField(
        _("replaced by a new version"), null=True, blank=True, editable=False
    )
    response_count = models.PositiveIntegerField(_("responses"), default=0, editable=False)
    paper_response_count = models.PositiveIntegerField(_("paper questionnaires"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = TownScopedManager(shared_with=PROCESS_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["process", "-version"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.UniqueConstraint(fields=["process", "version"], name="survey_version_once"),
            models.UniqueConstraint(
                fields=["process"], condition=Q(superseded_at__isnull=True), name="survey_one_current_version"
            ),
            CheckConstraint(
                condition=~Q(audience="everyone") | Q(is_anonymous=True),
                name="survey_open_to_everyone_is_anonymous",
            ),
            # A code is never linked to a person, so neither is a response given with one.
            CheckConstraint(
                condition=~Q(audience="codes") | Q(is_anonymous=True), name="survey_by_codes_is_anonymous"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class Question(TownOwnedModel):
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survey")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind of question"), max_length=12, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=500)
    help_text = models.CharField(_("explanation"), max_length=500, blank=True)
    is_required = models.BooleanField(_("an answer is required"), default=False)
    scale_min = models.SmallIntegerField(_("lowest value"), default=1)
    scale_max = models.SmallIntegerField(_("highest value"), default=5)
    scale_min_label = models.CharField(_("label of the lowest value"), max_length=60, blank=True)
    scale_max_label = models.CharField(_("label of the highest value"), max_length=60, blank=True)
    shown_if = models.ForeignKey(
        "Option",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shown only after the answer"),
        help_text=_("The question is asked only of those who chose this answer to an earlier question."),
    )

    objects = TownScopedManager(shared_with=SURVEY_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["survey", "position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            CheckConstraint(condition=Q(scale_max__gt=models.F("scale_min")), name="question_scale_ordered"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def has_options(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def is_text(self) -> bool:
        return self.kind in TEXT_KINDS

    @property
    def text_length(self) -> int:
        return SHORT_TEXT_LENGTH if self.kind == QuestionKind.SHORT_TEXT else LONG_TEXT_LENGTH


class Option(TownOwnedModel):
    """An answer to choose (single, multiple, ranking; a matrix's columns) or a matrix's row (``is_row``)."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="options", verbose_name=_("question")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    label = models.CharField(_("answer"), max_length=200)
    is_row = models.BooleanField(_("row of the matrix"), default=False)

    objects = TownScopedManager(shared_with=QUESTION_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["question", "is_row", "position", "pk"]
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")

    def __str__(self) -> str:
        return self.label


class Participant(TownOwnedModel):
    """That a person answered a survey version: one response per person, also when the response itself is
    anonymous (then nothing links this row to it)."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="participants", verbose_name=_("survey")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )

    objects = TownScopedManager(shared_with=SURVEY_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["survey", "user"], name="survey_answered_once_per_person")
        ]


class Response(TownOwnedModel):
    """One filled-in questionnaire. ``respondent`` is set only in surveys that are not anonymous."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="responses", verbose_name=_("survey")
    )
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("respondent"),
    )
    is_paper = models.BooleanField(_("paper questionnaire"), default=False, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    submitted_on = models.DateField(_("submitted"))

    objects = TownScopedManager(shared_with=SURVEY_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["survey", "pk"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")


class Answer(TownOwnedModel):
    """One value of a response: an option chosen (with its rank in a ranking, or its row in a matrix), a number
    on a scale, or a text. A multiple choice, a ranking and a matrix give one row per option or row."""

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="answers", verbose_name=_("response")
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    option = models.ForeignKey(
        Option,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name=_("answer"),
    )
    row = models.ForeignKey(
        Option, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("row")
    )
    number = models.SmallIntegerField(_("value"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)
    moderation = models.CharField(
        _("moderation"), max_length=10, choices=Moderation.choices, blank=True, editable=False
    )

    objects = TownScopedManager(shared_with=RESPONSE_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["response", "question", "number", "pk"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [
            models.Index(fields=["question", "option"], name="answer_question_option"),
            models.Index(fields=["question", "moderation"], name="answer_question_moderation"),
        ]


class Tally(TownOwnedModel):
    """A stored figure of a question's results, kept by the services that write answers in the same transaction
    (``services._count_answers``, ``text_answer_moderate``) so that the results read a few rows instead of
    counting every answer. Its key says what it counts:

    - ``option``, ``row`` and ``value`` empty: the responses that answered the question (``count``) and, for a
      free-text question, its answers waiting for moderation (``waiting``);
    - ``option`` (and ``row`` in a matrix): the answers that chose the option (in that row), with the sum of
      their ranks in a ranking (``rank_sum``; the average rank is ``rank_sum / count``);
    - ``value``: the answers that gave this value on a scale.

    ``manage.py survey_tallies_refresh --check`` compares them with a full recount."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="tallies", verbose_name=_("question")
    )
    option = models.ForeignKey(
        Option, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("answer")
    )
    row = models.ForeignKey(
        Option, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("row")
    )
    value = models.SmallIntegerField(_("value"), null=True, blank=True)
    # The key's empty-or-not parts as one text ("option/row/value", empty where a part is empty), unique per
    # question: the upsert's conflict target on every database (a unique key over nullable columns would treat
    # each empty part as distinct on SQLite, where NULLS NOT DISTINCT does not exist).
    slot = models.CharField(_("key"), max_length=40, editable=False)
    count = models.PositiveIntegerField(_("count"), default=0)
    rank_sum = models.PositiveIntegerField(_("sum of the ranks"), default=0)
    waiting = models.PositiveIntegerField(_("waiting for moderation"), default=0)

    objects = TownScopedManager(shared_with=QUESTION_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        verbose_name = _("stored count")
        verbose_name_plural = _("stored counts")
        constraints = [
            models.UniqueConstraint(fields=["question", "slot"], name="tally_once"),
        ]

    @staticmethod
    def slot_of(option_id: int | None, row_id: int | None, value: int | None) -> str:
        """The :attr:`slot` of a key (the migration's fill builds the same text in SQL)."""
        return "/".join("" if part is None else str(part) for part in (option_id, row_id, value))
