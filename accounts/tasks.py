"""Tasks of the accounts app."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from municipalities.models import Municipality
from municipalities.tasks import TRANSIENT_ERRORS, TownTask

from .models import Membership


@shared_task(base=TownTask, autoretry_for=TRANSIENT_ERRORS, retry_backoff=30, max_retries=8,
             soft_time_limit=60, time_limit=90)
def membership_notify_granted(*, municipality: Municipality, membership_id: int) -> bool:
    """Tell a person that they now hold a staff role in the town (and that MFA will be required)."""
    membership = Membership.objects.select_related("user").filter(pk=membership_id).first()
    if membership is None:  # revoked before the mail went out
        return False
    context = {
        "municipality": municipality,
        "membership": membership,
        "staff_url": settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL + "://" + settings.SITE_HOST
        + reverse("municipalities:staff-dashboard", kwargs={"town": municipality.slug}),
    }
    send_mail(
        subject=render_to_string("accounts/email/membership_granted_subject.txt", context).strip(),
        message=render_to_string("accounts/email/membership_granted_body.txt", context),
        from_email=None,
        recipient_list=[membership.user.email],
    )
    return True
