"""Surveys through the API (read only): the current questionnaire of a process, and its results when
``surveys.selectors.results_visible`` lets the caller see them (published free-text answers only, as on the
results page)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers as s
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from participation.models import Process
from participation.selectors import processes as processes_selectors
from surveys import selectors
from surveys.models import Question, Survey

from .base import TownScopedAPIView
from .schema import detail_schema


def _survey(request, slug: str) -> Survey:
    """The current version of the survey of a process the caller may see (404 otherwise)."""
    try:
        process = processes_selectors.process_for(slug=slug, user=request.user)
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
