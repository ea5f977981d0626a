"""Jobs that the worker builds for a person (reports, data exports): heartbeats, attempts, and the sweep that
hands a job whose worker died to the worker again or marks it failed with a reason.

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
import logging
import threading

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connections, models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
OPEN = (QUEUED, RUNNING)


class TrackedJob(models.Model):
    """Heartbeat and attempts of a job row; the model keeps its own ``status``, ``error``, ``created_at`` and
    ``finished_at`` fields and names the task that builds it."""

    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True,
                                        help_text=_("Renewed by the worker while it builds the job."))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0,
                                                help_text=_("How often a worker has started building the job."))

    #: The dotted path of the task that builds the job; it takes :meth:`job_task_kwargs`.
    JOB_TASK = ""

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
            attempts) % {"attempts": attempts}


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
    model._base_manager.filter(pk=pk, status=RUNNING).update(heartbeat_at=timezone.now(), **changes)


def _in_worker() -> bool:
    """Whether the code runs in a task that a worker took from the broker (not eager, not called directly)."""
    from celery import current_task

    return bool(current_task) and not current_task.request.is_eager and not current_task.request.called_directly


def job_release(model: type[TrackedJob], pk: int) -> None:
    """A transient error stopped this attempt and Celery retries it after a countdown: put the job back in the
    queue, so the retry starts it afresh and the sweep does not take the countdown for a dead worker.

    Best effort: the error may have been the database itself. A connection that broke is closed first (in the
    worker only; eager runs share the caller's connection), so this write, and the retry, get a fresh one."""
    try:
        if _in_worker():
            for connection in connections.all(initialized_only=True):
                connection.close_if_unusable_or_obsolete()
        model._base_manager.filter(pk=pk, status=RUNNING).update(status=QUEUED, heartbeat_at=timezone.now())
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
            self.thread = threading.Thread(target=self._run, name=f"heartbeat-{self.model.__name__}-{self.pk}",
                                           daemon=True)
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
    return Q(status=RUNNING) & (Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff))


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
        logger.warning("%s %s: worker stopped beating during attempt %d; handed to the worker again",
                       model.__name__, pk, job.attempts)
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
