"""Redis away at commit, for real: a private redis-server is the broker and the cache (as REDIS_URL makes it in
production), stopped or frozen while a staff member answers an idea. The answer is saved and the page answers normally; once the broker is back, the relay
hands the task over and a real worker tells the author and the supporters, each exactly once."""

import datetime
import time

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from municipalities.scoping import town_scope
from notifications.models import Notification
from outbox import services as outbox
from outbox.models import OutboxTask
from participation.models import Idea
from participation.services import answers as answers_services
from participation.services import supports as supports_services
from participation.tasks import idea_answer_notify
from smartcity5.celery import app as celery_app
from tests import factories
from tests.tasks.conftest import run_worker, wait_for, worker_queue

from .conftest import use_as_cache

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(private_redis, settings):
    """A private Redis as the Celery broker (for publishing and for the worker) and as the cache."""
    use_as_cache(settings, private_redis, retry_seconds=1)
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = private_redis.url
    settings.OUTBOX_BROKER_PAUSE_SECONDS = 0  # each hand-over in this test tries the broker
    try:
        yield private_redis
    finally:
        celery_app.conf.broker_url = previous
        celery_app._pool = None


def _idea_with_supporters(municipality):
    author = factories.UserFactory()
    supporters = [factories.UserFactory() for _ in range(2)]
    idea = factories.idea(
        process=factories.process(municipality=municipality), author=author, title="Mehr Bänke"
    )
    with town_scope(municipality):
        for person in supporters:
            supports_services.support_add(idea=idea, user=person)
    return idea, [author, *supporters]


def _delivered(municipality):
    rows = Notification.objects.with_scope(municipality=municipality.pk)
    return rows.count(), rows.filter(emailed_at__isnull=False).count(), len(mail.outbox)


def _answer(client, municipality, idea):
    url = reverse("participation:staff-idea-answer", kwargs={"town_slug": municipality.slug, "pk": idea.pk})
    started = time.monotonic()
    response = client.post(url, {"to": "accepted", "body": "Wir stellen im Frühjahr zwei Bänke auf."})
    return response, time.monotonic() - started


def _relay_later():
    """The relay as beat runs it, a little after the hand-over's own attempt."""
    return outbox.relay(now=timezone.now() + datetime.timedelta(minutes=1))


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_a_staff_answer_while_the_broker_is_away_is_delivered_once_it_is_back(
    client, town_a, editor_a, broker, fault
):
    idea, people = _idea_with_supporters(town_a)
    client.force_login(editor_a)
    with worker_queue() as queue:
        broker.stop() if fault == "stopped" else broker.freeze()
        response, seconds = _answer(client, town_a, idea)
        assert response.status_code == 302
        # A frozen broker holds the request for the publishing timeout (1 s), not the old 5 s or more.
        assert seconds < 4
        assert Idea.objects.with_scopes_disabled().get(pk=idea.pk).status == "accepted"
        row = OutboxTask.objects.get(task=idea_answer_notify.name)
        assert row.handed_at is None and row.done_at is None  # waits for the relay
        waiting = OutboxTask.objects.filter(handed_at__isnull=True).count()  # with the open data rebuild
        broker.start() if fault == "stopped" else broker.thaw()
        with run_worker(queue):
            assert _relay_later() == waiting
            wait_for(lambda: _delivered(town_a) == (3, 3, 3))
            # Nothing is handed over twice once the worker has reported.
            wait_for(lambda: not OutboxTask.objects.filter(done_at__isnull=True).exists())
            assert _relay_later() == 0
    assert _delivered(town_a) == (3, 3, 3)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(person.email for person in people)
    assert all(not r.failed for r in OutboxTask.objects.all())


def test_a_lost_message_is_handed_again_and_tells_nobody_twice(town_a, editor_a, broker, settings):
    """The broker took the task, then lost it (a Redis restart without persistence): after OUTBOX_REHAND_AFTER the
    relay hands it again; the idempotent tasks tell each person once."""
    idea, _people = _idea_with_supporters(town_a)
    with worker_queue():  # no worker yet: the first hand-over reaches the broker and stays there
        with town_scope(town_a):
            answers_services.idea_answer(
                idea=Idea.objects.get(pk=idea.pk),
                by=editor_a,
                acting_town=town_a,
                to="accepted",
                body="Wir prüfen den Standort.",
            )
        row = OutboxTask.objects.get(task=idea_answer_notify.name)
        assert row.hand_count == 1 and row.done_at is None
        broker.stop()  # without persistence: the message is gone
        broker.start()
    with worker_queue() as queue, run_worker(queue):
        later = timezone.now() + datetime.timedelta(seconds=settings.OUTBOX_REHAND_AFTER + 60)
        assert outbox.relay(now=later) == OutboxTask.objects.filter(done_at__isnull=True).count() >= 1
        wait_for(lambda: _delivered(town_a) == (3, 3, 3))
    assert len(mail.outbox) == 3


def test_a_comment_while_redis_is_down_reaches_the_ideas_author_once_it_is_back(client, town_a, broker):
    """A citizen's write with Redis (cache and broker) stopped: saved, no 5xx, the author told exactly once."""
    from participation.models import Comment
    from participation.tasks import comment_notify

    author, commenter = factories.UserFactory(), factories.UserFactory()
    idea = factories.idea(process=factories.process(municipality=town_a), author=author, title="Mehr Bänke")
    client.force_login(commenter)
    url = reverse("participation:comment-create", kwargs={"town_slug": town_a.slug, "pk": idea.pk})
    with worker_queue() as queue:
        broker.stop()
        response = client.post(url, {"body": "Gern auch am Bahnhof."})
        assert response.status_code == 302
        assert Comment.objects.with_scopes_disabled().filter(idea=idea.pk).count() == 1
        assert OutboxTask.objects.get(task=comment_notify.name).handed_at is None
        waiting = OutboxTask.objects.filter(handed_at__isnull=True).count()
        broker.start()
        with run_worker(queue):
            assert _relay_later() == waiting
            wait_for(lambda: _delivered(town_a) == (1, 1, 1))
            wait_for(lambda: not OutboxTask.objects.filter(done_at__isnull=True).exists())
            assert _relay_later() == 0
    assert [m.to for m in mail.outbox] == [[author.email]]
