"""Survey pages: answering a survey (no JavaScript needed) and its results."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.decorators import public, town_permission_required
from participation.forms import VotingCodeField
from participation.models import Process
from participation.selectors import processes as processes_selectors
from smartcity5.forms import add_errors
from smartcity5.ratelimit import RateLimited, check_rate

from . import exports, selectors, services
from .forms import PaperResponseForm, QuestionForm, ResponseForm, SurveySettingsForm
from .models import Audience, Question, Survey

#: Surveys open to everyone: the versions answered from this browser (the session), so that the page says so.
ANSWERED_IN_SESSION = "surveys_answered"


def _survey_or_404(request: HttpRequest, slug: str) -> tuple[Process, Survey]:
    try:
        process = processes_selectors.process_for(slug=slug, user=request.user)
    except Process.DoesNotExist:
        raise Http404 from None
    survey = selectors.current_survey(process)
    if survey is None:
        raise Http404
    return process, survey


def _answered(request: HttpRequest, survey: Survey) -> bool:
    if survey.audience == Audience.CODES:
        return False  # each code answers once; the next person of the household may use this browser too
    return selectors.has_answered(survey, request.user) or survey.pk in request.session.get(
        ANSWERED_IN_SESSION, []
    )


@public
def survey_detail(request: HttpRequest, town_slug: str, slug: str) -> HttpResponse:
    process, survey = _survey_or_404(request, slug)
    questions = selectors.questions(survey)
    is_open = process.accepts_survey_responses()
    may_answer = is_open and services.may_respond(survey, request.user)
    answered = _answered(request, survey)
    data = request.POST if request.method == "POST" else None
    form = ResponseForm(data, questions=questions) if may_answer and not answered else None
    by_code = survey.audience == Audience.CODES
    if form is not None and by_code:
        form.fields["code"] = VotingCodeField()
    context = {
        "process": process,
        "survey": survey,
        "form": form,
        "groups": form.groups() if form is not None else [],
        "some_required": any(q.is_required for q in questions),
        "is_open": is_open,
        "answered": answered,
        "needs_sign_in": is_open and not may_answer and survey.audience == Audience.CITIZENS,
        "results_visible": selectors.results_visible(survey, request.user),
    }
    if request.method == "POST":
        if form is None:
            messages.error(request, _("The survey is not open for responses at the moment."))
            return redirect("surveys:survey", town_slug=town_slug, slug=slug)
        if form.is_valid():
            try:
                check_rate(request, "survey")
                if by_code:
                    check_rate(request, "voting_code")
                services.response_submit(
                    survey=survey,
                    by=request.user,
                    values=form.values(),
                    code=form.cleaned_data.get("code"),
                    code_town=request.municipality,  # type: ignore[attr-defined]  # set by the tenant middleware
                )
            except RateLimited as error:
                messages.error(request, str(error))
                response = render(request, "surveys/survey.html", context, status=429)
                response["Retry-After"] = str(error.retry_after)
                return response
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    form.add_question_errors(error.message_dict)
                else:
                    form.add_error(None, error)
            else:
                if not request.user.is_authenticated and not by_code:
                    request.session[ANSWERED_IN_SESSION] = [
                        *request.session.get(ANSWERED_IN_SESSION, []),
                        survey.pk,
                    ]
                messages.success(request, _("Thank you! Your answers have been saved."))
                return redirect("surveys:survey", town_slug=town_slug, slug=slug)
        context["groups"] = form.groups()
    return render(
        request, "surveys/survey.html", context, status=400 if form is not None and form.errors else 200
    )


@public
def survey_results(request: HttpRequest, town_slug: str, slug: str) -> HttpResponse:
    process, survey = _survey_or_404(request, slug)
    if not selectors.results_visible(survey, request.user):
        raise Http404
    return render(
        request,
        "surveys/results.html",
        {"process": process, "survey": survey, "results": selectors.results_cached(survey)},
    )


# --- Staff: the builder, paper questionnaires, free text --------------------------------------------------


def _staff_process_or_404(request: HttpRequest, slug: str) -> Process:
    try:
        return processes_selectors.process_for(slug=slug, user=request.user, staff=True)
    except Process.DoesNotExist:
        raise Http404 from None


def _staff_survey_or_404(request: HttpRequest, slug: str) -> tuple[Process, Survey]:
    process = _staff_process_or_404(request, slug)
    survey = selectors.current_survey(process)
    if survey is None:
        raise Http404
    return process, survey


def _back(town_slug: str, slug: str) -> HttpResponse:
    return redirect("surveys:staff-survey", town_slug=town_slug, slug=slug)


@town_permission_required("town.view_staff_area")
def staff_survey(request, town_slug: str, slug: str) -> HttpResponse:
    """The builder's overview: the settings, the questions in order (change, move, remove), a new version once
    the survey is locked, and the ways to the preview, paper questionnaires, free text and results."""
    process = _staff_process_or_404(request, slug)
    survey = selectors.current_survey(process)
    form = SurveySettingsForm(request.POST if request.method == "POST" else None, instance=survey)
    if request.method == "POST":
        action = request.POST.get("action", "settings")
        try:
            if action == "settings" and form.is_valid():
                fields = {name: form.cleaned_data[name] for name in form.changed_data or form.cleaned_data}
                if survey is None:
                    services.survey_create(process=process, by=request.user, fields=form.cleaned_data)
                    messages.success(request, _("The survey has been created. Now add its questions."))
                else:
                    services.survey_change(survey=survey, by=request.user, fields=fields)
                    messages.success(request, _("The survey's settings have been saved."))
                return _back(town_slug, slug)
            if survey is not None and action in ("up", "down", "delete"):
                question = _question_or_404(survey, request.POST.get("question"))
                if action == "delete":
                    services.question_delete(question=question, by=request.user)
                    messages.success(request, _("The question has been removed."))
                else:
                    services.question_move(
                        question=question, by=request.user, offset=-1 if action == "up" else 1
                    )
                return _back(town_slug, slug)
            if survey is not None and action == "new_version":
                services.survey_new_version(survey=survey, by=request.user)
                messages.success(
                    request, _("A new version of the survey has been started. Its questions can be changed.")
                )
                return _back(town_slug, slug)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                add_errors(form, error)
            else:
                messages.error(request, " ".join(error.messages))
                return _back(town_slug, slug)
    context = {
        "process": process,
        "survey": survey,
        "form": form,
        "questions": selectors.questions(survey) if survey is not None else [],
        "waiting": len(selectors.texts_to_moderate(survey)) if survey is not None else 0,
        "versions": process.surveys.order_by("-version") if survey is not None else [],
    }
    return render(request, "surveys/staff/survey.html", context, status=400 if form.errors else 200)


def _question_or_404(survey: Survey, pk: object) -> Question:
    try:
        return survey.questions.get(pk=int(str(pk)))
    except (ValueError, Question.DoesNotExist):
        raise Http404 from None


@town_permission_required("town.edit_content")
def staff_question(request, town_slug: str, slug: str, pk: int | None = None) -> HttpResponse:
    """Add a question (``pk`` None) or change one."""
    process, survey = _staff_survey_or_404(request, slug)
    question = _question_or_404(survey, pk) if pk is not None else None
    form = QuestionForm(request.POST if request.method == "POST" else None, survey=survey, question=question)
    if request.method == "POST" and form.is_valid():
        try:
            if question is None:
                services.question_add(survey=survey, by=request.user, values=form.values())
                messages.success(request, _("The question has been added."))
            else:
                services.question_change(question=question, by=request.user, values=form.values())
                messages.success(request, _("The question has been saved."))
        except ValidationError as error:
            add_errors(form, error)
        else:
            if "another" in request.POST:
                return redirect("surveys:staff-question-add", town_slug=town_slug, slug=slug)
            return _back(town_slug, slug)
    context = {"process": process, "survey": survey, "question": question, "form": form}
    return render(request, "surveys/staff/question_form.html", context, status=400 if form.errors else 200)


@town_permission_required("town.view_staff_area")
def staff_preview(request, town_slug: str, slug: str) -> HttpResponse:
    """The questionnaire as citizens see it, without sending."""
    process, survey = _staff_survey_or_404(request, slug)
    form = ResponseForm(None, questions=selectors.questions(survey))
    return render(
        request,
        "surveys/staff/preview.html",
        {"process": process, "survey": survey, "form": form, "groups": form.groups()},
    )


@town_permission_required("town.edit_content")
def staff_paper(request, town_slug: str, slug: str) -> HttpResponse:
    """Type in a paper questionnaire."""
    process, survey = _staff_survey_or_404(request, slug)
    form = PaperResponseForm(
        request.POST if request.method == "POST" else None, questions=selectors.questions(survey)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.paper_response_enter(
                survey=survey,
                by=request.user,
                values=form.values(),
                received_on=form.cleaned_data["received_on"],
                acting_town=request.municipality,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_question_errors(error.message_dict)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, _("The paper questionnaire has been entered."))
            if "another" in request.POST:
                return redirect("surveys:staff-paper", town_slug=town_slug, slug=slug)
            return _back(town_slug, slug)
    context = {"process": process, "survey": survey, "form": form, "groups": form.groups()}
    return render(request, "surveys/staff/paper.html", context, status=400 if form.errors else 200)


@town_permission_required("town.moderate")
def staff_texts(request, town_slug: str, slug: str) -> HttpResponse:
    """Free-text answers waiting for moderation: publish or hide each."""
    process, survey = _staff_survey_or_404(request, slug)
    if request.method == "POST":
        try:
            answer = selectors.text_to_moderate(survey, int(request.POST.get("answer", "")))
        except (ValueError, LookupError):
            raise Http404 from None
        publish = request.POST.get("decision") == "publish"
        services.text_answer_moderate(
            answer=answer, by=request.user, publish=publish, acting_town=request.municipality
        )
        messages.success(
            request, _("The answer has been published.") if publish else _("The answer stays hidden.")
        )
        return redirect("surveys:staff-texts", town_slug=town_slug, slug=slug)
    return render(
        request,
        "surveys/staff/texts.html",
        {"process": process, "survey": survey, "answers": selectors.texts_to_moderate(survey)},
    )


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _download(survey: Survey, what: str, fmt: str, sheet: str, table) -> HttpResponse:
    columns, rows = table
    body = (
        exports.as_csv(columns, rows)
        if fmt == "csv"
        else exports.as_xlsx(f"{survey.title} – {sheet}", sheet, columns, rows)
    )
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(survey, what, fmt)}"'
    return response


@town_permission_required("town.view_staff_area")
def staff_results_export(request, town_slug: str, slug: str, fmt: str) -> HttpResponse:
    """The figures of each question, as CSV or XLSX (the staff see the results always)."""
    _process, survey = _staff_survey_or_404(request, slug)
    return _download(
        survey, "ergebnisse", fmt, "Ergebnisse", exports.results_table(selectors.results(survey))
    )


@town_permission_required("town.edit_content")
def staff_responses_export(request, town_slug: str, slug: str, fmt: str) -> HttpResponse:
    """Every response as one line, free text as typed (also before moderation): for editors, who also enter
    paper questionnaires. Nothing in it says who answered."""
    _process, survey = _staff_survey_or_404(request, slug)
    return _download(
        survey,
        "rueckmeldungen",
        fmt,
        "Rückmeldungen",
        exports.responses_table(selectors.response_table(survey)),
    )
