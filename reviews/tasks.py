"""Tasks of the progress review: who is told about a submission, a decision and a comment. Enqueued by the services after
the transaction commits; each notification reaches each person once, because its key names the status change
(see :func:`notifications.services.notify`)."""

from collections.abc import Iterable

from celery import shared_task
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import agentur_moderators, town_editors
from municipalities.models import Municipality
from municipalities.tasks import MAIL_TASK, TownTask
from notifications.services import notify

from .models import ProgressReport, ProgressReportEvent, ReviewComment

LIMITS = MAIL_TASK


def _event(event_id: int) -> ProgressReportEvent | None:
    return (
        ProgressReportEvent.objects.select_related("report", "actor")
        .filter(pk=event_id, kind=ProgressReportEvent.Kind.STATUS)
        .first()
    )


@shared_task(base=TownTask, **LIMITS)
def review_submitted_notify(*, municipality: Municipality, event_id: int) -> int:
    """A town submitted its report: every active Agentur moderator is told (``review.submitted``)."""
    event = _event(event_id)
    if event is None or event.status_after != ProgressReport.Status.SUBMITTED:
        return 0
    report = event.report
    moderators = agentur_moderators()
    url = reverse(
        "agentur-reviews:detail",
        kwargs={"slug": municipality.slug, "year": report.year, "quarter": report.quarter},
    )
    with translation.override(settings.LANGUAGE_CODE):
        title = _("%(town)s has submitted its progress report %(quarter)s") % {
            "town": municipality.name,
            "quarter": report.label,
        }
    return len(
        notify(
            municipality=municipality,
            recipients=moderators,
            kind="review.submitted",
            key=f"review:submitted:{event.pk}",
            title=title,
            url=url,
        )
    )


@shared_task(base=TownTask, **LIMITS)
def review_decided_notify(*, municipality: Municipality, event_id: int) -> int:
    """A moderator accepted or returned the report: the town's editors and admins are told
    (``review.decided``), with the remarks."""
    event = _event(event_id)
    if event is None or event.status_after not in (
        ProgressReport.Status.ACCEPTED,
        ProgressReport.Status.RETURNED,
    ):
        return 0
    report = event.report
    url = reverse(
        "reviews:detail",
        kwargs={"town_slug": municipality.slug, "year": report.year, "quarter": report.quarter},
    )
    with translation.override(settings.LANGUAGE_CODE):
        if event.status_after == ProgressReport.Status.ACCEPTED:
            title = _("The Südwestfalen Agentur has accepted the progress report %(quarter)s") % {
                "quarter": report.label
            }
        else:
            title = _("The Südwestfalen Agentur has returned the progress report %(quarter)s") % {
                "quarter": report.label
            }
        body = Truncator(" ".join(event.reason.split())).words(60)
    return len(
        notify(
            municipality=municipality,
            recipients=town_editors(municipality=municipality),
            kind="review.decided",
            key=f"review:decided:{event.pk}",
            title=title,
            body=body,
            url=url,
        )
    )


@shared_task(base=TownTask, **LIMITS)
def review_comment_notify(*, municipality: Municipality, comment_id: int) -> int:
    """A comment on a report under review (``review.comment``): a moderator's reaches the town's editors and
    admins, the town's answer reaches every active moderator. The author is never told of their own comment."""
    comment = ReviewComment.objects.select_related("report", "author").filter(pk=comment_id).first()
    if comment is None:
        return 0
    report = comment.report
    with translation.override(settings.LANGUAGE_CODE):
        if comment.from_town:
            recipients: Iterable[User] = agentur_moderators()
            url = reverse(
                "agentur-reviews:detail",
                kwargs={"slug": municipality.slug, "year": report.year, "quarter": report.quarter},
            )
            title = _("%(town)s has answered on its progress report %(quarter)s") % {
                "town": municipality.name,
                "quarter": report.label,
            }
        else:
            recipients = town_editors(municipality=municipality)
            url = reverse(
                "reviews:detail",
                kwargs={"town_slug": municipality.slug, "year": report.year, "quarter": report.quarter},
            )
            title = _("The Südwestfalen Agentur has commented on the progress report %(quarter)s") % {
                "quarter": report.label
            }
        body = Truncator(" ".join(comment.body.split())).words(60)
    recipients = [user for user in recipients if user.pk != comment.author_id]
    return len(
        notify(
            municipality=municipality,
            recipients=recipients,
            kind="review.comment",
            key=f"review:comment:{comment.pk}",
            title=title,
            body=body,
            url=url + f"#comment-{comment.pk}",
        )
    )
