"""Writes of the projects app. Each one validates, saves and writes the project's history in one place."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import permissions
from municipalities.models import Municipality
from smartcity5 import workflow
from smartcity5.history import names, record, snapshot
from smartcity5.slugs import free_slug, german_slugify

from .models import (
    FieldOfAction,
    Indicator,
    Measurement,
    ProgressUpdate,
    Project,
    ProjectEvent,
    ProjectFile,
    ProjectPartner,
    Strategy,
    Tag,
)
from .selectors import progress as progress_selectors
from .signals import project_status_changed

if TYPE_CHECKING:
    from decimal import Decimal

    from django.core.files.uploadedfile import UploadedFile

    from accounts.models import User

_M = TypeVar("_M", bound=Model)

# Fields of a project that people edit in the project form; the status has its own workflow.
PROJECT_FIELDS = (
    "title",
    "summary",
    "description",
    "phase",
    "bundle",
    "parent",
    "weight",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "planned_budget",
    "contact_name",
    "contact_email",
    "visibility",
    "open_source_url",
    "transferability",
    "transferability_note",
    "location_label",
    "latitude",
    "longitude",
)
INDICATOR_FIELDS = (
    "name",
    "unit",
    "description",
    "baseline",
    "baseline_date",
    "target",
    "target_date",
    "position",
)
UPDATE_FIELDS = ("title", "body", "published_on", "progress_percent", "is_public")
# The stored facts (see project_facts_refresh), read back into a project a service returns.
FACT_FIELDS = ("stored_progress", "last_update_on", "partner_count")


# --- History (smartcity5.history.record; ``municipality`` of a ProjectEvent is the acting town) -----------


def _create_and_record(
    instance: _M,
    *,
    allowed: tuple[str, ...],
    project: Project,
    kind: str,
    by: User | None,
    acting_town: Municipality,
    subject_field: str,
) -> _M:
    """Validate and save a new row that hangs off a project, and record it in the project's history."""
    instance.full_clean()
    instance.save()
    record(
        ProjectEvent,
        municipality=acting_town,
        project=project,
        kind=kind,
        by=by,
        subject=getattr(instance, subject_field),
        after=snapshot(instance, allowed),
    )
    return instance


def _change_and_record(
    instance: _M,
    *,
    allowed: tuple[str, ...],
    fields: dict[str, Any],
    project: Project,
    kind: str,
    by: User | None,
    acting_town: Municipality,
    subject: str,
) -> _M:
    """Apply the allowed fields, validate, save, and record what changed (nothing if nothing did)."""
    before = snapshot(instance, allowed)
    for name, value in fields.items():
        if name in allowed:
            setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    record(
        ProjectEvent,
        municipality=acting_town,
        project=project,
        kind=kind,
        by=by,
        subject=subject,
        before=before,
        after=snapshot(instance, allowed),
    )
    return instance


# --- Stored facts (Project.stored_progress, last_update_on, partner_count) ----------------------------------


def project_facts_refresh(*, project_ids: Iterable[int | None]) -> None:
    """Store the facts the lists show for these projects and their parent projects (whose progress is the mean of
    their sub-projects'), derived from their rows in one ``UPDATE`` (``selectors.derived_facts``). Every service
    that changes one of them calls this in its own transaction; ``manage.py project_facts_refresh`` does it for
    every project (rows written past the services, e.g. by a bulk load). ``updated_at`` is left alone."""
    ids = {pk for pk in project_ids if pk is not None}
    if not ids:
        return
    ids |= set(
        Project._base_manager.filter(pk__in=ids, parent__isnull=False).values_list("parent_id", flat=True)
    )
    Project._base_manager.filter(pk__in=ids).update(**progress_selectors.derived_facts())


def project_facts_refresh_all(*, municipalities: Iterable[Municipality] | None = None) -> int:
    """Store the facts of every project (or of those led by ``municipalities``) in one ``UPDATE``; returns the
    number of projects."""
    rows = Project._base_manager.all()
    if municipalities is not None:
        rows = rows.filter(municipality__in=list(municipalities))
    return rows.update(**progress_selectors.derived_facts())


# --- Tags and slugs --------------------------------------------------------------------------------------


def tags_from_text(text: str) -> list[Tag]:
    """Tags from a comma-separated list, creating the missing ones (names are case-insensitive)."""
    tags = []
    seen = set()
    for raw in (text or "").split(","):
        name = " ".join(raw.split())[:60]
        slug = german_slugify(name)[:80]
        if not name or not slug or slug in seen:
            continue
        seen.add(slug)
        tag = Tag.objects.filter(slug=slug).first() or Tag.objects.create(name=name, slug=slug)
        tags.append(tag)
    return tags


def project_slug_for(title: str, *, exclude_pk: int | None = None) -> str:
    """A free address for a project; slugs are unique across towns because joint projects appear under
    every partner town's address."""
    return free_slug(title, rows=Project._base_manager.all(), fallback="projekt", exclude_pk=exclude_pk)


# --- Projects --------------------------------------------------------------------------------------------


def _set_partners(project: Project, partner_towns: Iterable[Municipality]) -> None:
    wanted = {town.pk: town for town in partner_towns if town.pk != project.municipality_id}
    current = set(ProjectPartner.objects.filter(project=project).values_list("municipality_id", flat=True))
    ProjectPartner.objects.filter(project=project, municipality_id__in=current - set(wanted)).delete()
    for pk in set(wanted) - current:
        ProjectPartner.objects.create(project=project, municipality=wanted[pk])


def _related_snapshot(project: Project) -> dict[str, str]:
    return {
        "partner_towns": names(project.partner_towns.all()),
        "fields_of_action": names(project.fields_of_action.all()),
        "tags": names(project.tags.all()),
    }


# --- Who may: the services' own checks (``accounts.permissions``); pages ask them before they show a form -------

#: Said by the 403 page when the project's rules refuse.
NOT_ALLOWED = gettext_lazy("Only editors of the lead town may change this project.")


def project_for_change(
    *, project: Project, by: User | None, acting_town: Municipality | None = None
) -> Project:
    """``project`` if ``by`` may change it (data, status, KPIs, files: editors of the lead town, acting in a town
    whose content they edit), else ``PermissionDenied``: asked by the staff pages before they show a form, and by
    every service below that changes the project or its KPIs and files. ``by=None`` is the portal itself."""
    permissions.require(
        by is None
        or (
            permissions.can_edit_project(by, project)
            and (acting_town is None or permissions.can_edit_town_content(by, acting_town))
        ),
        NOT_ALLOWED,
    )
    return project


def project_for_update(
    *, project: Project, by: User | None, acting_town: Municipality | None = None
) -> Project:
    """``project`` if ``by`` may post a progress update on it (editors of the lead or a partner town), else
    ``PermissionDenied``."""
    permissions.require(
        by is None
        or (
            permissions.can_post_project_update(by, project)
            and (acting_town is None or permissions.can_edit_town_content(by, acting_town))
        ),
        NOT_ALLOWED,
    )
    return project


def progress_update_for_change(*, update: ProgressUpdate, by: User | None) -> ProgressUpdate:
    """``update`` if ``by`` may change or delete it (editors of the lead town or of the town that posted it),
    else ``PermissionDenied``."""
    permissions.require(by is None or permissions.can_change_project_update(by, update), NOT_ALLOWED)
    return update


@transaction.atomic
def project_create(
    *,
    municipality: Municipality,
    by: User | None,
    fields: dict[str, Any],
    partner_towns: Iterable[Municipality] = (),
    fields_of_action: Iterable[FieldOfAction] = (),
    tags: Iterable[Tag] = (),
) -> Project:
    """Create a project led by ``municipality`` (status "idea" unless the workflow moves it on): its editors."""
    permissions.require(by is None or permissions.can_edit_town_content(by, municipality))
    project = Project(municipality=municipality, **{k: v for k, v in fields.items() if k in PROJECT_FIELDS})
    project.slug = project_slug_for(project.title)
    project.full_clean()
    project.save()
    project.fields_of_action.set(fields_of_action)
    project.tags.set(tags)
    _set_partners(project, partner_towns)
    project_facts_refresh(project_ids=[project.pk])
    project.refresh_from_db(fields=FACT_FIELDS)
    record(
        ProjectEvent,
        municipality=municipality,
        project=project,
        kind=ProjectEvent.Kind.CREATED,
        by=by,
        after={**snapshot(project, PROJECT_FIELDS), **_related_snapshot(project)},
    )
    return project


@transaction.atomic
def project_change(
    *,
    project: Project,
    by: User | None,
    acting_town: Municipality,
    fields: dict[str, Any],
    partner_towns: Iterable[Municipality] | None = None,
    fields_of_action: Iterable[FieldOfAction] | None = None,
    tags: Iterable[Tag] | None = None,
) -> Project:
    """Change a project's data; the history gets every field that changed, as old → new."""
    project_for_change(project=project, by=by, acting_town=acting_town)
    project = Project.objects.select_for_update().get(pk=project.pk)
    before = {**snapshot(project, PROJECT_FIELDS), **_related_snapshot(project)}
    old_parent = project.parent_id
    for name, value in fields.items():
        if name in PROJECT_FIELDS:
            setattr(project, name, value)
    project.full_clean()
    project.save()
    if fields_of_action is not None:
        project.fields_of_action.set(fields_of_action)
    if tags is not None:
        project.tags.set(tags)
    if partner_towns is not None:
        _set_partners(project, partner_towns)
    # Its parent's progress follows its weight; a parent it left no longer counts it.
    project_facts_refresh(project_ids=[project.pk, old_parent])
    project.refresh_from_db(fields=FACT_FIELDS)
    record(
        ProjectEvent,
        municipality=acting_town,
        project=project,
        kind=ProjectEvent.Kind.CHANGED,
        by=by,
        before=before,
        after={**snapshot(project, PROJECT_FIELDS), **_related_snapshot(project)},
    )
    return project


@transaction.atomic
def project_transition(
    *,
    project: Project,
    to: str,
    by: User | None,
    acting_town: Municipality,
    reason: str = "",
    on: datetime.date | None = None,
) -> Project:
    """Move a project along the status workflow, recording who did it, when and why.

    Starting work sets the actual start and completing sets the actual end (to ``on``, default today)
    unless they were already recorded.
    """
    project_for_change(project=project, by=by, acting_town=acting_town)
    project = workflow.lock(project)
    reason = (reason or "").strip()
    project.check_transition(to)
    if Project.reason_required(project.status, to) and not reason:
        raise ValidationError(
            _("Please give a reason; it is shown with the new status."), code="reason_required"
        )
    on = on or timezone.localdate()
    before = snapshot(project, ("status", "actual_start", "actual_end"))
    project, old = workflow.transition(project, to=to, locked=True)
    project.status_reason = reason
    project.status_changed_at = timezone.now()
    if to == Project.Status.IN_PROGRESS and project.actual_start is None:
        project.actual_start = on
    if to == Project.Status.COMPLETED and project.actual_end is None:
        project.actual_end = max(on, project.actual_start) if project.actual_start else on
    if to == Project.Status.IN_PROGRESS and old == Project.Status.COMPLETED:
        project.actual_end = None  # re-opened: it has not ended after all
    project.full_clean()
    project.save()
    project_facts_refresh(project_ids=[project.pk])
    project.refresh_from_db(fields=FACT_FIELDS)
    event = record(
        ProjectEvent,
        municipality=acting_town,
        project=project,
        kind=ProjectEvent.Kind.STATUS,
        by=by,
        reason=reason,
        before=before,
        after=snapshot(project, ("status", "actual_start", "actual_end")),
    )
    project_status_changed.send(sender=Project, project=project, event=event)
    return project


# --- Progress updates ------------------------------------------------------------------------------------


def _check_update_fields(project: Project, fields: dict[str, Any]) -> None:
    if fields.get("progress_percent") is not None and project.children.exists():
        raise ValidationError(
            {
                "progress_percent": _(
                    "This project has sub-projects; its progress is derived from theirs and cannot be typed in."
                )
            }
        )


@transaction.atomic
def progress_update_post(
    *, project: Project, by: User | None, acting_town: Municipality, fields: dict[str, Any]
) -> ProgressUpdate:
    """Post an update. ``acting_town`` is the lead or a partner town whose staff posts it."""
    project_for_update(project=project, by=by, acting_town=acting_town)
    _check_update_fields(project, fields)
    update = ProgressUpdate(
        project=project,
        municipality=acting_town,
        author=by,
        **{k: v for k, v in fields.items() if k in UPDATE_FIELDS},
    )
    _create_and_record(
        update,
        allowed=UPDATE_FIELDS,
        project=project,
        kind=ProjectEvent.Kind.UPDATE_POSTED,
        by=by,
        acting_town=acting_town,
        subject_field="title",
    )
    project_facts_refresh(project_ids=[project.pk])
    return update


@transaction.atomic
def progress_update_change(
    *, update: ProgressUpdate, by: User | None, acting_town: Municipality, fields: dict[str, Any]
) -> ProgressUpdate:
    progress_update_for_change(update=update, by=by)
    _check_update_fields(update.project, fields)
    _change_and_record(
        update,
        allowed=UPDATE_FIELDS,
        fields=fields,
        project=update.project,
        kind=ProjectEvent.Kind.UPDATE_CHANGED,
        by=by,
        acting_town=acting_town,
        subject=fields.get("title") or update.title,
    )
    project_facts_refresh(project_ids=[update.project_id])
    return update


@transaction.atomic
def progress_update_delete(*, update: ProgressUpdate, by: User | None, acting_town: Municipality) -> None:
    progress_update_for_change(update=update, by=by)
    record(
        ProjectEvent,
        municipality=acting_town,
        project=update.project,
        kind=ProjectEvent.Kind.UPDATE_DELETED,
        by=by,
        subject=update.title,
        before=snapshot(update, UPDATE_FIELDS),
    )
    project_id = update.project_id
    update.delete()
    project_facts_refresh(project_ids=[project_id])


# --- KPIs ------------------------------------------------------------------------------------------------


@transaction.atomic
def indicator_create(
    *, project: Project, by: User | None, acting_town: Municipality, fields: dict[str, Any]
) -> Indicator:
    project_for_change(project=project, by=by, acting_town=acting_town)
    indicator = Indicator(
        project=project,
        municipality_id=project.municipality_id,
        **{k: v for k, v in fields.items() if k in INDICATOR_FIELDS},
    )
    return _create_and_record(
        indicator,
        allowed=INDICATOR_FIELDS,
        project=project,
        kind=ProjectEvent.Kind.INDICATOR_ADDED,
        by=by,
        acting_town=acting_town,
        subject_field="name",
    )


@transaction.atomic
def indicator_change(
    *, indicator: Indicator, by: User | None, acting_town: Municipality, fields: dict[str, Any]
) -> Indicator:
    project_for_change(project=indicator.project, by=by, acting_town=acting_town)
    return _change_and_record(
        indicator,
        allowed=INDICATOR_FIELDS,
        fields=fields,
        project=indicator.project,
        kind=ProjectEvent.Kind.INDICATOR_CHANGED,
        by=by,
        acting_town=acting_town,
        subject=fields.get("name") or indicator.name,
    )


@transaction.atomic
def indicator_delete(*, indicator: Indicator, by: User | None, acting_town: Municipality) -> None:
    project_for_change(project=indicator.project, by=by, acting_town=acting_town)
    count = indicator.measurements.count()
    record(
        ProjectEvent,
        municipality=acting_town,
        project=indicator.project,
        kind=ProjectEvent.Kind.INDICATOR_DELETED,
        by=by,
        subject=indicator.name,
        before=snapshot(indicator, INDICATOR_FIELDS),
        changes={"measurements": [str(count), "0"]},
    )
    indicator.delete()


@transaction.atomic
def measurement_record(
    *,
    indicator: Indicator,
    by: User | None,
    acting_town: Municipality,
    measured_on: datetime.date,
    value: Decimal | str,
    note: str = "",
) -> Measurement:
    """Record a value for a date; a second value for the same date replaces the first (and says so)."""
    project_for_change(project=indicator.project, by=by, acting_town=acting_town)
    existing = Measurement.objects.filter(indicator=indicator, measured_on=measured_on).first()
    old_value = "" if existing is None else str(existing.value)
    measurement = existing or Measurement(
        indicator=indicator, municipality_id=indicator.municipality_id, measured_on=measured_on
    )
    measurement.value = value
    measurement.note = note
    measurement.recorded_by = by if by and by.is_authenticated else None
    measurement.full_clean()
    measurement.save()
    record(
        ProjectEvent,
        municipality=acting_town,
        project=indicator.project,
        kind=ProjectEvent.Kind.MEASUREMENT_ADDED,
        by=by,
        subject=f"{indicator.name} ({measured_on.isoformat()})",
        changes={"value": [old_value, str(measurement.value)]},
    )
    return measurement


@transaction.atomic
def measurement_delete(*, measurement: Measurement, by: User | None, acting_town: Municipality) -> None:
    indicator = measurement.indicator
    project_for_change(project=indicator.project, by=by, acting_town=acting_town)
    record(
        ProjectEvent,
        municipality=acting_town,
        project=indicator.project,
        kind=ProjectEvent.Kind.MEASUREMENT_DELETED,
        by=by,
        subject=f"{indicator.name} ({measurement.measured_on.isoformat()})",
        changes={"value": [str(measurement.value), ""]},
    )
    measurement.delete()


# --- Files -----------------------------------------------------------------------------------------------


@transaction.atomic
def project_file_add(
    *,
    project: Project,
    by: User | None,
    acting_town: Municipality,
    upload: UploadedFile,
    kind: str,
    title: str,
    alt_text: str = "",
    is_public: bool = True,
    content_type: str,
) -> ProjectFile:
    """Store a checked upload (see :mod:`projects.uploads`) with the project."""
    project_for_change(project=project, by=by, acting_town=acting_town)
    item = ProjectFile(  # type: ignore[misc]  # a checked upload has its size
        project=project,
        municipality_id=project.municipality_id,
        kind=kind,
        title=title,
        alt_text=alt_text,
        is_public=is_public,
        content_type=content_type,
        size=upload.size,
        uploaded_by=by,
    )
    item.file.save(upload.name, upload, save=False)
    try:
        item.full_clean(exclude=["file"])
        item.save()
    except Exception:
        item.file.delete(save=False)
        raise
    record(
        ProjectEvent,
        municipality=acting_town,
        project=project,
        kind=ProjectEvent.Kind.FILE_ADDED,
        by=by,
        subject=title,
        changes={"file": ["", f"{title} ({item.get_kind_display()})"]},
    )
    return item


@transaction.atomic
def project_file_delete(*, item: ProjectFile, by: User | None, acting_town: Municipality) -> None:
    project_for_change(project=item.project, by=by, acting_town=acting_town)
    record(
        ProjectEvent,
        municipality=acting_town,
        project=item.project,
        kind=ProjectEvent.Kind.FILE_DELETED,
        by=by,
        subject=item.title,
        changes={"file": [f"{item.title} ({item.get_kind_display()})", ""]},
    )
    storage, name = item.file.storage, item.file.name
    item.delete()
    # Remove the bytes only once the row is gone for good.
    transaction.on_commit(lambda: storage.delete(name))


# --- Strategies ------------------------------------------------------------------------------------------

STRATEGY_FIELDS = ("title", "adopted_on", "resolution_url", "summary")


@transaction.atomic
def strategy_save(
    *,
    municipality: Municipality,
    kind: str,
    fields: dict[str, Any],
    fields_of_action: Iterable[FieldOfAction] | None = None,
    document: UploadedFile | None = None,
    remove_document: bool = False,
) -> Strategy:
    """Create or change the town's strategy (or, for the lead town, the consortium's joint strategy)."""
    strategy = Strategy.objects.filter(municipality=municipality, kind=kind).first() or Strategy(
        municipality=municipality, kind=kind
    )
    for name, value in fields.items():
        if name in STRATEGY_FIELDS:
            setattr(strategy, name, value)
    strategy.full_clean(exclude=["document"])
    old_document = strategy.document.name if strategy.document else ""
    if document is not None:
        strategy.document.save(document.name, document, save=False)
    elif remove_document:
        strategy.document = ""
    strategy.save()
    if fields_of_action is not None:
        strategy.fields_of_action.set(fields_of_action)
    if old_document and (document is not None or remove_document):
        storage = strategy.document.storage
        transaction.on_commit(lambda: storage.delete(old_document))
    return strategy
