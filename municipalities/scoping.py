"""Tenant scoping, done once.

Every town-owned model inherits :class:`TownOwnedModel`; its manager refuses to query unless a scope is
active. A scope is entered in exactly three places:

* :class:`municipalities.middleware.MunicipalityScopeMiddleware` for ``/<town>/…`` requests,
* the API base view (issue: REST API),
* :class:`municipalities.tasks.TownTask`, the base class of every Celery task that works for one town.

Reads across towns go through :func:`cross_town_scope`, which writes an :class:`AuditEntry` each time.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager, scope, scopes_disabled
from django_scopes.exceptions import ScopeError


__all__ = [
    "ScopeError",
    "TownOwnedModel",
    "cross_town_scope",
    "scopes_disabled",
    "town_scope",
]


def TownScopedManager(manager_class=models.Manager):  # noqa: N802 - a manager factory, named like a class
    return ScopedManager(_manager_class=manager_class, municipality="municipality")


class TownOwnedModel(models.Model):
    """Base of every row that belongs to one town. Queries need an active scope (see module docs)."""

    municipality = models.ForeignKey("municipalities.Municipality", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("municipality"))

    objects = TownScopedManager()

    class Meta:
        abstract = True


@contextmanager
def town_scope(municipality) -> Iterator:
    """Run the block with queries limited to one town."""
    with scope(municipality=municipality.pk):
        yield municipality


@contextmanager
def cross_town_scope(*, purpose: str, user=None, path: str = "",
                     municipalities: list | None = None) -> Iterator[list]:
    """Run the block with queries spanning several towns (all towns unless given), and audit it.

    ``purpose`` names the reader (e.g. ``"agentur-overview"`` or ``"job:audit-purge"``); one
    :class:`AuditEntry` is written for each use, with the user for requests and none for platform jobs.
    """
    from .models import AuditEntry, Municipality

    if municipalities is None:
        municipalities = list(Municipality.objects.order_by("pk"))
    AuditEntry.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        purpose=purpose,
        path=path[:500],
        municipality_slugs=[m.slug for m in municipalities],
    )
    with scope(municipality=[m.pk for m in municipalities]):
        yield municipalities
