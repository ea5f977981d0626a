"""Tasks of the notifications app: the e-mail that goes with an in-app notification."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from municipalities.models import Municipality
from municipalities.tasks import TRANSIENT_ERRORS, TownTask

from .models import Notification


@shared_task(base=TownTask, autoretry_for=TRANSIENT_ERRORS, retry_backoff=30, retry_backoff_max=600,
             max_retries=8, soft_time_limit=60, time_limit=90)
def notification_email_send(*, municipality: Municipality, notification_id: int) -> bool:
    """Mail a notification to its recipient, exactly once.

    The row is locked and ``emailed_at`` set in the same transaction as the send, so a retry or a second
    delivery of the message does not mail twice.
    """
    with transaction.atomic():
        notification = (Notification.objects.select_for_update().select_related("recipient")
                        .filter(pk=notification_id).first())
        if notification is None or notification.emailed_at is not None:
            return False
        recipient = notification.recipient
        if not recipient.is_active or not recipient.email:
            return False
        link = notification.url
        if link.startswith("/"):
            link = f"{settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{settings.SITE_HOST}{link}"
        context = {"municipality": municipality, "notification": notification, "link": link}
        send_mail(
            subject=render_to_string("notifications/email/notification_subject.txt", context).strip(),
            message=render_to_string("notifications/email/notification_body.txt", context),
            from_email=None,
            recipient_list=[recipient.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True
