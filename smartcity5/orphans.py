"""Uploaded files that no row refers to any more ("orphans"), and their removal.

A file is written to the storage before its row is committed. When the transaction rolls back afterwards (a
service refuses the change, the database fails), Django leaves the file behind, and a citizen's photo or a town's
document would stay on the disk without any purpose: against data minimisation (DSGVO). Deletions normally remove
their files after commit; a file that a failed deletion left behind is an orphan too.

:func:`orphan_files_purge` walks the default storage and deletes every file that no ``FileField`` of any model
names and that is older than ``UPLOAD_ORPHAN_GRACE_HOURS`` (so that a file whose row is still being written is
never taken). The beat job ``municipalities.tasks.orphan_files_purge`` runs it daily.
"""

import logging
from collections.abc import Iterator
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import models
from django.utils import timezone
from django_scopes import scopes_disabled

logger = logging.getLogger(__name__)


def file_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) that keeps an uploaded or generated file."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]


def referenced_names() -> set[str]:
    """The storage names of every file a row refers to, in every town."""
    names: set[str] = set()
    with scopes_disabled():
        for model, name in file_fields():
            names.update(
                model._base_manager.exclude(**{name: ""})
                .exclude(**{f"{name}__isnull": True})
                .values_list(name, flat=True)
            )
    return names


def stored_names(storage: Storage, path: str = "") -> Iterator[str]:
    """Every file below ``path`` in ``storage``, as storage names."""
    try:
        directories, files = storage.listdir(path)
    except FileNotFoundError:
        return
    for file in files:
        yield f"{path}/{file}" if path else file
    for directory in directories:
        yield from stored_names(storage, f"{path}/{directory}" if path else directory)


def orphan_files_purge(*, storage: Storage | None = None, now=None) -> list[str]:
    """Delete the files no row refers to that are older than the grace period; returns their names."""
    storage = storage or default_storage
    cutoff = (now or timezone.now()) - timedelta(hours=settings.UPLOAD_ORPHAN_GRACE_HOURS)
    # The rows are read first: a file stored after this moment is younger than the cutoff anyway.
    referenced = referenced_names()
    deleted = []
    for name in stored_names(storage):
        if name in referenced or storage.get_modified_time(name) >= cutoff:
            continue
        storage.delete(name)
        deleted.append(name)
    if deleted:
        logger.info("Deleted %d orphaned upload file(s).", len(deleted))
    return deleted
