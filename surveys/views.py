"""Survey pages: answering a survey (no JavaScript needed) and its results."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.decorators import public
from participation import selectors as participation_selectors
from participation.models import Process
from smartcity5.ratelimit import RateLimited, check_rate

from . import selectors, services
from .forms import ResponseForm
from .models import Audience, Survey

#: Surveys open to everyone: the versions answered from this browser (the session), so that the page says so.
ANSWERED_IN_SESSION = "surveys_answered"


def _survey_or_404(request: HttpRequest, slug: str) -> tuple[Process, Survey]:
    try:
        process = participation_selectors.process_for(slug=slug, user=request.user)
    except Process.DoesNotExist:
        raise Http404 from None
    survey = selectors.current_survey(process)
    if survey is None:
        raise Http404
    return process, survey


def _answered(request: HttpRequest, survey: Survey) -> bool:
    return selectors.has_answered(survey, request.user) or survey.pk in request.session.get(
        ANSWERED_IN_SESSION, []
    )


@public
def survey_detail(request: HttpRequest, town: str, slug: str) -> HttpResponse:
    process, survey = _survey_or_404(request, slug)
    questions = selectors.questions(survey)
    is_open = process.accepts_survey_responses()
    may_answer = is_open and services.may_respond(survey, request.user)
    answered = _answered(request, survey)
    data = request.POST if request.method == "POST" else None
    form = ResponseForm(data, questions=questions) if may_answer and not answered else None
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
            return redirect("surveys:survey", town=town, slug=slug)
        if form.is_valid():
            try:
                check_rate(request, "survey")
                services.response_submit(survey=survey, by=request.user, values=form.values())
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
                if not request.user.is_authenticated:
                    request.session[ANSWERED_IN_SESSION] = [
                        *request.session.get(ANSWERED_IN_SESSION, []),
                        survey.pk,
                    ]
                messages.success(request, _("Thank you! Your answers have been saved."))
                return redirect("surveys:survey", town=town, slug=slug)
        context["groups"] = form.groups()
    return render(
        request, "surveys/survey.html", context, status=400 if form is not None and form.errors else 200
    )


@public
def survey_results(request: HttpRequest, town: str, slug: str) -> HttpResponse:
    process, survey = _survey_or_404(request, slug)
    if not selectors.results_visible(survey, request.user):
        raise Http404
    return render(
        request,
        "surveys/results.html",
        {"process": process, "survey": survey, "results": selectors.results(survey)},
    )
