"""Tasks of the surveys: telling those who took part in a process that its survey has opened, and that its
results are published (Celery beat, daily). Each person hears of each once, however often the job runs: the
notification's key names the process or the survey version (``notifications.services.notify``)."""

import datetime

from celery import shared_task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from municipalities.models import Municipality
from municipalities.tasks import MAIL_TASK, RETRY_TRANSIENT, TownTask
from notifications.services import notify

from . import selectors

# A process may have hundreds of people to tell: more time than one mail, the same retries.
LIMITS = {**MAIL_TASK, "soft_time_limit": 120, "time_limit": 150}


@shared_task(soft_time_limit=60, time_limit=90, **RETRY_TRANSIENT)
def survey_notifications_dispatch() -> int:
    """Platform job (beat, daily): one task per active town."""
    towns = list(Municipality.objects.active().values_list("pk", flat=True))
    for pk in towns:
        survey_notifications_send.delay_on_commit(municipality_id=pk)
    return len(towns)


@shared_task(base=TownTask, **LIMITS)
def survey_notifications_send(*, municipality: Municipality, today: str | None = None) -> int:
    """The town's own processes (a joint process's lead town tells everyone once): a survey that opened in the
    last days is news for those who took part in its process (``survey.opened``, once per process, not again
    for a new version); results published after the survey closed, for them and those who answered with their
    account (``survey.results``, once per version). Returns how many notifications were created."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    told = 0
    for survey in selectors.surveys_opened(day).filter(municipality=municipality):
        process = survey.process
        told += len(
            notify(
                municipality=municipality,
                recipients=selectors.process_followers(process),
                kind="survey.opened",
                key=f"survey:opened:{process.pk}",
                title=_("A survey has started: “%(title)s”") % {"title": survey.title},
                body=_("Participation process: %(process)s") % {"process": process.title},
                url=reverse("surveys:survey", kwargs={"town_slug": municipality.slug, "slug": process.slug}),
            )
        )
    for survey in selectors.surveys_with_new_results(day).filter(municipality=municipality):
        process = survey.process
        people = {
            user.pk: user
            for user in [*selectors.process_followers(process), *selectors.survey_respondents(process)]
        }
        told += len(
            notify(
                municipality=municipality,
                recipients=people.values(),
                kind="survey.results",
                key=f"survey:results:{survey.pk}",
                title=_("Results of the survey “%(title)s”") % {"title": survey.title},
                body=_("Participation process: %(process)s") % {"process": process.title},
                url=reverse("surveys:results", kwargs={"town_slug": municipality.slug, "slug": process.slug}),
            )
        )
    return told
