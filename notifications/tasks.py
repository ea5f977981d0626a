"""Tasks of the notifications app: the e-mail that goes with an in-app notification, and the daily and weekly
digests that list several in one mail."""

import datetime

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from municipalities.models import Municipality
from municipalities.tasks import MAIL_TASK, RETRY_TRANSIENT, TownTask
from outbox.claims import claim, claim_cutoff, sending
from smartcity5.mail import mail_send, site_url

from . import selectors
from .kinds import DIGEST_PLANS, kind_get
from .mail import mail_reason
from .models import Notification

UNSUBSCRIBE_SALT = "notifications.digest-unsubscribe"


def _absolute(link: str) -> str:
    return site_url(link) if link.startswith("/") else link


def unsubscribe_token(*, user, plan: str) -> str:
    """The signed token of a digest's one-click unsubscribe link (RFC 8058): it names the person and the plan,
    so the link works without signing in and for nobody else."""
    return signing.dumps({"u": user.pk, "p": plan}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_link(*, user, plan: str) -> str:
    return site_url(
        reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(user=user, plan=plan)})
    )


@shared_task(base=TownTask, bind=True, **MAIL_TASK)
def notification_email_send(self, *, municipality: Municipality, notification_id: int) -> bool:
    """Mail a notification to its recipient, once (``outbox.claims``: claimed in ``email_claimed_at`` before the
    mail server is asked, ``emailed_at`` set after it accepted the message)."""
    notification = claim(
        self,
        Notification.objects.select_related("recipient"),
        notification_id,
        sent="emailed_at",
        claimed="email_claimed_at",
    )
    if notification is None:
        return False
    recipient = notification.recipient
    if not recipient.is_active or not recipient.email:
        return False
    kind = kind_get(notification.kind)
    # A person's own matter (their data export) hangs on some town's row but is no town's business: no town named.
    town = municipality if kind.town_bound else None
    context = {
        "notification": notification,
        "link": _absolute(notification.url),
        "list_link": _absolute(reverse("notifications:list")),
    }
    with sending(Notification.objects, [notification.pk], sent="emailed_at", claimed="email_claimed_at"):
        mail_send(
            to=recipient.email,
            template="notifications/email/notification",
            context=context,
            municipality=town,
            reason=mail_reason(user=recipient, municipality=town, kind=kind),
        )
    return True


def _check_plan(plan: str) -> str:
    if plan not in DIGEST_PLANS:
        raise ValueError(f"Unknown digest plan {plan!r}; use one of {', '.join(DIGEST_PLANS)}")
    return plan


@shared_task(soft_time_limit=120, time_limit=150, **RETRY_TRANSIENT)
def notification_digest_dispatch(*, plan: str = "daily", before: str | None = None) -> int:
    """Platform job (beat: daily digests every morning, weekly ones on Mondays): one digest task per person
    with notifications waiting for the ``plan`` digest that were created before this run (``before``, an ISO
    date-time, for tests and catch-up runs). Spans every town, so it is a plain task, not a ``TownTask``."""
    _check_plan(plan)
    cutoff = datetime.datetime.fromisoformat(before) if before else timezone.now()
    user_ids = selectors.digest_recipient_ids(plan=plan, before=cutoff)
    for user_id in user_ids:
        notification_digest_send.delay_on_commit(user_id=user_id, plan=plan)
    return len(user_ids)


@shared_task(**MAIL_TASK)
def notification_digest_send(*, user_id: int, plan: str) -> int:
    """Mail one person one summary of their notifications from every town that wait for the ``plan`` digest,
    once; returns how many it listed.

    Like :func:`notification_email_send` (``outbox.claims``): the listed rows are claimed in a committed
    transaction first (rows with a fresh claim belong to a digest that is being sent and are left out), then
    mailed, then marked sent.
    A retry, a second delivery of the message or a second run of the same day lists nothing twice; a worker that
    dies between the mail server's acceptance and the last write sends this one digest again once its claims
    are older than ``MAIL_CLAIM_SECONDS``.
    """
    _check_plan(plan)
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.is_active or not user.email:
        return 0
    with transaction.atomic():
        # Lock only the notifications, not the towns joined for their names.
        pending = list(
            selectors.user_digest_pending(user=user, plan=plan)
            .exclude(email_claimed_at__gt=claim_cutoff())
            .select_for_update(of=("self",))
        )
        if not pending:
            return 0
        claimed = [n.pk for n in pending]
        own = selectors.user_digest_pending(user=user, plan=plan)
        own.filter(pk__in=claimed).update(email_claimed_at=timezone.now())
    for notification in pending:
        notification.link = _absolute(notification.url)  # type: ignore[attr-defined]  # for the mail template
        notification.town_name = (  # type: ignore[attr-defined]
            notification.municipality.name if kind_get(notification.kind).town_bound else ""
        )
    context = {
        "user": user,
        "plan": plan,
        "notifications": pending,
        "settings_link": _absolute(reverse("notifications:preferences")),
        "list_link": _absolute(reverse("notifications:list")),
    }
    unsubscribe = unsubscribe_link(user=user, plan=plan)
    context["unsubscribe_link"] = unsubscribe
    with (
        sending(own, claimed, sent="emailed_at", claimed="email_claimed_at"),
        translation.override(settings.LANGUAGE_CODE),
    ):
        mail_send(
            to=user.email,
            template="notifications/email/digest",
            context=context,
            reason=_("You receive this summary because you chose it for some kinds of notifications."),
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
    return len(pending)
