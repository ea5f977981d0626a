"""The data export run by a real worker from real Redis: requested on the page, built after commit, stored, the
person told in the app and by e-mail once, and a second delivery of the message changes nothing."""

import io
import json
import zipfile

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.urls import reverse

from accounts.models import DataExport
from accounts.tasks import data_export_build
from notifications.models import Notification
from tests import factories

from .conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _done(person):
    return DataExport.objects.filter(user=person, status=DataExport.Status.DONE).first()


def _notes(person):
    return list(Notification.objects.with_scopes_disabled().filter(recipient=person, kind="account.export"))


def test_requested_export_is_built_by_the_worker_and_announced(client, celery_worker, town_a):
    person = factories.UserFactory(email="export@example.org", display_name="Erika Export")
    process = factories.process(municipality=town_a)
    factories.idea(process=process, author=person, title="Erikas Idee")
    client.force_login(person)

    response = client.post(reverse("accounts:data"))
    assert response.status_code == 302
    export = wait_for(lambda: _done(person))
    assert default_storage.exists(export.file.name)
    with (
        default_storage.open(export.file.name, "rb") as handle,
        zipfile.ZipFile(io.BytesIO(handle.read())) as zf,
    ):
        data = json.loads(zf.read("daten.json"))
    assert data["account"]["email"] == "export@example.org"
    assert [idea["title"] for idea in data["participation"]["ideas"]] == ["Erikas Idee"]

    [note] = wait_for(lambda: _notes(person))
    assert note.url == reverse("accounts:data") and note.municipality == town_a
    wait_for(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].to == ["export@example.org"]

    # The message delivered again (acks_late after a lost worker): nothing is built, stored or told twice.
    data_export_build.delay(export_id=export.pk)
    sentinel = factories.UserFactory(email="sentinel@example.org")
    client.force_login(sentinel)
    client.post(reverse("accounts:data"))
    wait_for(lambda: _done(sentinel))
    wait_for(lambda: len(mail.outbox) == 2)
    export.refresh_from_db()
    assert export.file.name == _done(person).file.name
    assert len(_notes(person)) == 1
    assert [m.to for m in mail.outbox] == [["export@example.org"], ["sentinel@example.org"]]

    response = client.get(reverse("accounts:data-download", kwargs={"pk": export.pk}))
    assert response.status_code == 404  # the sentinel is not the owner
