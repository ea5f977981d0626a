"""Tasks run by a real worker from real Redis: tenant scope re-entered, mail sent once, retries safe."""

import pytest
from django.core import mail

from accounts import services as account_services
from municipalities.models import AccessibilityFeedback
from municipalities.tasks import accessibility_feedback_forward
from tests import factories

from .conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _forwarded(municipality):
    return (
        AccessibilityFeedback.objects.with_scope(municipality=municipality.pk)
        .filter(forwarded_at__isnull=False)
        .first()
    )


def test_feedback_from_the_page_is_mailed_by_the_worker(client, celery_worker, town_a):
    response = client.post("/arnsberg/barrierefreiheit/", {"message": "Kontrast der Buttons zu gering"})
    assert response.status_code == 302
    item = wait_for(lambda: _forwarded(town_a))
    assert item.message == "Kontrast der Buttons zu gering"
    wait_for(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].to == [town_a.accessibility_contact_email]


def _sentinel(municipality):
    """A last task with a visible effect: the solo worker runs its queue in order, so once the
    sentinel's row is forwarded, every task sent before it has run."""
    item = factories.feedback(municipality=municipality, message="sentinel")
    accessibility_feedback_forward.delay(municipality_id=municipality.pk, feedback_id=item.pk)
    wait_for(
        lambda: (
            AccessibilityFeedback.objects.with_scope(municipality=municipality.pk)
            .filter(pk=item.pk, forwarded_at__isnull=False)
            .exists()
        )
    )


def test_a_message_delivered_twice_mails_once(celery_worker, town_a):
    item = factories.feedback(municipality=town_a, message="doppelt")
    accessibility_feedback_forward.delay(municipality_id=town_a.pk, feedback_id=item.pk)
    accessibility_feedback_forward.delay(municipality_id=town_a.pk, feedback_id=item.pk)
    _sentinel(town_a)
    bodies = [m.body for m in mail.outbox]
    assert sum("doppelt" in body for body in bodies) == 1
    assert len(bodies) == 2  # the duplicate and the sentinel


def test_task_runs_in_its_towns_scope(celery_worker, town_a, town_b):
    """The task looks the row up without naming the town; the scope entered by TownTask finds it for the
    right town only."""
    item = factories.feedback(municipality=town_a, message="nur Arnsberg")
    accessibility_feedback_forward.delay(municipality_id=town_b.pk, feedback_id=item.pk)  # wrong town
    _sentinel(town_b)
    assert mail.outbox[0].to == [town_b.accessibility_contact_email]
    assert all("nur Arnsberg" not in m.body for m in mail.outbox)
    assert _forwarded(town_a) is None
    accessibility_feedback_forward.delay(municipality_id=town_a.pk, feedback_id=item.pk)
    wait_for(lambda: _forwarded(town_a))
    wait_for(lambda: len(mail.outbox) == 2)
    assert mail.outbox[1].to == [town_a.accessibility_contact_email]


def test_membership_mail_is_sent_after_commit_by_the_worker(celery_worker, town_a):
    person = factories.UserFactory(email="neu-im-team@example.org")
    account_services.membership_grant(municipality=town_a, user=person, role="editor")
    wait_for(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].to == ["neu-im-team@example.org"]
    assert "Redaktion" in mail.outbox[0].body or "Editor" in mail.outbox[0].body


def test_each_mail_task_given_twice_mails_once(celery_worker, finished, town_a, admin_a):
    """The mails about a staff role and an invitation (``outbox.claims.claim_key``), delivered twice."""
    from accounts.models import Role
    from accounts.tasks import membership_notify_granted, staff_invitation_send

    invitation = account_services.invitation_create(
        municipality=town_a, email="neu@example.org", role=Role.EDITOR, by=admin_a
    )  # outside a transaction: its own task runs too
    person = factories.UserFactory(email="rolle@example.org")
    membership = account_services.membership_grant(
        municipality=town_a, user=person, role=Role.EDITOR, notify=False
    )
    invited = {"municipality_id": town_a.pk, "invitation_id": invitation.pk}
    granted = {"municipality_id": town_a.pk, "membership_id": membership.pk}
    # What the broker may deliver: the same message twice (the same task id), or the same task once more.
    results = [
        staff_invitation_send.apply_async(kwargs=invited, task_id="redelivered-951"),
        staff_invitation_send.apply_async(kwargs=invited, task_id="redelivered-951"),
        staff_invitation_send.apply_async(kwargs=invited),
        membership_notify_granted.apply_async(kwargs=granted),
        membership_notify_granted.apply_async(kwargs=granted),
    ]
    finished.wait(*results)  # the solo worker runs its queue in order: the last one finished, all have run
    wait_for(lambda: len(mail.outbox) >= 2)
    assert sorted(m.to[0] for m in mail.outbox) == ["neu@example.org", "rolle@example.org"]
