"""Surveys through the API: the current questionnaire of a process, its results when
``surveys.selectors.results_visible`` lets the caller see them (published free-text answers only, as on the
results page), a response (``surveys.services.response_submit``, as the survey page sends it) and a paper
questionnaire typed in by staff (``paper_response_enter``)."""

import functools
from collections.abc import Mapping
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers as s
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from participation.models import Process
from participation.selectors import processes as processes_selectors
from smartcity5.ratelimit import check_rate
from surveys import selectors, services
from surveys.models import Audience, Question, Survey

from .base import NON_FIELD, TownScopedAPIView, json_object, service_errors
from .schema import WRITE_ERRORS, detail_schema

PARTICIPATE = "participation.participate"


def _survey(request, slug: str, *, staff: bool = False) -> Survey:
    """The current version of the survey of a process the caller may see (404 otherwise); ``staff``: only for the
    staff of its towns and moderators, as the staff pages find it."""
    try:
        process = processes_selectors.process_for(slug=slug, user=request.user, staff=staff)
    except Process.DoesNotExist:
        raise NotFound(_("No such process.")) from None
    survey = selectors.current_survey(process)
    if survey is None:
        raise NotFound(_("This process has no survey."))
    return survey


# --- Serializers -----------------------------------------------------------------------------------------


class OptionSerializer(s.Serializer):
    id = s.IntegerField()
    label = s.CharField()  # type: ignore[assignment]  # a declared field, not Field.label


class QuestionSerializer(s.ModelSerializer):
    options = s.SerializerMethodField(help_text="The answers to choose (a matrix: its columns).")
    rows = s.SerializerMethodField(help_text="The rows of a matrix question (empty for other kinds).")
    shown_if = s.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="Asked only of those who chose this option (id) in an earlier question.",
    )

    class Meta:
        model = Question
        fields = [
            "id",
            "position",
            "kind",
            "text",
            "help_text",
            "is_required",
            "scale_min",
            "scale_max",
            "scale_min_label",
            "scale_max_label",
            "shown_if",
            "options",
            "rows",
        ]

    def _options(self, question: Question, *, rows: bool) -> list[dict]:
        return [{"id": o.pk, "label": o.label} for o in question.options.all() if o.is_row == rows]

    @extend_schema_field(OptionSerializer(many=True))
    def get_options(self, question: Question) -> list[dict]:
        return self._options(question, rows=False)

    @extend_schema_field(OptionSerializer(many=True))
    def get_rows(self, question: Question) -> list[dict]:
        return self._options(question, rows=True)


class SurveySerializer(s.ModelSerializer):
    process = s.SlugRelatedField(slug_field="slug", read_only=True)
    accepts_responses = s.SerializerMethodField(help_text="The survey phase runs: responses are taken now.")
    results_visible = s.SerializerMethodField(help_text="The caller may read the results now.")
    questions = s.SerializerMethodField()

    class Meta:
        model = Survey
        fields = [
            "process",
            "version",
            "title",
            "intro",
            "audience",
            "is_anonymous",
            "results_shown",
            "accepts_responses",
            "results_visible",
            "questions",
        ]

    def get_accepts_responses(self, survey: Survey) -> bool:
        return survey.process.accepts_survey_responses()

    def get_results_visible(self, survey: Survey) -> bool:
        return selectors.results_visible(survey, self.context["request"].user)

    @extend_schema_field(QuestionSerializer(many=True))
    def get_questions(self, survey: Survey) -> list[dict]:
        return list(QuestionSerializer(selectors.questions(survey), many=True).data)


class OptionResultSerializer(s.Serializer):
    option = s.IntegerField(source="option.pk")
    label = s.CharField(source="option.label")  # type: ignore[assignment]  # a declared field
    count = s.IntegerField()
    share = s.DecimalField(max_digits=4, decimal_places=1, help_text="Percent of those who answered.")
    average_rank = s.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="Rankings only: 1 = first."
    )


class MatrixRowSerializer(s.Serializer):
    row = s.IntegerField(source="row.pk")
    label = s.CharField(source="row.label")  # type: ignore[assignment]  # a declared field
    cells = OptionResultSerializer(many=True, help_text="Shares of those who answered the row.")


class ScaleValueSerializer(s.Serializer):
    value = s.IntegerField()
    count = s.IntegerField()
    share = s.DecimalField(max_digits=4, decimal_places=1)


class QuestionResultSerializer(s.Serializer):
    question = s.IntegerField(source="question.pk")
    text = s.CharField(source="question.text")
    kind = s.CharField(source="question.kind")
    answered = s.IntegerField(help_text="Responses that answered the question.")
    options = OptionResultSerializer(many=True)
    scale = s.SerializerMethodField()
    average = s.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    matrix = MatrixRowSerializer(many=True)
    texts = s.ListField(
        child=s.CharField(), help_text=f"Published free-text answers (the first {selectors.TEXTS_SHOWN})."
    )
    texts_waiting = s.IntegerField(help_text="Free-text answers waiting for moderation.")

    @extend_schema_field(ScaleValueSerializer(many=True))
    def get_scale(self, result) -> list[dict]:
        return list(
            ScaleValueSerializer(
                [{"value": v, "count": n, "share": share} for v, n, share in result.scale], many=True
            ).data
        )


class SurveyResultsSerializer(s.Serializer):
    version = s.IntegerField(source="survey.version")
    responses = s.IntegerField()
    paper_responses = s.IntegerField(help_text="Of the responses, paper questionnaires typed in by staff.")
    questions = QuestionResultSerializer(many=True)


ANSWERS_HELP = (
    "The answers, keyed by the question's id: a single choice's option id; a multiple choice's list of option ids; "
    "a scale's number; a ranking's object of option id → rank (1 = first; ranks 1 … n, each once); a matrix's "
    "object of row id → option id; a text. Questions not answered are left out. A question asked only after a "
    "given choice (shown_if) counts only when that choice is made; its answer is dropped otherwise."
)


class ResponseInputSerializer(s.Serializer):
    answers = s.DictField(child=s.JSONField(allow_null=True), help_text=ANSWERS_HELP)
    code = s.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Only in a survey for holders of a voting code (audience 'codes'): the code from the letter.",
    )


class PaperResponseInputSerializer(s.Serializer):
    answers = s.DictField(child=s.JSONField(allow_null=True), help_text=ANSWERS_HELP)
    received_on = s.DateField(help_text="The day the questionnaire arrived.")


class ResponseCreatedSerializer(s.Serializer):
    """What a stored response says about itself: no id, nothing that could link it to a person."""

    version = s.IntegerField(help_text="The version of the survey answered.")
    submitted_on = s.DateField(help_text="The day of the response (paper: the day it arrived).")
    is_paper = s.BooleanField()
    detail = s.CharField()


def _answer_values(survey: Survey, answers: Mapping[str, Any]) -> dict[int, Any]:
    """The answers keyed by question id (a JSON object's keys are text), each a question of this version of the
    survey; what counts as an answer is the service's to decide (``surveys.services.response_submit``)."""
    known = selectors.question_ids(survey)
    values: dict[int, Any] = {}
    unknown = []
    for key, value in answers.items():
        text = str(key)
        pk = int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None
        if pk is None or pk not in known:
            unknown.append(text[:20])
        else:
            values[pk] = value
    if unknown:
        raise ValidationError(
            {
                "answers": [
                    _("Not a question of this survey (version %(version)s): %(keys)s.")
                    % {"version": survey.version, "keys": ", ".join(unknown)}
                ]
            }
        )
    return values


@contextmanager
def _answer_errors():
    """The service's refusals as the API's 400 (:func:`api.base.service_errors`), a question's under
    ``answers.<question id>`` (the service names it ``q<id>``, after the survey page's field)."""
    try:
        yield
    except DjangoValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError(
            {
                f"answers.{key[1:]}"
                if key.startswith("q") and key[1:].isdigit()
                else (NON_FIELD if key == "__all__" else key): messages
                for key, messages in error.message_dict.items()
            }
        ) from None


# --- Views -----------------------------------------------------------------------------------------------


class ProcessSurvey(TownScopedAPIView):
    """The current questionnaire of a process: its settings and questions with their options (404 when the
    process has no survey)."""

    serializer_class = SurveySerializer
    conditional = True

    @detail_schema(SurveySerializer)
    def get(self, request, *args, **kwargs):
        return self.one(_survey(request, kwargs["slug"]))


class ProcessSurveyResults(TownScopedAPIView):
    """The results of the current survey version, counted by the database, when the caller may see them: staff
    of the process's towns and moderators always, others as the survey's ``results_shown`` says (404 before);
    free text only once published by a moderator."""

    serializer_class = SurveyResultsSerializer
    conditional = True

    @detail_schema(SurveyResultsSerializer)
    def get(self, request, *args, **kwargs):
        survey = _survey(request, kwargs["slug"])
        if not selectors.results_visible(survey, request.user):
            raise NotFound(_("The results of this survey are not shown yet."))
        return Response(SurveyResultsSerializer(selectors.results_cached(survey)).data)


class SurveyResponses(TownScopedAPIView):
    """Answer the current survey of a process while its survey phase runs, as the survey page does
    (``surveys.services.response_submit``: required and conditional questions, choices among the options, ranks,
    text lengths; one response per signed-in person, or per voting code). Who may answer is the survey's
    ``audience``: everyone (also without an account), signed-in citizens (401/403 otherwise), or holders of a voting
    code of this town (``code``; the response then names neither the code nor the caller). An anonymous survey
    stores no link between a response and a person."""

    rules = {"post": PARTICIPATE}
    serializer_class = ResponseCreatedSerializer

    @functools.cached_property
    def survey(self) -> Survey:
        return _survey(self.request, self.kwargs["slug"])

    def rule_for(self, method: str) -> str | None:
        # Only a survey for signed-in citizens needs an account (``services.may_respond``); the others are open to
        # everyone, a survey by codes to the holder of a code.
        if method == "POST" and self.municipality is not None and self.survey.audience != Audience.CITIZENS:
            return None
        return super().rule_for(method)

    @extend_schema(
        request=ResponseInputSerializer, responses={201: ResponseCreatedSerializer, **WRITE_ERRORS}
    )
    def post(self, request, *args, **kwargs):
        survey = self.survey
        data = ResponseInputSerializer(data=json_object(request))
        data.is_valid(raise_exception=True)
        values = _answer_values(survey, data.validated_data["answers"])
        by_code = survey.audience == Audience.CODES
        code = data.validated_data.get("code")
        if not by_code and code is not None:
            raise ValidationError({"code": [_("This survey is not answered with a code.")]})
        with service_errors(), _answer_errors():
            check_rate(request, "survey")
            if by_code:
                check_rate(request, "voting_code")
            response = services.response_submit(
                survey=survey,
                by=request.user,
                values=values,
                code=(code or "") if by_code else None,
                code_town=self.municipality,
            )
        return Response(
            ResponseCreatedSerializer(
                {
                    "version": survey.version,
                    "submitted_on": response.submitted_on,
                    "is_paper": False,
                    "detail": _("Thank you! Your answers have been saved."),
                }
            ).data,
            status=201,
        )


class SurveyPaperResponses(TownScopedAPIView):
    """A paper questionnaire of the current survey, typed in by an editor of a town of the process (also after the
    survey has closed): ``surveys.services.paper_response_enter``, the same checks as online, marked as paper,
    recorded in the history, linked to nobody."""

    rules = {"post": "town.edit_content"}
    serializer_class = ResponseCreatedSerializer

    @extend_schema(
        request=PaperResponseInputSerializer, responses={201: ResponseCreatedSerializer, **WRITE_ERRORS}
    )
    def post(self, request, *args, **kwargs):
        survey = _survey(request, kwargs["slug"], staff=True)
        data = PaperResponseInputSerializer(data=json_object(request))
        data.is_valid(raise_exception=True)
        values = _answer_values(survey, data.validated_data["answers"])
        with service_errors(), _answer_errors():
            response = services.paper_response_enter(
                survey=survey,
                by=request.user,
                values=values,
                received_on=data.validated_data["received_on"],
                acting_town=self.municipality,
            )
        return Response(
            ResponseCreatedSerializer(
                {
                    "version": survey.version,
                    "submitted_on": response.submitted_on,
                    "is_paper": True,
                    "detail": _("The paper questionnaire has been entered."),
                }
            ).data,
            status=201,
        )
