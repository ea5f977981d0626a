"""Tasks of the funding app: deadline reminders for milestones and proofs of use (Celery beat), and telling the
Agentur when a grant's terms change."""

import datetime

from celery import shared_task
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.selectors import agentur_moderators, town_editors
from municipalities.models import Municipality
from municipalities.tasks import MAIL_TASK, RETRY_TRANSIENT, TownTask
from notifications.services import notify

from . import selectors
from .models import FundingEvent

KIND = "funding.deadline"
TERMS_KIND = "funding.terms"


@shared_task(soft_time_limit=60, time_limit=90, **RETRY_TRANSIENT)
def funding_reminders_dispatch() -> int:
    """Platform job (beat, daily): one reminder task per active town."""
    towns = list(Municipality.objects.active().values_list("pk", flat=True))
    for pk in towns:
        funding_reminders_send.delay_on_commit(municipality_id=pk)
    return len(towns)


def _message(kind: str, item, stage: str | None, today: datetime.date) -> tuple[str, str]:
    days = (item.due_on - today).days
    due = date_format(item.due_on, "SHORT_DATE_FORMAT")
    what = _("Milestone “%(title)s”") % {"title": item.title} if kind == "milestone" else str(item)
    if stage == "overdue":
        title = _("%(what)s is overdue (due on %(due)s)") % {"what": what, "due": due}
    elif days == 0:
        title = _("%(what)s is due today") % {"what": what}
    else:
        title = ngettext(
            "%(what)s is due in %(days)d day (on %(due)s)",
            "%(what)s is due in %(days)d days (on %(due)s)",
            days,
        ) % {"what": what, "days": days, "due": due}
    body = _("Grant: %(grant)s") % {"grant": item.grant.title}
    return title, body


@shared_task(base=TownTask, soft_time_limit=120, time_limit=150, **RETRY_TRANSIENT)
def funding_reminders_send(*, municipality: Municipality, today: str | None = None) -> int:
    """Remind the town's editors of deadlines: 14 and 3 days before a milestone or proof of use is due, and
    once it is overdue. Each reminder reaches each person once (in the app and by e-mail), however often
    this runs: the notification's key names the item, its due date and the stage."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    recipients = town_editors(municipality=municipality)
    sent = 0
    for kind, item, stage in selectors.deadlines_to_remind(today=day):
        title, body = _message(kind, item, stage, day)
        section = "milestones" if kind == "milestone" else "proofs"
        url = reverse(f"funding:{section}", kwargs={"town_slug": municipality.slug, "pk": item.grant_id})
        sent += len(
            notify(
                municipality=municipality,
                recipients=recipients,
                kind=KIND,
                key=f"funding:{kind}:{item.pk}:{item.due_on.isoformat()}:{stage}",
                title=title,
                body=body,
                url=url,
            )
        )
    return sent


@shared_task(base=TownTask, **MAIL_TASK)
def grant_terms_changed_notify(*, municipality: Municipality, event_id: int) -> int:
    """A town admin recorded a grant or changed its terms: every active Agentur moderator is told
    (``funding.terms``), once per history entry, however often this runs."""
    event = (
        FundingEvent.objects.select_related("grant", "actor")
        .filter(pk=event_id, entity=FundingEvent.Entity.GRANT)
        .first()
    )
    if event is None:
        return 0
    url = reverse("funding:history", kwargs={"town_slug": municipality.slug, "pk": event.grant_id})
    with translation.override(settings.LANGUAGE_CODE):
        if event.kind == FundingEvent.Kind.CREATED:
            title = _("%(town)s has recorded the grant “%(grant)s”") % {
                "town": municipality.name,
                "grant": event.grant.title,
            }
        else:
            title = _("%(town)s has changed the terms of the grant “%(grant)s”") % {
                "town": municipality.name,
                "grant": event.grant.title,
            }
        body = _("Reason: %(reason)s") % {"reason": event.reason} if event.reason else ""
    return len(
        notify(
            municipality=municipality,
            recipients=agentur_moderators(),
            kind=TERMS_KIND,
            key=f"funding:terms:{event.pk}",
            title=title,
            body=body,
            url=url,
        )
    )
