"""The stored version of what a town's public pages show besides its processes: ``Municipality.content_version``.

The anonymous page cache (smartcity5/page_cache.py) keys the town page, the project pages, the strategy, the region
and knowledge pages on it, so every write of a row those pages show raises it **in the writer's transaction**:
the next anonymous visitor after the commit gets a page built after the change, whoever wrote it (a service, the
Django admin, a management command, a task, the demo loader). Processes, ideas, comments and supports have their
own version (``Process.content_version``, ``participation.services.touch_processes``).

Each app names its rows with :func:`watch` in its ``AppConfig.ready``: a ``post_save``, ``post_delete`` and (for
its many-to-many fields) ``m2m_changed`` receiver raises the versions of the towns the row belongs to — the row's
own town and, for a joint project's rows, its partner towns — or of every town for rows that every page may show
(the shared catalogues, the consortium, the towns themselves: their names and colours are in every page's footer).
``QuerySet.update()`` and ``bulk_create`` send no signals: a writer that uses them on a watched model calls
:func:`bump_towns` / :func:`bump_all` itself (``seed_scale`` does).
"""

from collections.abc import Callable, Iterable

from django.db.models import Count, F, Q, Sum
from django.db.models.signals import m2m_changed, post_delete, post_save

from . import row_towns
from .models import Municipality

#: What a receiver returns: town ids, or ALL for every town.
ALL = object()


def bump_towns(ids: Iterable[int | None]) -> None:
    """Raise the version of these towns (one ``UPDATE``; ``None`` entries, a row without a town, raise all)."""
    ids = set(ids)
    if None in ids:
        bump_all()
    elif ids:
        Municipality.objects.filter(pk__in=ids).update(content_version=F("content_version") + 1)


def bump_all() -> None:
    Municipality.objects.update(content_version=F("content_version") + 1)


def bump_project_towns(project, *also: int | None) -> None:
    """Raise the version of a project's lead town, its partner towns and ``also``, in one ``UPDATE``. ``project``
    is a project id, a query of project ids (``values("project_id")``) or ``None``."""
    if None in also:
        bump_all()
        return
    condition = Q(pk__in=list(also))
    if project is not None:
        condition |= row_towns.project_towns(project)
    Municipality.objects.filter(condition).update(content_version=F("content_version") + 1)


def region_version() -> str:
    """The version of every town's public content together (one query over the towns): for the pages that show
    rows of several towns (the region, knowledge, similar projects on a project page)."""
    rows = Municipality.objects.order_by().aggregate(
        n=Count("pk"), ids=Sum("pk"), versions=Sum("content_version")
    )
    return f"{rows['n']}.{rows['ids'] or 0}.{rows['versions'] or 0}"


def watch(model, towns_of: Callable | None = None, *, everywhere: bool = False) -> None:
    """Raise the towns' versions whenever a row of ``model`` is saved or deleted, or one of its many-to-many
    fields changes. ``towns_of(row)`` bumps itself (it calls :func:`bump_towns` or :func:`bump_project_towns`);
    ``everywhere`` raises every town's version."""

    def changed(instance) -> None:
        if everywhere:
            bump_all()
        else:
            towns_of(instance)

    def on_save(sender, instance, raw=False, **kwargs):
        if not raw:
            changed(instance)

    def on_delete(sender, instance, **kwargs):
        changed(instance)

    def on_m2m(sender, instance, action, reverse, model, pk_set, **kwargs):
        if action not in ("post_add", "post_remove", "post_clear"):
            return
        if reverse:  # a tag's projects changed: each of them
            if everywhere or pk_set is None:
                bump_all()
            else:
                for row in model._base_manager.filter(pk__in=pk_set):
                    changed(row)
        else:
            changed(instance)

    uid = f"municipalities.freshness:{model._meta.label}"
    post_save.connect(on_save, sender=model, weak=False, dispatch_uid=uid + ":save")
    post_delete.connect(on_delete, sender=model, weak=False, dispatch_uid=uid + ":delete")
    for field in model._meta.local_many_to_many:
        if field.remote_field.through._meta.auto_created:
            m2m_changed.connect(
                on_m2m, sender=field.remote_field.through, weak=False, dispatch_uid=f"{uid}:{field.name}"
            )


# --- Keys of the anonymous page cache (smartcity5/page_cache.py) --------------------------------------------


def town_page_version(request) -> str | None:
    """A town's own pages (its home, its project list): its version (read with the town by the middleware, no
    query) and the version of its processes (one query)."""
    from participation.selectors import scope_freshness

    town = getattr(request, "municipality", None)
    if town is None:
        return None
    return f"t{town.content_version}.{scope_freshness().version}"


def region_page_version(request) -> str:
    """Pages that show rows of several towns (the region, knowledge, a project page with its similar projects and
    notes of other towns): every town's version (one query), and the town's processes under /<town>/."""
    version = f"r{region_version()}"
    if getattr(request, "municipality", None) is not None:
        from participation.selectors import scope_freshness

        version += f".{scope_freshness().version}"
    return version
