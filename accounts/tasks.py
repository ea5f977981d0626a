"""Tasks of the accounts app: the mails about a new staff role and an invitation to a team (claimed before they
are sent, ``outbox.claims``), and the data exports of people (building one, deleting expired ones)."""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from municipalities.models import Municipality
from municipalities.selectors import lead_town
from municipalities.tasks import MAIL_TASK, RETRY_TRANSIENT, TRANSIENT_ERRORS, TownTask
from outbox.base import PortalTask
from outbox.claims import claim_key, sending_key
from smartcity5.jobs import GeneratedFileTask, generated_files_purge, job_build
from smartcity5.mail import mail_send, site_url

from .models import DataExport, Membership, StaffInvitation

logger = logging.getLogger(__name__)


@shared_task(base=TownTask, bind=True, **MAIL_TASK)
def membership_notify_granted(self, *, municipality: Municipality, membership_id: int) -> bool:
    """Tell a person that they now hold a staff role in the town (and that MFA will be required), once per grant
    (``outbox.claims``): the claim names the membership and its ``grant_count``, read under the row's lock
    together with the role, so a second delivery of the task sends nothing and a change of role is told again."""
    from notifications.mail import mail_reason

    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=membership_id)
            .first()
        )
        if membership is None:  # revoked before the mail went out
            return False
        claimed = claim_key(self, f"accounts.membership_granted:{membership.pk}:{membership.grant_count}")
    if claimed is None:
        return False
    context = {
        "membership": membership,
        "staff_url": site_url(reverse("agentur:staff-dashboard", kwargs={"town_slug": municipality.slug})),
    }
    with sending_key(claimed):
        mail_send(
            to=membership.user.email,
            template="accounts/email/membership_granted",
            context=context,
            municipality=municipality,
            reason=mail_reason(user=membership.user, municipality=municipality),
        )
    return True


@shared_task(base=TownTask, bind=True, **MAIL_TASK)
def staff_invitation_send(self, *, municipality: Municipality, invitation_id: int) -> bool:
    """Mail an invitation to the town's team with its current link (sent again: the new link). Nothing for an
    invitation accepted or withdrawn before the mail went out.

    Once per sending (``outbox.claims``): the claim names the invitation and its ``send_count``, read under the
    row's lock together with the link, so a second delivery of the task sends nothing, and "send again" (a new
    link, ``send_count`` + 1) sends once more."""
    with transaction.atomic():
        invitation = (
            StaffInvitation.objects.select_for_update(of=("self",))
            .select_related("invited_by")
            .filter(pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True)
            .first()
        )
        if invitation is None:
            return False
        claimed = claim_key(self, f"accounts.staff_invitation:{invitation.pk}:{invitation.send_count}")
    if claimed is None:
        return False
    inviter = invitation.invited_by.display_name if invitation.invited_by else ""
    context = {
        "invitation": invitation,
        "inviter": inviter,
        "link": site_url(reverse("invitation-accept", kwargs={"token": invitation.token()})),
        "expires": timezone.localtime(invitation.expires_at).strftime("%d.%m.%Y %H:%M"),
    }
    with sending_key(claimed):
        mail_send(
            to=invitation.email,
            template="accounts/email/staff_invitation",
            context=context,
            municipality=municipality,
            settings_link=False,
            reason=_(
                "You receive this e-mail because an administrator of the Smart City portal of %(town)s "
                "invited this address to the team."
            )
            % {"town": municipality.official_name},
        )
    return True


@shared_task(soft_time_limit=120, time_limit=150, **RETRY_TRANSIENT)
def staff_invitations_purge() -> int:
    """Platform job (beat, daily): forget the addresses of invitations nobody accepted (withdrawn, or expired and
    not sent again) once ``STAFF_INVITATION_RETENTION_DAYS`` have passed; accepted ones stay as the team's
    history (their address is the member's own). Returns how many were deleted."""
    from django.db.models import Q

    cutoff = timezone.now() - datetime.timedelta(days=settings.STAFF_INVITATION_RETENTION_DAYS)
    deleted, _rows = (
        StaffInvitation.objects.with_scopes_disabled()
        .filter(accepted_at__isnull=True)
        .filter(Q(revoked_at__lt=cutoff) | Q(revoked_at__isnull=True, expires_at__lt=cutoff))
        .delete()
    )
    return deleted


class DataExportTask(GeneratedFileTask, PortalTask):
    """Marks the export failed, with the reason, once the task gives up (an error that is not retried, retries
    used up, time limit), so the person sees it and can ask again instead of waiting for ever."""

    abstract = True
    job_model = "accounts.DataExport"


def _notification_town() -> Municipality | None:
    """A notification belongs to a town; a person's export belongs to none, so it is told by the lead town,
    which runs the portal for the consortium (else the first active town)."""
    return lead_town()


def _notify_export_ready(export: DataExport) -> None:
    from municipalities.scoping import town_scope
    from notifications.services import notify

    town = _notification_town()
    if town is None:
        return
    with town_scope(town), translation.override(settings.LANGUAGE_CODE):
        notify(
            municipality=town,
            recipients=[export.user],
            kind="account.export",
            key=f"account:export:{export.pk}",
            title=_("Your data export is ready"),
            body=_("You can download it on the page “My data” until %(date)s.")
            % {"date": timezone.localtime(export.expires_at).strftime("%d.%m.%Y %H:%M")},
            url=reverse("accounts:data"),
        )


@shared_task(
    base=DataExportTask,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=settings.JOB_RETRY_BACKOFF,
    retry_backoff_max=600,
    max_retries=5,
    soft_time_limit=300,
    time_limit=360,
)
def data_export_build(*, export_id: int) -> bool:
    """Build the ZIP file of a person's data export, store it under a random name and tell the person: the one
    build of generated files (``smartcity5.jobs.job_build``: idempotent under the row lock, heartbeat, stored
    and told once)."""
    from .exports import data_export_archive

    def build(export: DataExport, progress) -> bytes:
        return data_export_archive(user=export.user, language=export.language)

    return job_build(DataExport, export_id, build=build, notify=_notify_export_ready, related=("user",))


@shared_task(soft_time_limit=300, time_limit=360, **RETRY_TRANSIENT)
def data_exports_purge() -> int:
    """Platform job (beat, hourly): delete expired data exports and their files; returns how many."""
    return generated_files_purge(DataExport.objects.all())
