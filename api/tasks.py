"""Tasks of the API app: building the open data files (``api.opendata.files``)."""

from celery import shared_task

from municipalities.tasks import TRANSIENT_ERRORS

from .opendata import files as opendata_files
from .opendata.datasets import DATASETS

# Retried with backoff: the transient errors of every task (database, broker, network), and the file storage.
BUILD_TRANSIENT_ERRORS = (*TRANSIENT_ERRORS, OSError)


@shared_task(
    autoretry_for=BUILD_TRANSIENT_ERRORS,
    retry_backoff=15,
    retry_backoff_max=300,
    max_retries=5,
    soft_time_limit=600,
    time_limit=660,
)
def opendata_build(*, dataset: str, force: bool = False) -> int:
    """Build a dataset's files if changes are pending (or ``force``). Idempotent: a second delivery finds nothing
    pending, or the lock taken, and returns. Returns how many builds ran."""
    if dataset not in DATASETS:
        return 0
    return opendata_files.build_dataset_until_current(dataset, force=force)


@shared_task(
    autoretry_for=BUILD_TRANSIENT_ERRORS, retry_backoff=60, max_retries=3, soft_time_limit=600, time_limit=660
)
def opendata_refresh(*, force: bool = False) -> int:
    """Platform job (beat): every few minutes, build the datasets with changes a build has not covered yet (a lost
    hand-over, a change during a build); at night with ``force``, every file, so that what no service reports (a
    town renamed, a field of action edited in the admin) reaches the files within a day."""
    return sum(opendata_files.build_dataset_until_current(key, force=force) for key in DATASETS)
