"""Uploaded files no row refers to are deleted after a grace period; files in use never are."""

import datetime
import os

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from municipalities.scoping import scopes_disabled
from municipalities.tasks import orphan_files_purge as purge_task
from participation.models import Idea
from smartcity5.orphans import file_fields, orphan_files_purge
from tests import factories

pytestmark = pytest.mark.django_db


def _age(name: str, hours: float) -> None:
    moment = (timezone.now() - datetime.timedelta(hours=hours)).timestamp()
    os.utime(default_storage.path(name), (moment, moment))


class Rollback(Exception):
    pass


def test_a_file_left_by_a_rolled_back_transaction_is_deleted_after_the_grace_period(client, town_a, citizen):
    process = factories.process(municipality=town_a)
    kept = factories.idea(process=process, author=citizen, image=factories.image_upload())
    with scopes_disabled():
        kept_name = Idea.objects.get(pk=kept.pk).image.name
    # The idea's row is rolled back after its image was stored: the file stays behind without a row.
    with pytest.raises(Rollback), transaction.atomic():
        lost = factories.idea(process=process, author=citizen, image=factories.image_upload("verloren.png"))
        with scopes_disabled():
            lost_name = Idea.objects.get(pk=lost.pk).image.name
        raise Rollback
    with scopes_disabled():
        assert not Idea.objects.filter(pk=lost.pk).exists()
    assert default_storage.exists(lost_name)
    fresh = default_storage.save("ideas/gerade-hochgeladen.png", ContentFile(b"png"))

    # Young files are left alone, whether referred to or not.
    assert orphan_files_purge() == []
    for name in (kept_name, lost_name, fresh):
        _age(name, 30)
    _age(fresh, django_settings.UPLOAD_ORPHAN_GRACE_HOURS - 1)

    assert orphan_files_purge() == [lost_name]
    assert default_storage.exists(kept_name) and default_storage.exists(fresh)
    assert not default_storage.exists(lost_name)
    # The idea's own image is still served.
    response = client.get(f"/{town_a.slug}/ideen/{kept.pk}/bild/")
    assert response.status_code == 200 and b"".join(response.streaming_content)[:4] == b"\x89PNG"


def test_the_job_counts_what_it_deleted_and_runs_every_night():
    stray = default_storage.save("funding/evidence/ohne-zeile.pdf", ContentFile(b"%PDF-1.4"))
    _age(stray, 48)
    assert purge_task.apply().get() == 1
    assert not default_storage.exists(stray)
    assert any(
        entry["task"] == "municipalities.tasks.orphan_files_purge"
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
    )


def test_every_file_field_is_known():
    """A new FileField is protected automatically: the sweep asks every model, not a list of its own."""
    names = {f"{model._meta.label}.{field}" for model, field in file_fields()}
    assert {
        "participation.Idea.image",
        "projects.ProjectFile.file",
        "projects.Strategy.document",
        "funding.Milestone.evidence",
        "funding.ProofOfUse.document",
        "reports.ReportRequest.file",
        "accounts.DataExport.file",
    } <= names
