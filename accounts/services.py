"""Writes about users and staff memberships."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from municipalities.models import Municipality

from .models import Membership, Role, User
from .tasks import membership_notify_granted


def _town_memberships(municipality_id: int):
    # Services are also called from the admin and load_demo, where no request scope is active.
    return Membership.objects.with_scope(municipality=municipality_id)


def membership_grant(*, municipality: Municipality, user: User, role: str, by: User | None = None) -> Membership:
    """Give ``user`` a staff role in the town (or change it) and tell them by e-mail after commit."""
    if role not in Role.values:
        raise ValidationError(_("Unknown role."), code="role")
    with transaction.atomic():
        membership = (
            _town_memberships(municipality.pk).select_for_update().filter(user=user).first()
        )
        if membership is not None and membership.role == role:
            return membership
        if membership is None:
            membership = _town_memberships(municipality.pk).create(
                municipality=municipality, user=user, role=role)
        else:
            _guard_last_admin(membership=membership, new_role=role)
            membership.role = role
            membership.save(update_fields=["role"])
        transaction.on_commit(lambda: membership_notify_granted.delay(
            municipality_id=municipality.pk, membership_id=membership.pk))
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
