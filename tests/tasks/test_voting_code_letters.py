"""Letters of voting codes built by a real worker from real Redis: ordered on the staff page → codes and letters
made → the PDF holds one letter per code, downloadable by the town's editors only → a code read from the PDF votes
once; a message delivered twice makes one set of codes."""

import subprocess
import time

import pytest

from accounts.models import Role
from municipalities.scoping import town_scope
from participation.models import Ballot, VotingCode, VotingCodeBatch
from participation.services import codes as codes_services
from tests import factories
from tests.participation.test_voting_codes import vote  # noqa: F401 - the fixture

from .conftest import run_worker, wait_for, worker_queue

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _finished(municipality, pk):
    batch = VotingCodeBatch.objects.with_scope(municipality=municipality.pk).filter(pk=pk).first()
    return batch if batch is not None and batch.status in ("done", "failed") else None


def _pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def test_letters_are_built_by_the_worker_and_their_codes_vote_once(client, town_a, town_b, vote, editor_a):  # noqa: F811
    process, ideas = vote
    url = f"/arnsberg/verwaltung/beteiligung/{process.slug}/codes/"
    client.force_login(editor_a)
    with worker_queue() as queue, run_worker(queue):
        started = time.monotonic()
        response = client.post(url, {"purpose": "vote", "count": "25"})
        assert response.status_code == 302, response.content.decode()[:2000]
        batch = VotingCodeBatch.objects.with_scope(municipality=town_a.pk).get()
        done = wait_for(lambda: _finished(town_a, batch.pk), timeout=90)
        elapsed = time.monotonic() - started
    print(f"25 letters built by the worker in {elapsed:.1f} s")
    assert done.status == "done", done.error
    assert done.progress == 100 and done.file and done.expires_at > done.finished_at
    with town_scope(town_a):
        assert VotingCode.objects.filter(batch=batch, used_at__isnull=True).count() == 25
    page = client.get(url)
    assert page.status_code == 200 and "25" in page.content.decode()
    letters = f"{url}{batch.pk}/briefe.pdf"
    response = client.get(letters)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    content = b"".join(response.streaming_content)
    text = _pdf_text(content)
    assert text.count("\f") >= 24  # one page per letter
    printed = [
        word
        for word in text.split()
        if len(word) == 14 and word.count("-") == 2 and all(c in codes_services.ALPHABET + "-" for c in word)
    ]
    assert len(set(printed)) == 25
    assert "Arnsberg" in text and f"/arnsberg/beteiligung/{process.slug}/abstimmung/code/" in "".join(
        text.split()
    )
    # The letters belong to the town's editors only.
    viewer = factories.staff_member(municipality=town_a, role=Role.VIEWER)
    other = factories.staff_member(municipality=town_b, role=Role.EDITOR)
    for user in (viewer, other):
        client.force_login(user)
        assert client.get(letters).status_code in (403, 404)
    # A code from the letter votes, once, without an account.
    client.logout()
    vote_url = f"/arnsberg/beteiligung/{process.slug}/abstimmung/code/"
    data = {"code": printed[0].lower(), f"idea_{ideas[0].pk}": "on"}
    assert client.post(vote_url, data).status_code == 302
    again = client.post(vote_url, data)
    assert again.status_code == 400 and "bereits verwendet" in again.content.decode()
    with town_scope(town_a):
        assert Ballot.objects.filter(process=process, user=None).count() == 1
    # Deleted letters leave the codes valid and the file gone.
    client.force_login(editor_a)
    name = done.file.name
    assert client.post(url, {"action": "delete_letters", "batch": batch.pk}).status_code == 302
    assert not done.file.storage.exists(name)
    assert client.get(letters).status_code in (404, 410)


def test_a_message_delivered_twice_makes_one_set_of_codes(town_a, vote):  # noqa: F811
    from django.db import transaction

    from participation.tasks import voting_code_letters_build

    process, _ideas = vote
    with worker_queue() as queue, run_worker(queue):
        with town_scope(town_a), transaction.atomic():
            batch = codes_services.voting_code_batch_order(
                process=process, purpose="vote", count=3, by=None, acting_town=town_a
            )
        voting_code_letters_build.delay(municipality_id=town_a.pk, batch_id=batch.pk)  # a second delivery
        done = wait_for(lambda: _finished(town_a, batch.pk), timeout=60)
        time.sleep(1.5)  # let the second message run too
    assert done.status == "done"
    with town_scope(town_a):
        assert VotingCode.objects.filter(batch=batch).count() == 3
