"""What changed in a town: the versions that every write of a watched row moves, in the writer's transaction.

One registry (:data:`REGISTRY`) names every model whose rows a town's public pages show or its key figures count,
with the rule for the towns a row concerns (its own town, every town, or what the app defines: a project's or a
process's lead and partner towns, ``projects.freshness``, ``participation.freshness``, built on
``municipalities.row_towns``) and the **channels** it moves. Each app registers its own models from its
``AppConfig.ready`` (:func:`watch_all`); this module names none of the domains. One receiver per model (``post_save``,
``post_delete`` and ``m2m_changed`` of its many-to-many fields) works out the row's towns once and moves each of
its channels for them, so services, the Django admin, management commands, tasks and the demo loader are all
covered without each remembering to. Two channels, each with the storage its readers and writers need:

* :attr:`Channel.PAGES` — ``Municipality.content_version`` (``+ 1``, one ``UPDATE``, with ``content_changed_at``,
  the API project list's Last-Modified): the version of what a town's
  public pages show besides its processes (its projects, strategy and notes, the towns, the consortium and the
  shared catalogues), the key of the anonymous page cache (``smartcity5/page_cache.py``,
  :func:`town_page_version`, :func:`region_page_version`). Read on every anonymous page: with the town that the
  middleware reads anyway (no query), for all towns in one aggregate. Written by staff edits only, rarely, so the
  row lock of the ``UPDATE`` is not contended. Processes, ideas, comments and supports have their own version
  (``Process.content_version``, ``participation.services.common.touch_processes``), which a town's page key
  holds too (:data:`SCOPE_VERSIONS`).
* :attr:`Channel.FIGURES` — one :class:`~municipalities.models.FiguresChange` row per write and town, **inserted,
  never updated**: the version under which each town's key figures (``agentur.figures``, the Agentur's
  dashboard) are cached (:func:`read_versions`, :func:`cached_rows`). Written by every idea, answer and held
  comment of a campaign, so two citizens' writes must not wait for each other on a town row (an ``UPDATE`` of the
  town would hold its lock until the request's commit); read only by the Agentur's pages (an index probe per town,
  ``figures_change_latest``). The nightly ``figures_changes_prune`` keeps each town's latest row.

A reader that reads a version before a writer commits stores what it built under the old version, which nobody
asks for once the new one is visible; either way nothing stale is served under a current version.
``QuerySet.update()``, ``bulk_create``, raw SQL and ``seed_scale``'s COPY send no signals: a writer that uses them on
a watched model calls :func:`move` itself. None of the services' ``update()`` calls touches a column that a page
shows from a watched model or that a figure counts.
"""

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from . import row_towns
from .models import Municipality


class Channel(enum.Flag):
    """What a write moves: the public pages' version, the key figures' version, or both."""

    PAGES = enum.auto()
    FIGURES = enum.auto()


BOTH = Channel.PAGES | Channel.FIGURES


class _All:
    def __repr__(self) -> str:
        return "ALL"


#: The towns of a row that every page may show (a town's name is in every page's footer): every town.
ALL = _All()

#: What a towns rule returns: a condition on ``Municipality.pk`` (``row_towns``) or :data:`ALL`.
Towns = Q | _All


# --- The two channels: moving ---------------------------------------------------------------------------------


def move(towns: Towns | Iterable[int | None], *, channels: Channel = BOTH) -> None:
    """Move ``channels`` of ``towns`` (a condition on ``Municipality.pk``, :data:`ALL`, or town ids; a ``None`` id,
    a row without a town, means every town), in the caller's transaction. The towns are read once: the pages'
    ``UPDATE`` alone takes the condition as it is (one query), and so does the figures' ``INSERT … SELECT`` alone
    (one query: every idea, answer and comment moves the figures only); with both, one query reads the ids, one
    ``UPDATE`` and one ``INSERT`` use them."""
    if not isinstance(towns, Q | _All):
        given = set(towns)
        if not given:
            return
        towns = ALL if None in given else Q(pk__in=sorted(pk for pk in given if pk is not None))
    if Channel.FIGURES not in channels:
        _raise_pages(towns)
        return
    if Channel.PAGES not in channels:
        _insert_figures_changes(towns)
        return
    found = (
        set(Municipality.objects.values_list("pk", flat=True))
        if isinstance(towns, _All)
        else row_towns.town_ids(towns)
    )
    ids = sorted(found)
    if not ids:
        return
    read = ALL if isinstance(towns, _All) else Q(pk__in=ids)
    if Channel.PAGES in channels:
        _raise_pages(read)
    _insert_figures_changes(read)


def _raise_pages(towns: Towns) -> None:
    query = Municipality.objects.all() if towns is ALL else Municipality.objects.filter(towns)
    now = timezone.now()
    query.update(
        content_version=F("content_version") + 1,
        # The date only moves forward, even when a writer that started earlier commits later.
        content_changed_at=Greatest(Coalesce(F("content_changed_at"), Value(now)), Value(now)),
    )


def _insert_figures_changes(towns: Towns) -> None:
    """One :class:`~municipalities.models.FiguresChange` row for each town that ``towns`` names (in the order of their
    ids, the same time for all), read and written in one ``INSERT … SELECT``: the ORM has no such insert."""
    from .models import FiguresChange

    query = Municipality.objects.all() if isinstance(towns, _All) else Municipality.objects.filter(towns)
    try:
        select, params = query.order_by().values(town=F("pk")).query.sql_with_params()
    except EmptyResultSet:  # a condition that names no town (``pk__in=[]``)
        return
    meta = FiguresChange._meta
    connection = connections[FiguresChange._base_manager.db]
    quote = connection.ops.quote_name
    town = quote("town")  # the subquery's one column, named by its alias (SQLite takes no column list)
    at = meta.get_field("at").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({quote(meta.get_field('municipality').column)}, "
            f"{quote(meta.get_field('at').column)}) SELECT towns.{town}, %s FROM ({select}) AS towns "
            f"ORDER BY towns.{town}",
            [at, *params],
        )


# --- The registry: which rows move which channels of which towns ------------------------------------------------


def own(row) -> Towns:
    """The row's own town (a row without a town, like the Agentur's notes, concerns every town)."""
    return ALL if row.municipality_id is None else Q(pk=row.municipality_id)


def everywhere(row) -> Towns:
    return ALL


@dataclass(frozen=True)
class Watch:
    """How a model's writes move the versions: ``towns(row)``, the ``channels``, and (optionally) whether a write
    counts for the figures (``figures_if(row, created)``; ``created`` is ``None`` for a delete)."""

    towns: Callable[..., Towns]
    channels: Channel = BOTH
    figures_if: Callable[..., bool] | None = None


PAGES, FIGURES = Channel.PAGES, Channel.FIGURES

#: The tenancy app's own models → how their writes move the versions. The towns and the consortium show on every
#: town's pages (names and colours of all towns are in every page's footer). Every other app registers its own
#: models from its ``AppConfig.ready`` (:func:`watch_all`): the base app names no domain.
WATCHED: dict[str, Watch] = {
    "municipalities.Municipality": Watch(everywhere, PAGES),
    "municipalities.Consortium": Watch(everywhere, PAGES),
    "municipalities.AccessibilityFeedback": Watch(own, FIGURES),
}


def _changed(watch: Watch, rows: list, *, created: bool | None) -> None:
    channels = watch.channels
    if watch.figures_if is not None and not any(watch.figures_if(row, created) for row in rows):
        channels &= ~FIGURES
    if not channels or not rows:
        return
    condition = Q()
    for towns in (watch.towns(row) for row in rows):
        if isinstance(towns, _All):
            move(ALL, channels=channels)
            return
        condition |= towns
    move(condition, channels=channels)


def _receivers(watch: Watch):
    def on_save(sender, instance, raw=False, created=None, **kwargs):
        if raw:
            # loaddata: the related rows may not be loaded yet, so only the figures of the row's own town (the
            # pages of a fixture's towns are new anyway).
            if FIGURES in watch.channels and getattr(instance, "municipality_id", None):
                move([instance.municipality_id], channels=FIGURES)
            return
        _changed(watch, [instance], created=bool(created))

    def on_delete(sender, instance, **kwargs):
        _changed(watch, [instance], created=None)

    def on_m2m(sender, instance, action, reverse, model, pk_set, **kwargs):
        if action not in ("post_add", "post_remove", "post_clear"):
            return
        if not reverse:
            _changed(watch, [instance], created=False)
        elif pk_set is None:  # cleared from the other side: rare (the admin), so every town
            move(ALL, channels=watch.channels)
        else:  # a tag's projects changed: each of them
            _changed(watch, list(model._base_manager.filter(pk__in=pk_set)), created=False)

    return on_save, on_delete, on_m2m


#: Every model connected, with how its writes move the versions: :data:`WATCHED` and what the other apps registered.
REGISTRY: dict[str, Watch] = {}


def watch(model, how: Watch) -> None:
    """Connect one set of receivers for ``model`` (a model watched twice is a mistake: ``ImproperlyConfigured``)."""
    from django.core.exceptions import ImproperlyConfigured

    label = model._meta.label
    if label in REGISTRY:
        raise ImproperlyConfigured(f"{label} is watched twice (municipalities.freshness)")
    REGISTRY[label] = how
    on_save, on_delete, on_m2m = _receivers(how)
    uid = f"municipalities.freshness:{label}"
    post_save.connect(on_save, sender=model, weak=False, dispatch_uid=f"{uid}:save")
    post_delete.connect(on_delete, sender=model, weak=False, dispatch_uid=f"{uid}:delete")
    for field in model._meta.local_many_to_many:
        if field.remote_field.through._meta.auto_created:
            m2m_changed.connect(
                on_m2m, sender=field.remote_field.through, weak=False, dispatch_uid=f"{uid}:{field.name}"
            )


def watch_all(watched: dict[str, Watch]) -> None:
    """Connect every model of ``watched`` ("app_label.Model" → how): one call in each app's ``AppConfig.ready``
    for the models of that app, as Django's checks and signals are registered."""
    from django.apps import apps

    for label, how in watched.items():
        watch(apps.get_model(label), how)


def connect() -> None:
    """Connect the models of :data:`WATCHED` (``MunicipalitiesConfig.ready``)."""
    watch_all(WATCHED)


#: What a town's pages show that keeps a version of its own besides ``Municipality.content_version`` (the
#: processes' ``Process.content_version``): one function per app that keeps one, returning the current scope's
#: version as a string, registered from its ``AppConfig.ready`` (:func:`add_scope_version`).
SCOPE_VERSIONS: list[Callable[[], str]] = []


def add_scope_version(version: Callable[[], str]) -> None:
    """Register a version of the current scope's rows that a town's pages show (``participation``'s processes)."""
    if version not in SCOPE_VERSIONS:
        SCOPE_VERSIONS.append(version)


def _scope_versions() -> str:
    return "".join(f".{version()}" for version in SCOPE_VERSIONS)


# --- The pages' channel: keys of the anonymous page cache (smartcity5/page_cache.py) ---------------------------


def region_version() -> str:
    """The version of every town's public content together (one query over the towns): for the pages that show
    rows of several towns (the region, knowledge, similar projects on a project page)."""
    rows = Municipality.objects.order_by().aggregate(
        n=Count("pk"), ids=Sum("pk"), versions=Sum("content_version")
    )
    return f"{rows['n']}.{rows['ids'] or 0}.{rows['versions'] or 0}"


def town_page_version(request) -> str | None:
    """A town's own pages (its home, its project list): its version (read with the town by the middleware, no
    query) and the versions registered in :data:`SCOPE_VERSIONS` (its processes': one query)."""
    municipality = getattr(request, "municipality", None)
    if municipality is None:
        return None
    return f"t{municipality.content_version}{_scope_versions()}"


def region_page_version(request) -> str:
    """Pages that show rows of several towns (the region, knowledge, a project page with its similar projects and
    notes of other towns): every town's version (one query), and the town's processes under /<town>/."""
    version = f"r{region_version()}"
    if getattr(request, "municipality", None) is not None:
        version += _scope_versions()
    return version


# --- The figures' channel: the key figures cached under each town's version -----------------------------------

#: Counting the figures of ``agentur.figures`` and the Agentur dashboard means aggregating every idea,
#: answer, comment, project and funding row of a town (seconds at 50 towns with 4,000 ideas each); they change far
#: more rarely than they are read. The cache key also holds what the figures depend on besides the rows: the
#: filters, the set of annotations and the day; entries expire after this anyway.
CACHE_SECONDS = 24 * 60 * 60
KEY_PREFIX = "figures:v1"


def changed(town_ids: Iterable[int]) -> None:
    """Record that the figures of these towns may have changed (in the caller's transaction)."""
    move([int(pk) for pk in town_ids if pk], channels=FIGURES)


def read_versions(town_ids: Iterable[int]) -> dict[int, str]:
    """The figures' version of each town ("0" for a town nothing was recorded for): one query. The id of the
    town's latest change row and its time: after a database is restored from a backup, the ids go on from the
    backup's and are used a second time, the times are not (so no figure cached before the restore is taken for a
    later state)."""
    from .models import FiguresChange

    latest = FiguresChange._base_manager.filter(municipality=OuterRef("pk")).order_by("-pk")
    rows = Municipality.objects.filter(pk__in=list(town_ids)).values_list(
        "pk", Subquery(latest.values("pk")[:1]), Subquery(latest.values("at")[:1])
    )
    return {pk: f"{version}-{at.timestamp():.6f}" if version else "0" for pk, version, at in rows}


def cached_rows(
    *,
    town_ids: list[int],
    key: str,
    compute: Callable[[list[int]], dict[int, dict]],
    versions: dict[int, str] | None = None,
) -> dict[int, dict]:
    """The figure row of each town, from the cache where the town's version has not moved since it was counted;
    ``compute(missing town ids)`` counts the others (in one query) and they are stored. ``key`` names everything
    the rows depend on besides the data (filters, day, set of figures); ``versions`` (of :func:`read_versions`) if
    the caller has read them already. One query reads the versions, one more computes the towns that missed: the
    number of queries depends neither on the number of towns nor of rows."""
    found_versions = read_versions(town_ids) if versions is None else versions
    keys = {pk: f"{KEY_PREFIX}:{key}:{pk}:{found_versions.get(pk, 0)}" for pk in town_ids}
    hits = cache.get_many(list(keys.values()))
    rows = {pk: hits[k] for pk, k in keys.items() if k in hits}
    missing = [pk for pk in town_ids if pk not in rows]
    if missing:
        counted = compute(missing)
        cache.set_many({keys[pk]: row for pk, row in counted.items()}, CACHE_SECONDS)
        rows.update(counted)
    return rows


def prune() -> int:
    """Delete every change row below its town's latest (the nightly ``figures_changes_prune``)."""
    from django.db.models import Exists

    from .models import FiguresChange

    later = FiguresChange._base_manager.filter(municipality=OuterRef("municipality"), pk__gt=OuterRef("pk"))
    deleted, _rows = FiguresChange._base_manager.filter(Exists(later)).delete()
    return deleted
