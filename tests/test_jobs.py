"""Stuck jobs (smartcity5.jobs): a report or data export whose worker stopped beating is handed to the worker
again while attempts remain, else failed with a reason the person reads; a new request never gets a stuck one.

Tasks run inline here (the hand-over runs at commit); tests/tasks/test_stuck_jobs.py kills a real worker."""

import datetime

import pytest
from django.utils import timezone

from accounts import services as account_services
from accounts.models import DataExport
from municipalities.scoping import town_scope
from municipalities.tasks import stuck_jobs_sweep
from outbox.models import OutboxTask
from participation.models import VotingCodeBatch
from reports import services
from reports.models import ReportRequest

pytestmark = pytest.mark.django_db

INTERRUPTED = "Die Erstellung wurde unterbrochen"


def _report(municipality, editor, **fields) -> ReportRequest:
    with town_scope(municipality):
        report, created = services.report_request(
            municipality=municipality, kind="town", format="xlsx", by=editor
        )
    assert created
    ReportRequest._base_manager.filter(pk=report.pk).update(**fields)
    return ReportRequest._base_manager.get(pk=report.pk)


def _long_ago(settings, extra: int = 5) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + extra)


def test_a_running_report_whose_worker_stopped_beating_is_built_again(
    settings, town_a, catalogue, editor_a, django_capture_on_commit_callbacks
):
    report = _report(
        town_a, editor_a, status="running", progress=70, attempts=1, heartbeat_at=_long_ago(settings)
    )
    with django_capture_on_commit_callbacks(execute=True) as handed_over:
        assert stuck_jobs_sweep() == {"handed_over": 1, "failed": 0}
    # One hand-over to the worker, which builds it (inline here) and then schedules the notification's e-mail.
    assert len(handed_over) == 2
    builds = OutboxTask.objects.filter(task="reports.tasks.report_build", kwargs__report_id=report.pk)
    assert builds.count() == 2  # the request's own hand-over, and the sweep's
    assert OutboxTask.objects.filter(task="notifications.tasks.notification_email_send").count() == 1
    report.refresh_from_db()
    assert report.status == "done" and report.file and report.attempts == 2, report.error
    assert stuck_jobs_sweep() == {"handed_over": 0, "failed": 0}


def test_a_report_interrupted_as_often_as_allowed_fails_with_a_german_reason(
    settings, client, town_a, catalogue, editor_a
):
    settings.JOB_MAX_ATTEMPTS = 2
    report = _report(
        town_a, editor_a, status="running", progress=70, attempts=2, heartbeat_at=_long_ago(settings)
    )
    assert stuck_jobs_sweep() == {"handed_over": 0, "failed": 1}
    report.refresh_from_db()
    assert report.status == "failed" and report.finished_at
    assert report.error.startswith(INTERRUPTED) and "2 Versuchen" in report.error
    client.force_login(editor_a)
    page = client.get(f"/arnsberg/verwaltung/berichte/{report.pk}/status/").content.decode()
    assert INTERRUPTED in page and 'data-status="failed"' in page and "<progress" not in page


def test_live_and_queued_jobs_are_left_alone(settings, town_a, catalogue, editor_a, citizen):
    fresh = _report(town_a, editor_a, status="running", attempts=1, heartbeat_at=timezone.now())
    with town_scope(town_a):
        queued, _ = services.report_request(municipality=town_a, kind="town", format="pdf", by=editor_a)
    ReportRequest._base_manager.filter(pk=queued.pk).update(created_at=_long_ago(settings, 3600))
    export, _ = account_services.data_export_request(user=citizen)
    DataExport.objects.filter(pk=export.pk).update(status="running", attempts=1, heartbeat_at=timezone.now())
    assert stuck_jobs_sweep() == {"handed_over": 0, "failed": 0}
    assert [
        r.status for r in ReportRequest._base_manager.filter(pk__in=[fresh.pk, queued.pk]).order_by("pk")
    ] == ["running", "queued"]
    assert DataExport.objects.get(pk=export.pk).status == "running"


def test_a_running_job_from_before_heartbeats_counts_from_its_request(settings, town_a, catalogue, editor_a):
    settings.JOB_MAX_ATTEMPTS = 1
    report = _report(
        town_a, editor_a, status="running", attempts=1, heartbeat_at=None, created_at=_long_ago(settings)
    )
    assert stuck_jobs_sweep() == {"handed_over": 0, "failed": 1}
    assert ReportRequest._base_manager.get(pk=report.pk).status == "failed"


def test_a_new_request_for_a_stuck_report_is_never_answered_with_it(
    settings, town_a, catalogue, editor_a, django_capture_on_commit_callbacks
):
    stuck = _report(
        town_a, editor_a, status="running", progress=70, attempts=1, heartbeat_at=_long_ago(settings)
    )
    # Attempts remain: the same report is handed over again and answered as queued (live), not as "running 70 %".
    with town_scope(town_a), django_capture_on_commit_callbacks() as handed_over:
        again, created = services.report_request(municipality=town_a, kind="town", format="xlsx", by=editor_a)
    assert not created and again.pk == stuck.pk and again.status == "queued" and len(handed_over) == 1
    # No attempts left: the stuck one is failed with its reason and a new report is made.
    ReportRequest._base_manager.filter(pk=stuck.pk).update(
        status="running", attempts=settings.JOB_MAX_ATTEMPTS, heartbeat_at=_long_ago(settings)
    )
    with town_scope(town_a):
        new, created = services.report_request(municipality=town_a, kind="town", format="xlsx", by=editor_a)
    assert created and new.pk != stuck.pk and new.status == "queued"
    stuck.refresh_from_db()
    assert stuck.status == "failed" and stuck.error.startswith(INTERRUPTED)


def test_a_message_redelivered_after_the_last_allowed_attempt_fails_instead_of_running_again(
    settings, town_a, catalogue, editor_a
):
    """A report that kills its worker each time (out of memory) is not started for ever: acks_late hands its
    message over again at once, and the attempt count stops it."""
    from reports.tasks import report_build

    report = _report(
        town_a, editor_a, status="running", attempts=settings.JOB_MAX_ATTEMPTS, heartbeat_at=timezone.now()
    )
    assert report_build.delay(municipality_id=town_a.pk, report_id=report.pk).get() is False
    report.refresh_from_db()
    assert report.status == "failed" and report.error.startswith(INTERRUPTED) and not report.file


def test_a_stuck_data_export_is_failed_with_the_reason_on_the_persons_page(settings, client, citizen):
    export, _ = account_services.data_export_request(user=citizen)
    DataExport.objects.filter(pk=export.pk).update(
        status="running", attempts=settings.JOB_MAX_ATTEMPTS, heartbeat_at=_long_ago(settings)
    )
    client.force_login(citizen)
    new, created = account_services.data_export_request(user=citizen)
    assert created and new.pk != export.pk
    old = DataExport.objects.get(pk=export.pk)
    assert old.status == "failed" and old.error.startswith(INTERRUPTED)
    page = client.get("/konto/daten/").content.decode()
    assert INTERRUPTED in page


def test_every_generated_file_declares_only_what_differs_and_gets_the_rest_from_the_base():
    """Reports and data exports share status, progress, expiry, build, download and purge
    (smartcity5.jobs.GeneratedFile); each declares its task, folder, lifetime and whether its row outlives the file."""
    from smartcity5.jobs import GeneratedFile, job_models

    generated = {model for model in job_models() if issubclass(model, GeneratedFile)}
    assert generated == {ReportRequest, DataExport, VotingCodeBatch}
    for model in generated:
        assert model.JOB_TASK and model.JOB_ID_KWARG and model.FILE_FOLDER
        assert model.lifetime() > datetime.timedelta(0)
        assert model._meta.get_field("status").choices == GeneratedFile.Status.choices
        constraints = {c.name for c in model._meta.constraints}
        label = f"{model._meta.app_label}_{model._meta.model_name}"
        assert {f"{label}_status_valid", f"{label}_progress_percent"} <= constraints
    assert ReportRequest.KEEP_ROWS and VotingCodeBatch.KEEP_ROWS and not DataExport.KEEP_ROWS


def test_a_download_is_404_before_done_and_the_callers_answer_once_expired(citizen):
    from django.http import Http404

    from smartcity5.jobs import job_download

    export, _ = account_services.data_export_request(user=citizen)
    with pytest.raises(Http404):
        job_download(export)
    export.status, export.file.name = "done", "exports/gone.zip"
    export.expires_at = timezone.now() - datetime.timedelta(minutes=1)
    assert job_download(export, expired=lambda: "expired") == "expired"
    with pytest.raises(Http404):
        job_download(export)
