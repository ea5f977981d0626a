"""Versions of the towns' key figures, and the figures cached under them.

Counting the figures of ``municipalities.figures`` and the Agentur dashboard means aggregating every idea, answer,
comment, project and funding row of a town: seconds at 50 towns with 4,000 ideas each, and growing with the data.
They change far more rarely than they are read. So the computed row of each town is cached (Django's cache: Redis)
under the town's **version**, and recomputed only for the towns whose version moved:

* **The version** of a town is the highest id of its :class:`~municipalities.models.FiguresChange` rows (with
  that row's time, see :func:`read_versions`). Every
  write of a row the figures read inserts one for each town whose figures it can change, in the writer's own
  transaction: model signals (``post_save``, ``post_delete``, ``m2m_changed``) of the models in :data:`WATCHED`,
  so services, the admin, management commands and tests are all covered without each remembering to. A joint row
  changes its lead town's and every partner town's figures ("+N gemeinsam"), so it names all of them.
* Inserting, never updating, means two writers never wait for each other on a version row (a campaign's writers
  already meet on the process row, ``participation.services.touch_processes``). A reader that reads the version
  before a writer commits stores what it counted under the old version, which nobody asks for once the new row
  is visible; a reader that counts after the commit counts the new rows. Either way no stale figure is served
  under a current version.
* Writes that bypass the model signals (``QuerySet.update()``, ``bulk_create``, raw SQL, ``seed_scale``'s COPY)
  must call :func:`changed` themselves. None of the services' ``update()`` calls touches a column the figures read
  (counts, freshness, resolved reports of a contribution whose moderation is saved in the same service).
* The cache key also holds what the figures depend on besides the rows: the filters, the set of annotations
  (``name``) and the day (milestones at risk, the quarters of the trends, the 90-day window). Entries expire after
  :data:`CACHE_SECONDS` anyway.

One query reads the versions of all towns asked for (an index probe per town on ``figures_change_latest``), one
more computes the towns that missed; the number of queries does not depend on the number of towns or rows.
"""

from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db.models import OuterRef, Subquery
from django.db.models.signals import m2m_changed, post_delete, post_save

from . import row_towns

CACHE_SECONDS = 24 * 60 * 60
KEY_PREFIX = "figures:v1"


def changed(town_ids: Iterable[int]) -> None:
    """Record that the figures of these towns may have changed (in the caller's transaction)."""
    from .models import FiguresChange

    ids = sorted({int(pk) for pk in town_ids if pk})
    if ids:
        FiguresChange._base_manager.bulk_create([FiguresChange(municipality_id=pk) for pk in ids])


def read_versions(town_ids: Iterable[int]) -> dict[int, str]:
    """The version of each town ("0" for a town nothing was recorded for): one query. The id of the town's latest
    change row and its time: after a database is restored from a backup, the ids go on from the backup's and are
    used a second time, the times are not (so no figure cached before the restore is taken for a later state)."""
    from .models import FiguresChange, Municipality

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
    the rows depend on besides the data (filters, day, set of figures); ``versions`` (of :func:`read_versions`) if the
    caller has read them already."""
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


# --- Who changed: the towns whose figures a written row can change ---------------------------------------


def _project_towns(project_id) -> set[int]:
    return row_towns.town_ids(row_towns.project_towns(project_id))


def _process_towns(process_id) -> set[int]:
    return row_towns.town_ids(row_towns.process_towns(process_id))


def _idea_towns(idea_id) -> set[int]:
    from participation.models import Idea

    return row_towns.town_ids(
        row_towns.process_towns(Idea._base_manager.filter(pk=idea_id).values("process_id"))
    )


def _own(instance) -> set[int]:
    return {instance.municipality_id}


#: "app_label.Model" → the towns whose figures a row of it can change (besides its own town).
WATCHED: dict[str, Callable] = {
    "projects.Project": lambda row: _project_towns(row.pk),
    "projects.ProjectPartner": lambda row: _project_towns(row.project_id),
    "projects.ProgressUpdate": lambda row: _project_towns(row.project_id),
    "participation.Process": lambda row: _process_towns(row.pk),
    "participation.ProcessPartner": lambda row: _process_towns(row.process_id),
    "participation.Idea": lambda row: _process_towns(row.process_id),
    "participation.OfficialAnswer": lambda row: _idea_towns(row.idea_id),
    "participation.Comment": lambda row: _idea_towns(row.idea_id),  # only some writes: see _counts
    "participation.Report": _own,
    "funding.Grant": _own,
    "funding.Milestone": _own,
    "funding.DisbursementRequest": _own,
    "funding.Spending": _own,
    "accounts.Membership": _own,
    "municipalities.AccessibilityFeedback": _own,
}


def _counts(instance, created: bool | None) -> bool:
    """Whether this write can change a figure. Of the comments only the moderation figure counts: a comment that
    is published as it is written (post-moderation) or a published one that is deleted (its open reports are
    deleted with it, and say so themselves) changes no figure, so a lively discussion does not move its town's
    version with every comment."""
    from participation.models import Comment, Moderation

    if isinstance(instance, Comment):
        return not ((created or created is None) and instance.moderation == Moderation.PUBLISHED)
    return True


def _receiver(towns_of: Callable):
    def receive(sender, instance, raw=False, created=None, **kwargs):
        if raw:  # loaddata: the related rows may not be loaded yet, so the row's own town only
            changed(_own(instance))
            return
        if _counts(instance, created):  # created: True or False for a save, None for a delete
            changed(_own(instance) | towns_of(instance))

    return receive


def _fields_changed(sender, instance, action, **kwargs):
    """A project's fields of action (the dashboard's field filter counts by them)."""
    if action in ("post_add", "post_remove", "post_clear"):
        from projects.models import Project

        if isinstance(instance, Project):
            changed(_own(instance) | _project_towns(instance.pk))
        else:  # changed from the field's side (the admin): rare, so every town
            from .models import Municipality

            changed(Municipality.objects.values_list("pk", flat=True))


def connect() -> None:
    """Connect the receivers (``MunicipalitiesConfig.ready``)."""
    from django.apps import apps

    for label, towns_of in WATCHED.items():
        model = apps.get_model(label)
        receiver = _receiver(towns_of)
        uid = f"figures-version:{label}"
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=f"{uid}:save")
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=f"{uid}:delete")
    through = apps.get_model("projects.Project").fields_of_action.through
    m2m_changed.connect(_fields_changed, sender=through, weak=False, dispatch_uid="figures-version:fields")
