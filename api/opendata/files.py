"""The open data files: built by the worker when the data behind a dataset change (and nightly), kept in the default
storage under stable names (``opendata/<town slug|region>/<dataset>.csv|.json``) and sent as files, so that a
download never assembles thousands of rows inside a web request.

* A change: every write of the projects and participation services sends a signal inside its transaction
  (``projects.signals.project_changed``, ``participation.signals.participation_changed``); :func:`data_changed`
  records an :class:`~api.models.OpenDataChange` in that transaction and hands a build to the worker after commit
  (:func:`build_after_commit`, the one hand-over).
* A build (:func:`build_dataset`) holds the dataset's :class:`~api.models.OpenDataBuild` row locked, so at most one
  build of a dataset runs at a time; builds asked for meanwhile return at once, and the changes they were about are
  covered by the running build's next round or by the sweep (beat, every few minutes). It writes every file of the
  dataset (region and each active town × CSV and JSON), then deletes the changes it saw.
* A file is replaced atomically (written beside it, then renamed over it), so a reader gets the old file or the
  new one, never half of one; the row keeps the validators (ETag, Last-Modified) and the file name.
* A file never built (a fresh install, a town just activated) is built by the first request for it, once, under
  the same lock; a request meanwhile gets 503 with Retry-After (``downloads.being_built``).
* The DCAT-AP.de catalogue (``opendata/catalog.jsonld`` and ``opendata/catalog.rdf``, RDF/XML) is built after every
  dataset's build, the same way.
"""

import datetime
import json
import logging
import os
import tempfile
from collections.abc import Callable
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from municipalities.models import Municipality

from ..models import REGION, OpenDataBuild, OpenDataChange, OpenDataFile, scope_key
from . import selectors
from .datasets import DATASETS, FORMATS, Dataset, file_name
from .dcat import Dates, catalogue
from .downloads import content_etag, dataset_etag, write_download
from .rdf import rdf_xml

logger = logging.getLogger(__name__)

#: How often a build runs again at once for changes that came in while it ran; more are left to the sweep.
FOLLOW_UP_ROUNDS = 3


# --- Changes ---------------------------------------------------------------------------------------------


def data_changed(*datasets: str) -> None:
    """The data behind these datasets changed: call inside the transaction of the change. The mark is committed
    with the change; the build is handed to the worker once it has committed.

    A transaction that marked a dataset already and still waits for its build's hand-over marks it only once: that
    build runs after the commit and covers every change of the transaction (loading the demo, one transaction,
    called this 1,407 times and handed over 1,744 builds; now 3)."""
    from ..tasks import opendata_build

    due = [key for key in datasets if not opendata_build.waiting_for_commit(dataset=key)]
    if not due:
        return
    OpenDataChange.objects.bulk_create([OpenDataChange(dataset=key) for key in due])
    for key in due:
        build_after_commit(key)


def data_changed_for_the_sweep(dataset: str) -> None:
    """The data behind a dataset changed, and a build within minutes is soon enough (a survey's responses, many
    in a campaign): the change is marked with the caller's transaction, once while one is waiting, and the beat's
    sweep (``opendata_refresh``, every few minutes) builds it; no build is handed over per change."""
    if not OpenDataChange.objects.filter(dataset=dataset).exists():
        OpenDataChange.objects.create(dataset=dataset)


def build_after_commit(dataset: str) -> None:
    """The one place that hands a build to the worker (through the outbox, with the caller's transaction)."""
    from ..tasks import opendata_build

    opendata_build.delay_on_commit(dataset=dataset)


def pending(dataset: str) -> bool:
    return OpenDataChange.objects.filter(dataset=dataset).exists()


# --- Building --------------------------------------------------------------------------------------------


def storage_name(dataset: Dataset, municipality: Municipality | None, file_format: str) -> str:
    return f"opendata/{municipality.slug if municipality else REGION}/{dataset.file_stem}.{file_format}"


def _store(name: str, write: Callable[[BinaryIO], None]) -> tuple[str, int]:
    """Write a file under ``name`` in the default storage, replacing the one there at once; returns the stored name
    and the size."""
    storage = default_storage
    try:
        target = storage.path(name)
    except NotImplementedError:
        target = None
    if target is None:  # a remote storage: it replaces an object whole on save
        with tempfile.TemporaryFile() as out:
            write(out)
            out.seek(0)
            storage.delete(name)
            stored = storage.save(name, File(out, name=os.path.basename(name)))
            return stored, storage.size(stored)
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=directory, prefix=".building-", suffix="-" + os.path.basename(target)
    )
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.chmod(temporary, settings.FILE_UPLOAD_PERMISSIONS or 0o644)
        os.replace(temporary, target)  # atomic: readers holding the old file keep reading it
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return name, os.path.getsize(target)


def build_file(dataset: Dataset, municipality: Municipality | None, file_format: str) -> OpenDataFile:
    """Build one file in its scope (the town's, or ``public_region_scope()``), store it and record its
    validators."""
    return build_files(dataset, municipality, (file_format,))[0]


def build_files(
    dataset: Dataset, municipality: Municipality | None, file_formats: tuple[str, ...] = FORMATS
) -> list[OpenDataFile]:
    """Build the dataset's files of these formats in one scope (the town's, or ``public_region_scope()``), store
    them and record their validators. The freshness is read once, before the rows, so a change in between only
    makes the files newer than their ETags say, and that change has its own build coming."""
    built = []
    with selectors.scope_of(municipality):
        freshness = dataset.freshness()
        for file_format in file_formats:
            content = {}

            def write(out, file_format=file_format, content=content):
                content["digest"] = write_download(out, dataset, file_format, municipality)

            name, size = _store(storage_name(dataset, municipality, file_format), write)
            built.append((file_format, name, size, content["digest"]))
    return [
        _record(
            key={"dataset": dataset.key, "scope": scope_key(municipality), "file_format": file_format},
            name=name,
            size=size,
            download_name=file_name(dataset, municipality, file_format),
            etag=dataset_etag(dataset, file_format, municipality, freshness, digest),
            last_modified=freshness.last_modified,
        )
        for file_format, name, size, digest in built
    ]


def _record(*, key: dict, name: str, size: int, download_name: str, etag: str, last_modified) -> OpenDataFile:
    """Record a stored file with its validators."""
    now = timezone.now()
    previous = OpenDataFile.objects.filter(**key).values("etag", "last_modified").first()
    if previous and previous["etag"] == etag:
        last_modified = previous[
            "last_modified"
        ]  # the same rows: the date stays (it may be a build's, below)
    elif (
        previous
        and previous["last_modified"]
        and (last_modified is None or last_modified <= previous["last_modified"])
    ):
        # Rows left the file (hidden, unpublished, deleted): no remaining row is newer, yet the file changed, so
        # If-Modified-Since must not answer 304. The file is dated by this build.
        last_modified = now
    stored, _created = OpenDataFile.objects.update_or_create(
        **key,
        defaults={
            "file": name,
            "size": size,
            "built_at": now,
            "download_name": download_name,
            "etag": etag,
            "last_modified": last_modified,
        },
        create_defaults={
            "file": name,
            "size": size,
            "built_at": now,
            "download_name": download_name,
            "etag": etag,
            "last_modified": last_modified,
            "issued_at": now,
        },
    )
    return stored


CATALOGUE = "catalog"
CATALOGUE_FORMATS = ("jsonld", "rdf")


def catalogue_key(file_format: str) -> dict:
    return {"dataset": CATALOGUE, "scope": REGION, "file_format": file_format}


def catalogue_contents(file_dates: dict | None = None) -> tuple[dict[str, bytes], datetime.datetime | None]:
    """The catalogue as JSON-LD and as RDF/XML (format → bytes), and its newest ``dct:modified``."""
    body = catalogue(file_dates)
    newest = body.get("dct:modified")
    return (
        {"jsonld": json.dumps(body, ensure_ascii=False, indent=1).encode(), "rdf": rdf_xml(body)},
        datetime.datetime.fromisoformat(newest["@value"]) if newest else None,
    )


def build_catalogue() -> OpenDataFile:
    """Build the DCAT-AP.de catalogue (``opendata/catalog.jsonld`` and the same graph as ``opendata/catalog.rdf``):
    after every dataset's build, since it dates each dataset of each town as its built files are dated (first
    built: ``dct:issued``; last changed: ``dct:modified``). Returns the JSON-LD file's row."""
    issued, modified = {}, {}
    for row in OpenDataFile.objects.exclude(dataset=CATALOGUE).values(
        "scope", "dataset", "issued_at", "last_modified"
    ):
        key = (row["scope"], row["dataset"])
        issued[key] = min(issued.get(key, row["issued_at"]), row["issued_at"])
        if row["last_modified"] is not None:
            modified[key] = max(modified.get(key, row["last_modified"]), row["last_modified"])
    file_dates = {key: Dates(issued=issued[key], modified=modified.get(key)) for key in issued}
    contents, newest = catalogue_contents(file_dates)
    stored = {}
    for file_format in CATALOGUE_FORMATS:
        content = contents[file_format]
        name, size = _store(
            f"opendata/{CATALOGUE}.{file_format}",
            lambda out, content=content: out.write(content),  # type: ignore[misc]  # a lambda with a default
        )
        stored[file_format] = _record(
            key=catalogue_key(file_format),
            name=name,
            size=size,
            download_name=f"{CATALOGUE}.{file_format}",
            etag=content_etag(content),
            last_modified=newest,
        )
    return stored["jsonld"]


def _ensure_lock_row(dataset: str) -> None:
    # Before the build's transaction: a second build inserting the same new row would wait for the first to end.
    OpenDataBuild.objects.bulk_create([OpenDataBuild(dataset=dataset)], ignore_conflicts=True)


def _lock(dataset: str) -> OpenDataBuild | None:
    """The dataset's build lock for the current transaction, or ``None`` while another build holds it."""
    return OpenDataBuild.objects.select_for_update(skip_locked=True).filter(dataset=dataset).first()


def build_dataset(dataset: str, *, force: bool = False) -> bool:
    """Build every file of a dataset (the region and each active town, CSV and JSON) if changes are pending (or
    ``force``); returns whether it built. Returns at once when another build of the dataset is running."""
    spec = DATASETS[dataset]
    _ensure_lock_row(dataset)
    with transaction.atomic():
        lock = _lock(dataset)
        if lock is None:
            return False
        seen = list(OpenDataChange.objects.filter(dataset=dataset).values_list("pk", flat=True))
        if not seen and not force:
            return False
        started = timezone.now()
        towns = list(Municipality.objects.active().order_by("slug"))
        for town in (None, *towns):
            build_files(spec, town)
        build_catalogue()
        OpenDataChange.objects.filter(pk__in=seen).delete()
        lock.built_at = timezone.now()
        lock.save(update_fields=["built_at"])
    logger.info(
        "Open data %s built for the region and %d towns in %.1f s.",
        dataset,
        len(towns),
        (timezone.now() - started).total_seconds(),
    )
    return True


def build_dataset_until_current(dataset: str, *, force: bool = False) -> int:
    """:func:`build_dataset`, then again while changes came in during the build (a few rounds; the sweep takes the
    rest). Returns how many builds ran."""
    builds = 0
    while build_dataset(dataset, force=force and builds == 0):
        builds += 1
        if builds > FOLLOW_UP_ROUNDS or not pending(dataset):
            break
    return builds


# --- Serving ---------------------------------------------------------------------------------------------


def stored_file(dataset: Dataset, municipality: Municipality | None, file_format: str) -> OpenDataFile | None:
    """The built file to send. One never built is built now, by this request, under the dataset's lock (a fresh
    install has little data, and nobody is left with an error); ``None`` while another build holds the lock."""
    wanted = {"dataset": dataset.key, "scope": scope_key(municipality), "file_format": file_format}
    stored = OpenDataFile.objects.filter(**wanted).first()
    if stored is not None:
        return stored
    _ensure_lock_row(dataset.key)
    with transaction.atomic():
        if _lock(dataset.key) is None:
            return None
        return OpenDataFile.objects.filter(**wanted).first() or build_file(dataset, municipality, file_format)


def stored_catalogue(file_format: str = "jsonld") -> OpenDataFile | None:
    """The built catalogue (``jsonld`` or ``rdf``); one never built is built now, as :func:`stored_file` does."""
    wanted = catalogue_key(file_format)
    stored = OpenDataFile.objects.filter(**wanted).first()
    if stored is not None:
        return stored
    _ensure_lock_row(CATALOGUE)
    with transaction.atomic():
        if _lock(CATALOGUE) is None:
            return None
        if OpenDataFile.objects.filter(**wanted).first() is None:
            build_catalogue()
        return OpenDataFile.objects.filter(**wanted).first()


def forget(stored: OpenDataFile) -> None:
    """A row whose file the storage no longer has: dropped, so that the file is built again."""
    logger.warning("Open data file %s is missing from the storage; it is built again.", stored.file.name)
    OpenDataFile.objects.filter(pk=stored.pk).delete()
