"""``{% survey_actions process %}``: the process page's way to its survey (answer it, see its results), so that
``participation`` needs to know nothing of surveys."""

from typing import Any

from django import template

from participation.models import Process
from surveys import selectors

register = template.Library()


@register.inclusion_tag("surveys/_actions.html", takes_context=True)
def survey_actions(context: dict[str, Any], process: Process) -> dict[str, Any]:
    request = context.get("request")
    survey = selectors.current_survey(process)
    user = getattr(request, "user", None)
    return {
        "process": process,
        "survey": survey,
        "is_open": survey is not None and process.accepts_survey_responses(),
        "results_visible": survey is not None
        and user is not None
        and selectors.results_visible(survey, user),
        "municipality": context.get("municipality"),
    }
