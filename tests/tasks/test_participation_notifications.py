"""Participation notifications run by a real worker from real Redis: a status change reaches the idea's author and
supporters once, in the app and by e-mail, even when the message is delivered twice."""

import pytest
from django.core import mail

from municipalities.scoping import town_scope
from notifications.models import Notification
from participation.models import Idea
from participation.services import answers as answers_services
from participation.services import supports as supports_services
from participation.tasks import idea_answer_notify
from tests import factories

from .conftest import run_worker, wait_for, worker_queue

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _delivered(municipality):
    rows = Notification.objects.with_scope(municipality=municipality.pk)
    return rows.count(), rows.filter(emailed_at__isnull=False).count(), len(mail.outbox)


def test_a_status_change_is_delivered_once_by_the_worker(town_a, editor_a, finished):
    author = factories.UserFactory()
    supporters = [factories.UserFactory() for _ in range(2)]
    idea = factories.idea(process=factories.process(municipality=town_a), author=author)
    with town_scope(town_a):
        for person in supporters:
            supports_services.support_add(idea=idea, user=person)
    with worker_queue() as queue, run_worker(queue):
        with town_scope(town_a):
            answer = answers_services.idea_answer(
                idea=Idea.objects.get(pk=idea.pk),
                by=editor_a,
                acting_town=town_a,
                to="accepted",
                body="Wir setzen das im Frühjahr um.",
            )
        # The answer task, then one e-mail task per recipient.
        wait_for(lambda: _delivered(town_a) == (3, 3, 3))
        # The same message delivered again (a redelivery after a lost worker) tells and mails nobody twice.
        again = idea_answer_notify.delay(municipality_id=town_a.pk, answer_id=answer.pk)
        finished.wait(again)
        wait_for(lambda: finished.count() >= 5)
    assert _delivered(town_a) == (3, 3, 3)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in [author, *supporters])
    with town_scope(town_a):
        rows = list(Notification.objects.all())
    assert {(n.kind, n.key) for n in rows} == {("idea.status", f"idea:answer:{answer.pk}")}
    assert editor_a.pk not in {n.recipient_id for n in rows}  # the one who answered is not told
    assert all(idea.title in m.subject for m in mail.outbox)
