"""Tenant scoping, done once.

Every town-owned model inherits :class:`TownOwnedModel`; its manager refuses to query unless a scope is
active. A request or task enters one town's scope through one of three doors:

* :class:`municipalities.middleware.MunicipalityScopeMiddleware` for ``/<town>/…`` requests,
* :class:`api.base.TownScopedAPIView` for ``/api/v1/towns/<town>/…``,
* :class:`municipalities.tasks.TownTask`, the base class of every Celery task that works for one town.

Every other place that enters a scope or reads without one is listed, with its reason, in
docs/ARCHITECTURE.md "Where a scope is entered" (tests/test_architecture_doc.py keeps the list true).

Reads across towns go through :func:`cross_town_scope`, which writes an :class:`AuditEntry` each time.
Published content of all towns (the public region pages) is read in :func:`public_region_scope`; only
selectors that filter for published rows may use it.

Some rows are *shared*: a joint project belongs to its lead town (``municipality``) and also appears in
each partner town. Their manager is built with ``TownScopedManager(shared_with="partner_towns")``: in a
town's scope it yields the rows the town owns **or** shares, each row once.
"""

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager, scope, scopes_disabled
from django_scopes.exceptions import ScopeError
from django_scopes.manager import DisabledQuerySet
from django_scopes.state import get_scope

__all__ = [
    "ScopeError",
    "TownOwnedModel",
    "cross_town_scope",
    "public_region_scope",
    "scopes_disabled",
    "town_scope",
]


def TownScopedManager(  # noqa: N802 - a factory, named like the class it makes
    manager_class=models.Manager,
    *,
    shared_with: str | tuple[str, ...] = (),
) -> "models.Manager[Any]":
    """The manager of a town-owned model.

    ``shared_with`` names lookups to :class:`Municipality` (e.g. ``"partner_towns"`` or
    ``("project__municipality", "project__partner_towns")``) whose towns may see the row as well as
    its owner.
    """
    if isinstance(shared_with, str):
        shared_with = (shared_with,)
    scoped = ScopedManager(_manager_class=manager_class, municipality="municipality")
    if not shared_with:
        return scoped

    class SharedScopedManager(type(scoped)):  # type: ignore[misc]  # django-scopes makes the class
        def get_queryset(self):
            current = getattr(self, "_override_scope", None) or get_scope()
            base = super(type(scoped), self).get_queryset()  # the unfiltered queryset of manager_class
            if not current.get("_enabled", True):
                return base
            if "municipality" not in current:
                return DisabledQuerySet(self.model, using=self._db, missing_scopes=["municipality"])
            value = current["municipality"]
            if value is None:
                return base
            towns = list(value) if isinstance(value, list | tuple) else [value]
            own = Q(municipality=towns[0]) if len(towns) == 1 else Q(municipality__in=towns)
            # The row's own town, or else a correlated EXISTS over the shared paths of that one row. Not a
            # join, so that a row shared with several towns in scope is yielded once and aggregates over the
            # outer query are not multiplied; and not ``pk IN (all visible rows)``, which made the databases
            # build the town's whole set first (SQLite scanned every comment of the town to show one idea's
            # comments). This way a lookup by idea, process or sort order uses its own index, and the
            # EXISTS is only evaluated for rows another town owns (joint processes and projects).
            return base.filter(own | _shared_exists(self.model, shared_with, tuple(towns)))

    return SharedScopedManager()


@functools.lru_cache(maxsize=1024)
def _shared_exists(model, shared_with: tuple[str, ...], towns: tuple) -> Q:
    """The shared paths of ``model`` as EXISTS conditions, one per first step of the paths. Where that step is a
    foreign key (``process__partner_towns`` of an idea), the subquery starts at the row it points to
    (``EXISTS (SELECT 1 FROM process … WHERE process.id = idea.process_id AND …)``), not at a copy of the row
    itself: PostgreSQL turns an EXISTS under OR into a hashed set when many rows need it, and that set is then the
    few processes shared with the town instead of every idea of the table (a scan of 200,000 ideas for one page
    of twenty, bench/README.md). Paths that start with a many-to-many field keep the row itself as the start."""
    groups: dict[str, list[str]] = {}
    for path in shared_with:
        first, _, rest = path.partition("__")
        field = model._meta.get_field(first)
        key = first if rest and field.many_to_one else ""
        groups.setdefault(key, []).append(rest if key else path)
    condition = Q()
    for first, paths in groups.items():
        shared = Q()
        for path in paths:
            shared |= Q(**{f"{path}__in": towns})
        if first:
            field = model._meta.get_field(first)
            rows = field.related_model._base_manager.filter(shared, pk=OuterRef(field.attname))
        else:
            rows = model._base_manager.filter(shared, pk=OuterRef("pk"))
        condition |= Exists(rows)  # type: ignore[assignment]  # Q | Exists is a Q
    # Built once per worker, model and scope (its subqueries cost as much as the query they go in: a fifth of the
    # demo's process page), and shared: a query that adds it resolves a copy of each EXISTS, never the original.
    return condition


class TownOwnedModel(models.Model):
    """Base of every row that belongs to one town. Queries need an active scope (see module docs)."""

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )

    objects = TownScopedManager()

    class Meta:
        abstract = True


@contextmanager
def town_scope(municipality) -> Iterator:
    """Run the block with queries limited to one town."""
    with scope(municipality=municipality.pk):
        yield municipality


@contextmanager
def public_region_scope() -> Iterator[list]:
    """All active towns, without an audit entry: only for selectors of published content (region pages)."""
    from .models import Municipality

    towns = list(Municipality.objects.active().order_by("pk"))
    with scope(municipality=[m.pk for m in towns]):
        yield towns


@contextmanager
def cross_town_scope(
    *, purpose: str, user=None, path: str = "", municipalities: list | None = None
) -> Iterator[list]:
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


#: SQL compiled per name, database and scope (see :func:`compiled_in_scope`); bounded, since scopes are few.
_COMPILED: dict[tuple[str, str, str], tuple[tuple[str, tuple[Any, ...]], ...]] = {}


def compiled_in_scope(
    name: str, build: Callable[[], Sequence[models.QuerySet[Any, Any]]]
) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """The SQL and parameters of the querysets ``build()`` makes, compiled once per worker for the active scope.

    For hot reads whose scoped query costs more to build (the shared-row filter, compiled by the ORM) than to run:
    the caller runs the SQL with its own values. Outside a scope it raises :class:`ScopeError`, as every read of a
    town-owned model does."""
    key = (name, connection.alias, repr(get_scope()))
    compiled = _COMPILED.get(key)
    if compiled is None:
        querysets = build()
        for qs in querysets:
            if isinstance(qs, DisabledQuerySet):
                list(qs)  # raises ScopeError
        compiled = tuple(qs.query.sql_with_params() for qs in querysets)
        if len(_COMPILED) > 1000:
            _COMPILED.clear()
        _COMPILED[key] = compiled
    return compiled
