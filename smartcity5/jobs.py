"""Jobs that the worker builds for a person (reports, data exports): heartbeats, attempts, the sweep that
hands a job whose worker died to the worker again or marks it failed with a reason, and the generated file
such a job makes (:class:`GeneratedFile`: status, progress, expiry, the build, the download and the purge).

A job is a row of a model derived from :class:`TrackedJob` (status ``queued`` → ``running`` → ``done`` or
``failed``). While a task works on it, the row's ``heartbeat_at`` is renewed at each progress step and by a
small thread at least every ``JOB_HEARTBEAT_TIMEOUT / 4`` seconds. A worker that is killed (SIGKILL, OOM, the
machine gone) stops beating; its message stays unacknowledged in Redis until the broker's visibility timeout,
far too long for someone waiting on the page. So the beat job ``municipalities.tasks.stuck_jobs_sweep`` runs
every minute and, for each running job whose heartbeat is older than ``JOB_HEARTBEAT_TIMEOUT``, either hands
it to the worker again (while fewer than ``JOB_MAX_ATTEMPTS`` attempts were started) or marks it failed with
a reason the person reads on the page. A request for the same job never gets a stuck one back
(:func:`job_recover_if_stuck`). The tasks are idempotent (row lock, status check), so a job handed over twice,
or a late redelivery of the old message, builds and tells nothing twice.
"""

import datetime
import functools
import logging
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connections, models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from smartcity5.constraints import CheckConstraint

logger = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
OPEN = (QUEUED, RUNNING)


class TrackedJob(models.Model):
    """Heartbeat and attempts of a job row; the model keeps its own ``status``, ``error``, ``created_at`` and
    ``finished_at`` fields and names the task that builds it."""

    heartbeat_at = models.DateTimeField(
        _("last sign of life"),
        null=True,
        blank=True,
        help_text=_("Renewed by the worker while it builds the job."),
    )
    attempts = models.PositiveSmallIntegerField(
        _("attempts"), default=0, help_text=_("How often a worker has started building the job.")
    )

    #: The dotted path of the task that builds the job; it takes :meth:`job_task_kwargs`.
    JOB_TASK = ""

    if TYPE_CHECKING:
        # The fields every job model declares itself (with its own choices and labels); the lookups below write
        # them in a ``Q``, which the type checker does not resolve against this abstract model.
        status: str
        error: str
        finished_at: datetime.datetime | None

    class Meta:
        abstract = True

    def job_task_kwargs(self) -> dict:
        raise NotImplementedError


def job_models() -> list[type[TrackedJob]]:
    """Every model whose rows are jobs (a new kind of job is swept without being listed anywhere)."""
    return [model for model in apps.get_models() if issubclass(model, TrackedJob)]


def heartbeat_timeout() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT)


def heartbeat_interval() -> float:
    """How often the heartbeat thread writes: four beats fit into the timeout, so a busy database or a long
    garbage collection does not make a living job look dead."""
    return max(0.5, settings.JOB_HEARTBEAT_TIMEOUT / 4)


def interrupted_reason(attempts: int) -> str:
    """What the page says about a job whose worker stopped too often, in the portal's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return ngettext(
            "Generating it was interrupted because the background service stopped, and it did not succeed in "
            "%(attempts)d attempt. Please ask for it again; if this happens again, tell the administrators.",
            "Generating it was interrupted because the background service stopped, and it did not succeed in "
            "%(attempts)d attempts. Please ask for it again; if this happens again, tell the administrators.",
            attempts,
        ) % {"attempts": attempts}


def _fail(job: TrackedJob, now: datetime.datetime) -> None:
    job.status, job.error, job.finished_at = FAILED, interrupted_reason(job.attempts), now
    job.save(update_fields=["status", "error", "finished_at"])
    logger.error("%s %s given up after %d interrupted attempts", type(job).__name__, job.pk, job.attempts)


def job_begin(job: TrackedJob) -> bool:
    """Start one more attempt on a job whose row the caller has locked (``select_for_update``): mark it running,
    count the attempt, renew the heartbeat (the caller saves ``status``, ``attempts`` and ``heartbeat_at`` with
    its own fields). False when there is nothing to do: the job is done or failed, or it was already started as
    often as allowed and is marked failed now (a job that kills its worker each time is not tried for ever)."""
    if job.status not in OPEN:
        return False
    now = timezone.now()
    if job.status == RUNNING and job.attempts >= settings.JOB_MAX_ATTEMPTS:
        _fail(job, now)
        return False
    job.status, job.attempts, job.heartbeat_at = RUNNING, job.attempts + 1, now
    return True


def job_beat(model: type[TrackedJob], pk: int, **changes) -> None:
    """Renew the heartbeat of a running job (with ``changes``, e.g. its progress, in the same UPDATE)."""
    model._base_manager.filter(Q(pk=pk, status=RUNNING)).update(heartbeat_at=timezone.now(), **changes)


def _in_worker() -> bool:
    """Whether the code runs in a task that a worker took from the broker (not eager, not called directly)."""
    from celery import current_task

    return (
        bool(current_task) and not current_task.request.is_eager and not current_task.request.called_directly
    )


def job_release(model: type[TrackedJob], pk: int) -> None:
    """A transient error stopped this attempt and Celery retries it after a countdown: put the job back in the
    queue, so the retry starts it afresh and the sweep does not take the countdown for a dead worker.

    Best effort: the error may have been the database itself. A connection that broke is closed first (in the
    worker only; eager runs share the caller's connection), so this write, and the retry, get a fresh one."""
    try:
        if _in_worker():
            for connection in connections.all(initialized_only=True):
                connection.close_if_unusable_or_obsolete()
        model._base_manager.filter(Q(pk=pk, status=RUNNING)).update(
            status=QUEUED, heartbeat_at=timezone.now()
        )
    except DatabaseError as exc:
        logger.warning("%s %s stays running until its retry: %s", model.__name__, pk, exc)


class heartbeat:  # noqa: N801 - used like a function: ``with heartbeat(ReportRequest, pk):``
    """Renew the job's heartbeat every :func:`heartbeat_interval` seconds while the block runs, from a thread
    with its own database connection (a PDF renders for a while without a progress step). In a worker only:
    eager runs (``make run``, ordinary tests) have no worker that could die."""

    def __init__(self, model: type[TrackedJob], pk: int):
        self.model, self.pk = model, pk
        self.stop = threading.Event()
        self.thread = None

    def __enter__(self):
        if _in_worker():
            self.thread = threading.Thread(
                target=self._run, name=f"heartbeat-{self.model.__name__}-{self.pk}", daemon=True
            )
            self.thread.start()
        return self

    def __exit__(self, *exc_info):
        if self.thread is not None:
            self.stop.set()
            self.thread.join(timeout=10)
        return False

    def _run(self) -> None:
        try:
            while not self.stop.wait(heartbeat_interval()):
                try:
                    job_beat(self.model, self.pk)
                except DatabaseError as exc:  # the database restarts: try again with a new connection
                    logger.warning("Heartbeat of %s %s not written: %s", self.model.__name__, self.pk, exc)
                    connections.close_all()
        finally:
            connections.close_all()  # this thread's own connections


def job_hand_over(job: TrackedJob) -> None:
    """Hand a job to the worker (again) through the transactional outbox, with the caller's transaction. The one
    place where the sweep enqueues."""
    import_string(job.JOB_TASK).delay_on_commit(**job.job_task_kwargs())


def _stale(now: datetime.datetime) -> Q:
    cutoff = now - heartbeat_timeout()
    # A row from before heartbeats existed, or one whose first beat never came, counts from its request.
    return Q(status=RUNNING) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )


def job_recover(model: type[TrackedJob], pk: int) -> str | None:
    """If the job is stuck (running, heartbeat older than ``JOB_HEARTBEAT_TIMEOUT``), hand it to the worker
    again while attempts remain, else mark it failed with the reason. Returns the job's new status, or None
    when it was not stuck (any more: the row is checked again under its lock)."""
    with transaction.atomic():
        now = timezone.now()
        job = model._base_manager.select_for_update().filter(_stale(now), pk=pk).first()
        if job is None:
            return None
        if job.attempts >= settings.JOB_MAX_ATTEMPTS:
            _fail(job, now)
            return FAILED
        job.status, job.heartbeat_at = QUEUED, now
        job.save(update_fields=["status", "heartbeat_at"])
        job_hand_over(job)
        logger.warning(
            "%s %s: worker stopped beating during attempt %d; handed to the worker again",
            model.__name__,
            pk,
            job.attempts,
        )
        return QUEUED


def job_recover_if_stuck(job: TrackedJob) -> str:
    """The status a new request may rely on: a stuck job is recovered first (:func:`job_recover`), so the
    caller never answers with a job nobody works on; ``failed`` means "make a new one"."""
    if job.status != RUNNING:
        return job.status
    if job_recover(type(job), job.pk) is not None:
        job.refresh_from_db()
    return job.status


def stuck_jobs_sweep() -> dict[str, int]:
    """Recover every stuck job of every kind; returns how many were handed over again and how many failed."""
    counts = {QUEUED: 0, FAILED: 0}
    now = timezone.now()
    for model in job_models():
        for pk in model._base_manager.filter(_stale(now)).values_list("pk", flat=True):
            status = job_recover(model, pk)
            if status is not None:
                counts[status] += 1
    return {"handed_over": counts[QUEUED], "failed": counts[FAILED]}


# --- Generated files (reports, data exports) -------------------------------------------------------------------

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}


class JobError(Exception):
    """The file cannot be made from the data as it is; the message says why, for the person who asked. The job
    fails at once, without retries."""


def generated_file_path(instance: "GeneratedFile", filename: str) -> str:
    # A random name: generated files hold internal or personal data, so their address must not be guessable.
    return f"{instance.FILE_FOLDER}/{uuid.uuid4().hex}.{instance.file_format}"


class GeneratedFile(TrackedJob):
    """A file the worker generates for a person and offers for download until it expires (pretix's
    ``CachedFile``, Saleor's ``core.Job``): status, progress, the reason of a failure, the file, its size and
    expiry live here once; a model declares only what differs (what the file is about, its folder, lifetime,
    format, download name, and whether its row outlives the file as a record, :attr:`KEEP_ROWS`).

    The task that builds it calls :func:`job_build` with the content per kind; the view sends it with
    :func:`job_download`; beat deletes expired files with :func:`generated_files_purge`."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being generated")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    OPEN = (Status.QUEUED, Status.RUNNING)

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.TextField(_("reason for the failure"), blank=True)
    file = models.FileField(_("file"), upload_to=generated_file_path, blank=True, max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("available until"))

    #: The storage folder of the files (``reports``, ``exports``).
    FILE_FOLDER = ""
    #: The task keyword that carries the row's id (``report_id``, ``export_id``).
    JOB_ID_KWARG = ""
    #: Whether the purge keeps the row as the record of who asked for what (it deletes the file only).
    KEEP_ROWS = False

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]
        constraints = [
            CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            CheckConstraint(condition=Q(progress__lte=100), name="%(app_label)s_%(class)s_progress_percent"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="%(app_label)s_%(class)s_expiry")]

    def job_task_kwargs(self) -> dict:
        return {self.JOB_ID_KWARG: self.pk}

    @classmethod
    def lifetime(cls) -> datetime.timedelta:
        """How long a finished file stays available."""
        raise NotImplementedError

    @property
    def file_format(self) -> str:
        """The file's extension (``pdf``, ``xlsx``, ``zip``)."""
        raise NotImplementedError

    def download_name(self) -> str:
        """The file name offered to the browser."""
        raise NotImplementedError

    @classmethod
    def failure_reason(cls, exc: BaseException) -> str:
        """What the page says about a job that failed with ``exc``, in the portal's language."""
        from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

        from municipalities.tasks import TRANSIENT_ERRORS

        with translation.override(settings.LANGUAGE_CODE):
            if isinstance(exc, JobError):
                return str(exc)
            if isinstance(exc, SoftTimeLimitExceeded | TimeLimitExceeded):
                return cls.time_limit_reason()
            if isinstance(exc, TRANSIENT_ERRORS):
                return gettext(
                    "A service the portal needs (database, file storage or mail) could not be reached, "
                    "even after several attempts. Please try again later."
                )
            return gettext(
                "An unexpected error occurred (%(error)s). The administrators can find the details in "
                "the log."
            ) % {"error": type(exc).__name__}

    @classmethod
    def time_limit_reason(cls) -> str:
        return gettext("Generating the file took too long and was stopped. Please try again later.")

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.file_format]

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_available(self) -> bool:
        return self.status == self.Status.DONE and bool(self.file) and not self.is_expired


def job_progress(model: type[GeneratedFile], pk: int, percent: int) -> None:
    """Record how far the task has come, with a heartbeat; written at once (autocommit in the worker), so the
    page sees it. 100 % is written only with the file (:func:`job_build`)."""
    job_beat(model, pk, progress=max(0, min(int(percent), 99)))


def job_mark_failed(model: type[GeneratedFile], pk: int | None, reason: str) -> bool:
    """The job cannot be finished: say why, so the person can fix it or ask again."""
    return bool(
        model._base_manager.filter(pk=pk, status__in=model.OPEN).update(
            status=model.Status.FAILED, error=reason[:2000], finished_at=timezone.now()
        )
    )


class GeneratedFileTask:
    """Mixin of the task class that builds a :class:`GeneratedFile` (``class ReportTask(GeneratedFileTask,
    TownTask)``): once the task gives up (an error that is not retried, retries used up, the time limit) the job
    is marked failed with the reason, so the page stops waiting and says why."""

    #: The dotted name of the model (``"reports.ReportRequest"``).
    job_model = ""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        model = apps.get_model(self.job_model)
        job_mark_failed(model, kwargs.get(model.JOB_ID_KWARG), model.failure_reason(exc))
        logger.error("%s %s failed: %r", model.__name__, kwargs.get(model.JOB_ID_KWARG), exc)


def job_build(
    model: type[GeneratedFile], pk: int, *, build: Callable, notify: Callable, related: tuple[str, ...] = ()
) -> bool:
    """Build the file of one job and tell who asked: the one build of every generated file.

    ``build(job, progress)`` returns the file's content (``progress(percent)`` records a step with a heartbeat;
    :class:`JobError` fails the job at once with its message); ``notify(job)`` tells who asked, in the
    transaction that marks the job done. ``related`` are ``select_related`` names of the row.

    Idempotent: the row is locked and marked running (:func:`job_begin`: a job done, failed or started too often
    is skipped), then locked again and marked done in the same transaction in which its file is attached and the
    notification created, so a second delivery of the message (or a retry, or the stuck-job sweep's hand-over)
    stores and tells nothing twice. A heartbeat is written while it builds. A transient error puts the job back
    in the queue (:func:`job_release`) and is raised for Celery to retry; any other error marks the job failed
    with its reason (here too, not only in :class:`GeneratedFileTask`: eager runs skip ``on_failure``)."""
    from municipalities.tasks import TRANSIENT_ERRORS

    with transaction.atomic():
        job = (
            model._base_manager.select_for_update(of=("self",)).select_related(*related).filter(pk=pk).first()
        )
        if job is None or not job_begin(job):
            return False  # deleted meanwhile, already done, or given up
        job.progress, job.error = 5, ""
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "attempts", "heartbeat_at", "progress", "error", "started_at"])

    def progress(percent: int) -> None:
        job_progress(model, pk, percent)

    try:
        with heartbeat(model, pk):
            content = build(job, progress)
        progress(90)
    except JobError as exc:
        job_mark_failed(model, pk, str(exc))
        return False
    except TRANSIENT_ERRORS:
        job_release(model, pk)
        raise  # retried with backoff; once the retries are used up, on_failure says why
    except Exception as exc:
        job_mark_failed(model, pk, model.failure_reason(exc))
        raise
    stored = None
    try:
        with transaction.atomic():
            job = (
                model._base_manager.select_for_update(of=("self",))
                .select_related(*related)
                .filter(pk=pk)
                .first()
            )
            if job is None or job.status != model.Status.RUNNING:
                return False  # a second delivery finished first, or the row was deleted meanwhile
            stored = default_storage.save(
                job.file.field.generate_filename(job, f"file.{job.file_format}"), ContentFile(content)
            )
            job.file.name = stored
            job.size = len(content)
            job.status, job.progress = model.Status.DONE, 100
            job.finished_at = timezone.now()
            job.expires_at = job.finished_at + model.lifetime()
            job.save(update_fields=["file", "size", "status", "progress", "finished_at", "expires_at"])
            notify(job)
    except BaseException:
        if stored is not None:
            default_storage.delete(stored)  # the row does not point at it: nobody could ever delete it
        raise
    return True


def job_download(job: GeneratedFile, *, attachment: bool | None = None, expired: Callable | None = None):
    """The response that sends a job's file; the caller has found the job among those the reader may see.

    Not done (or gone): 404. Expired: ``expired()`` (a 410 page or answer), or 404 without it. PDFs open in the
    browser unless ``attachment``; never cached, never sniffed."""
    from django.http import Http404

    from .responses import file_response

    if job.status != job.Status.DONE:
        raise Http404(gettext("The file is not ready yet."))
    if not job.is_available:
        if expired is None:
            raise Http404
        return expired()
    response = file_response(job.file, job.content_type, private=True)
    if attachment is None:
        attachment = job.file_format != "pdf"
    response["Content-Disposition"] = (
        f'{"attachment" if attachment else "inline"}; filename="{job.download_name()}"'
    )
    return response


def generated_files_purge(queryset: models.QuerySet) -> int:
    """Beat's purge of expired files of one kind: the file is deleted after commit, and the row with it unless
    the model keeps its rows (:attr:`GeneratedFile.KEEP_ROWS`). Returns how many were purged. Call in the scope
    the model needs."""
    model = queryset.model
    expired = queryset.filter(expires_at__lt=timezone.now())
    if model.KEEP_ROWS:
        expired = expired.exclude(file="")
    rows = list(expired.values_list("pk", "file"))
    for pk, name in rows:
        with transaction.atomic():
            if model.KEEP_ROWS:
                model._base_manager.filter(pk=pk).update(file="", size=0)
            else:
                model._base_manager.filter(pk=pk).delete()
            if name:
                transaction.on_commit(functools.partial(default_storage.delete, name))
    return len(rows)
