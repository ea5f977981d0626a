"""Writes about users and staff memberships, personal API tokens, and the citizens' rights: the data export and
account deletion."""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from municipalities.models import Municipality
from municipalities.scoping import scopes_disabled
from smartcity5.jobs import FAILED, job_recover_if_stuck

from . import permissions
from .models import ApiToken, DataExport, Membership, Role, Session, StaffInvitation, User
from .selectors import last_admin_towns, user_api_tokens
from .tasks import data_export_build, membership_notify_granted, staff_invitation_send


def _town_memberships(municipality_id: int) -> QuerySet[Membership]:
    # Services are also called from the admin and load_demo, where no request scope is active.
    return Membership.objects.with_scope(municipality=municipality_id)


def membership_grant(
    *, municipality: Municipality, user: User, role: str, by: User | None = None, notify: bool = True
) -> Membership:
    """Give ``user`` a staff role in the town (or change it) and, unless ``notify`` is off (they accepted an
    invitation themselves a moment ago), tell them by e-mail after commit."""
    if role not in Role.values:
        raise ValidationError(_("Unknown role."), code="role")
    with transaction.atomic():
        membership = _town_memberships(municipality.pk).select_for_update().filter(user=user).first()
        if membership is not None and membership.role == role:
            return membership
        if membership is None:
            membership = _town_memberships(municipality.pk).create(
                municipality=municipality, user=user, role=role
            )
        else:
            _guard_last_admin(membership=membership, new_role=role)
            membership.role = role
            membership.grant_count += 1
            membership.save(update_fields=["role", "grant_count"])
        if notify:
            membership_notify_granted.delay_on_commit(
                municipality_id=municipality.pk, membership_id=membership.pk
            )
    user.__dict__.pop("_membership_cache", None)
    return membership


def membership_revoke(*, membership: Membership, by: User | None = None) -> None:
    with transaction.atomic():
        _guard_last_admin(membership=membership, new_role=None)
        membership.delete()


def _guard_last_admin(*, membership: Membership, new_role: str | None) -> None:
    """A town always keeps at least one admin, or nobody could manage its team any more."""
    if membership.role != Role.ADMIN or new_role == Role.ADMIN:
        return
    admins = _town_memberships(membership.municipality_id).select_for_update().filter(role=Role.ADMIN)
    if admins.count() <= 1:
        raise ValidationError(_("The town must keep at least one administrator."), code="last_admin")


# --- Invitations to a town's team ---------------------------------------------------------------------------


def _town_invitations(municipality_id: int) -> QuerySet[StaffInvitation]:
    return StaffInvitation.objects.with_scope(municipality=municipality_id)


def _guard_team_manager(by: User, municipality: Municipality) -> None:
    """Only the town's admins, with their second factor set up, invite and withdraw (``town.manage``)."""
    if not permissions.can_manage_town(by, municipality) or permissions.needs_mfa_setup(by):
        raise PermissionDenied


def _new_nonce() -> str:
    return secrets.token_hex(16)


def invitation_create(*, municipality: Municipality, email: str, role: str, by: User) -> StaffInvitation:
    """Invite the person with ``email`` to the town's team with ``role``: the invitation mail (a link valid for
    ``StaffInvitation.LIFETIME_DAYS`` days) goes out after commit. The person may already have an account, as a
    citizen or as staff of another town, or not yet.

    Refused (``ValidationError``) for an unknown role, a person already in the team, and an address with an
    invitation still pending (send that one again instead); ``PermissionDenied`` unless ``by`` manages the town.
    """
    _guard_team_manager(by, municipality)
    email = User.objects.normalize_email(email or "").strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": _("Please choose one of the roles.")}, code="role")
    if _town_memberships(municipality.pk).filter(user__email__iexact=email).exists():
        raise ValidationError(
            {
                "email": ValidationError(
                    _("%(email)s already belongs to the team. You can change the role in the list above.")
                    % {"email": email},
                    code="member",
                )
            }
        )
    now = timezone.now()
    with transaction.atomic():
        pending = (
            _town_invitations(municipality.pk)
            .select_for_update()
            .filter(email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True)
            .first()
        )
        if pending is not None:
            raise ValidationError(
                {
                    "email": ValidationError(
                        _(
                            "%(email)s has already been invited. You can send the invitation again in the list of "
                            "invitations."
                        )
                        % {"email": email},
                        code="pending",
                    )
                }
            )
        invitation = _town_invitations(municipality.pk).create(
            municipality=municipality,
            email=email,
            role=role,
            nonce=_new_nonce(),
            invited_by=by,
            created_at=now,
            sent_at=now,
            expires_at=now + datetime.timedelta(days=StaffInvitation.LIFETIME_DAYS),
        )
        staff_invitation_send.delay_on_commit(municipality_id=municipality.pk, invitation_id=invitation.pk)
    return invitation


def invitation_resend(*, invitation: StaffInvitation, by: User) -> StaffInvitation:
    """Send a pending invitation again (also an expired one): a new link, valid for another
    ``LIFETIME_DAYS`` days; the links sent before stop working."""
    _guard_team_manager(by, invitation.municipality)
    with transaction.atomic():
        invitation = _town_invitations(invitation.municipality_id).select_for_update().get(pk=invitation.pk)
        if not invitation.is_pending:
            raise ValidationError(_("This invitation has already been accepted or withdrawn."), code="closed")
        now = timezone.now()
        invitation.nonce = _new_nonce()
        invitation.sent_at = now
        invitation.expires_at = now + datetime.timedelta(days=StaffInvitation.LIFETIME_DAYS)
        invitation.send_count += 1
        invitation.save(update_fields=["nonce", "sent_at", "expires_at", "send_count"])
        staff_invitation_send.delay_on_commit(
            municipality_id=invitation.municipality_id, invitation_id=invitation.pk
        )
    return invitation


def invitation_revoke(*, invitation: StaffInvitation, by: User) -> StaffInvitation:
    """Withdraw a pending invitation: its link stops working at once. The row stays as the team's history."""
    _guard_team_manager(by, invitation.municipality)
    with transaction.atomic():
        invitation = _town_invitations(invitation.municipality_id).select_for_update().get(pk=invitation.pk)
        if not invitation.is_pending:
            raise ValidationError(_("This invitation has already been accepted or withdrawn."), code="closed")
        invitation.revoked_at = timezone.now()
        invitation.revoked_by = by
        invitation.save(update_fields=["revoked_at", "revoked_by"])
    return invitation


def invitation_check_usable(invitation: StaffInvitation) -> None:
    """Refuse (``ValidationError`` with code ``accepted``, ``revoked`` or ``expired``) an invitation that can no
    longer be accepted, with a message that tells the person what to do."""
    state = invitation.state()
    if state == StaffInvitation.State.ACCEPTED:
        raise ValidationError(
            _("This invitation has already been accepted. Please sign in."), code="accepted"
        )
    if state == StaffInvitation.State.REVOKED:
        raise ValidationError(
            _(
                "This invitation has been withdrawn. If this is a mistake, please ask the "
                "administrator of the team to invite you again."
            ),
            code="revoked",
        )
    if state == StaffInvitation.State.EXPIRED:
        raise ValidationError(
            _("This invitation has expired. Please ask the administrator of the team to send it again."),
            code="expired",
        )


def invitation_account_create(*, invitation: StaffInvitation, display_name: str, password: str) -> User:
    """Make the account for an invited person who has none: the invitation's address, confirmed by the link,
    and the password they chose (checked by ``AUTH_PASSWORD_VALIDATORS``). The role is not given yet: first the
    person sets up two-factor authentication (:func:`invitation_accept`)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.password_validation import validate_password

    invitation_check_usable(invitation)
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationError({"display_name": _("Please enter a display name.")}, code="display_name")
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(
            _("There already is an account with this address. Please sign in."), code="exists"
        )
    try:
        validate_password(password, user=User(email=invitation.email, display_name=display_name))
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}, code="password") from None
    with transaction.atomic():
        user = User.objects.create_user(
            invitation.email, password, display_name=display_name, privacy_consent_at=timezone.now()
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def invitation_accept(*, invitation: StaffInvitation, user: User) -> Membership:
    """The invited person takes the role: signed in with the invited address and with two-factor authentication
    set up (staff pages require it). Gives the role through :func:`membership_grant` and marks the invitation
    accepted, in one transaction; a second acceptance is refused."""
    with transaction.atomic():
        invitation = (
            _town_invitations(invitation.municipality_id)
            .select_for_update(of=("self",))
            .select_related("municipality", "invited_by")
            .get(pk=invitation.pk)
        )
        invitation_check_usable(invitation)
        if user.email.lower() != invitation.email.lower():
            raise ValidationError(_("This invitation is for another e-mail address."), code="other_account")
        if not permissions.has_totp(user):
            raise ValidationError(_("Please set up two-factor authentication first."), code="mfa")
        membership = membership_grant(
            municipality=invitation.municipality,
            user=user,
            role=invitation.role,
            by=invitation.invited_by,
            notify=False,
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


# --- Personal API tokens ------------------------------------------------------------------------------


def api_token_refusal(user: User) -> str | None:
    """Why ``user`` may not make API tokens, in words for them; ``None`` if they may."""
    if permissions.can_use_api_tokens(user):
        return None
    if not (user.is_authenticated and user.is_active and permissions.holds_privileged_role(user)):
        return _("API tokens are for the staff of a town and for moderators of the Südwestfalen Agentur.")
    return _(
        "Please set up two-factor authentication first: API tokens are only available with a second factor."
    )


def api_token_create(
    *, user: User, name: str, lifetime_days: int | None = ApiToken.DEFAULT_LIFETIME_DAYS
) -> tuple[ApiToken, str]:
    """Make a personal API token for ``user``; returns it with its secret, which is not stored (only its SHA-256
    digest) and so can be shown only this once.

    ``lifetime_days`` is one of ``ApiToken.LIFETIME_DAYS`` or ``None`` (no expiry; not offered on the page).
    Refused with a ``ValidationError`` for people who may not use tokens (``permissions.can_use_api_tokens``,
    code ``not_allowed``) and beyond ``ApiToken.MAX_ACTIVE`` usable tokens (code ``limit``).
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Please give the token a name.")}, code="name")
    if len(name) > ApiToken._meta.get_field("name").max_length:  # type: ignore[operator]  # a CharField has one
        raise ValidationError({"name": _("The name is too long.")}, code="name")
    if lifetime_days is not None and lifetime_days not in ApiToken.LIFETIME_DAYS:
        raise ValidationError(
            {"lifetime_days": _("Please choose one of the offered lifetimes.")}, code="lifetime"
        )
    refusal = api_token_refusal(user)
    if refusal:
        raise ValidationError(refusal, code="not_allowed")
    with transaction.atomic():
        User.objects.select_for_update().filter(
            pk=user.pk
        ).first()  # two requests at once cannot pass the limit
        now = timezone.now()
        if user_api_tokens(user=user).usable(now).count() >= ApiToken.MAX_ACTIVE:
            raise ValidationError(
                _(
                    "You already have %(count)d API tokens in use, the most one person may have. Please revoke one "
                    "you no longer need first."
                )
                % {"count": ApiToken.MAX_ACTIVE},
                code="limit",
            )
        secret = ApiToken.PREFIX + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=secret[: ApiToken.SHOWN_CHARS],
            digest=ApiToken.digest_of(secret),
            created_at=now,
            expires_at=now + datetime.timedelta(days=lifetime_days) if lifetime_days is not None else None,
        )
    return token, secret


def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke a token at once: requests with it are refused from now on. Its owner revokes it on the account page,
    a platform admin in the admin; revoking twice keeps the first time."""
    if by.pk != token.user_id and not by.is_staff:
        raise ValidationError(_("Only the owner of a token can revoke it."), code="not_owner")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


# --- Citizens' rights (DSGVO) ----------------------------------------------------------------------------


def data_export_request(*, user: User) -> tuple[DataExport, bool]:
    """Ask for a copy of everything the portal holds about ``user`` (Art. 15 DSGVO); the worker builds it after
    commit and tells the person when it is ready. Returns the export and whether it is new.

    One export at a time: while one is queued or being prepared, that one is returned instead of a new one;
    never a stuck one (its worker died): that is handed to the worker again first, or failed and replaced.
    """
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # two clicks at once make one export
        export = DataExport.objects.filter(user=user, status__in=DataExport.OPEN).first()
        if export is not None and job_recover_if_stuck(export) != FAILED:
            return export, False
        now = timezone.now()
        export = DataExport.objects.create(
            user=user,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            created_at=now,
            expires_at=now + DataExport.lifetime(),
        )
        data_export_build.delay_on_commit(export_id=export.pk)
    return export, True


def sessions_end(*, user: User, keep: str | None = None) -> int:
    """Sign the person out everywhere (except in the session ``keep``, the one of the request that asked): their
    sessions are found by the indexed ``Session.user_id``, never by reading other people's sessions. Returns how
    many were ended. Account deletion, a password change and a password reset end sessions through here."""
    sessions = Session.objects.filter(user_id=user.pk)
    if keep:
        sessions = sessions.exclude(session_key=keep)
    deleted, _rows = sessions.delete()
    return deleted


def _delete_contributions(user: User) -> list[str]:
    """Delete the person's ideas (with everything on them), comments (with their replies), supports and ballots;
    returns the stored files to remove after commit. Call with scopes disabled."""
    from participation.models import Ballot, Comment, Idea, Support
    from participation.services.supports import refresh_counts
    from participation.signals import participation_changed

    ideas = Idea.objects.filter(author=user)
    files = list(ideas.exclude(image="").values_list("image", flat=True))
    # Other people's ideas that lose a support or a comment get their counts recounted.
    touched = set(Support.objects.filter(user=user).values_list("idea_id", flat=True)) | set(
        Comment.objects.filter(author=user).values_list("idea_id", flat=True)
    )
    Support.objects.filter(user=user).delete()
    Ballot.objects.filter(user=user).delete()
    Comment.objects.filter(author=user).delete()
    if ideas.delete()[0]:
        participation_changed.send(sender=Idea, municipality_id=None)
    refresh_counts(touched)
    return files


def account_delete(*, user: User, keep_contributions: bool | None = None) -> None:
    """Delete an account and the personal data about it (Art. 17 DSGVO), in one transaction.

    Gone: the user row with its e-mail addresses, second factors, staff memberships, notifications, notification
    settings, data exports (files too, after commit) and API tokens; its sessions; the reply address on barrier
    reports sent with one of its confirmed addresses; its name in the platform admin's change log. Published contributions stay
    and show "Deleted account" (their author is set empty, as are history entries, answers and files it wrote as
    staff), unless ``keep_contributions`` is false (default: ``ACCOUNT_DELETION_KEEPS_CONTRIBUTIONS``): then its
    ideas, comments, supports and votes are deleted too. Reports it filed stay without a name, as the grounds of
    moderation decisions.

    Refused with a ``ValidationError`` (code ``last_admin``) while the person is a town's only administrator.
    """
    from .exports import accessibility_feedback_of

    if keep_contributions is None:
        keep_contributions = settings.ACCOUNT_DELETION_KEEPS_CONTRIBUTIONS
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        towns = last_admin_towns(user=user, lock=True)
        if towns:
            raise ValidationError(
                _(
                    "You are the only administrator of %(towns)s. Please make someone else an administrator there "
                    "first, then delete your account."
                )
                % {"towns": ", ".join(town.name for town in towns)},
                code="last_admin",
            )
        # Locked: an export being finished right now either lands before this (and its file is listed here) or
        # finds its row gone and stores nothing.
        files = [
            name
            for name in DataExport.objects.select_for_update()
            .filter(user=user)
            .values_list("file", flat=True)
            if name
        ]
        from participation.services.common import touch_processes
        from participation.services.processes import processes_of_person

        with scopes_disabled():
            processes = processes_of_person(user)
            if not keep_contributions:
                files += _delete_contributions(user)
            accessibility_feedback_of(user).update(email="")
        _forget_in_admin_log(user)
        sessions_end(user=user)
        user.delete()
        # Their name (or their contributions) left the public pages: the stored freshness and counts follow.
        touch_processes(processes, recount=not keep_contributions)
        transaction.on_commit(lambda: [default_storage.delete(name) for name in files])  # type: ignore[func-returns-value]  # the list only runs the deletes


def _forget_in_admin_log(user: User) -> None:
    """The admin's change log names changed objects by their text (a user: the display name)."""
    from django.apps import apps

    if not apps.is_installed("django.contrib.admin"):
        return
    from django.contrib.admin.models import LogEntry

    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr=_("Deleted account"), change_message="")
