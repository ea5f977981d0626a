"""Deadline reminders: 14 and 3 days before, and once overdue; each reaches each editor once."""

import datetime

import pytest
from django.core import mail

from funding import services
from funding.selectors import reminder_stage
from funding.tasks import funding_reminders_dispatch, funding_reminders_send
from municipalities.scoping import town_scope
from notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 12, 15)


@pytest.mark.parametrize(
    "days_before,stage",
    [
        (15, None),
        (14, "due-14"),
        (4, "due-14"),
        (3, "due-3"),
        (0, "due-3"),
        (-1, "overdue"),
        (-200, "overdue"),
    ],
)
def test_reminder_stages(days_before, stage):
    assert reminder_stage(DUE, DUE - datetime.timedelta(days=days_before)) == stage


@pytest.fixture
def deadlines(town_a):
    grant = factories.grant(municipality=town_a)
    with town_scope(town_a):
        milestone = services.milestone_save(
            grant=grant, by=None, fields={"title": "Digitaler Zwilling", "due_on": DUE}
        )
        proof = services.proof_save(
            grant=grant, by=None, fields={"kind": "interim", "year": 2025, "due_on": DUE}
        )
    return milestone, proof


def _run(municipality, day: datetime.date) -> int:
    return funding_reminders_send.delay(municipality_id=municipality.pk, today=day.isoformat()).get()


def _notifications(municipality):
    with town_scope(municipality):
        return list(Notification.objects.order_by("recipient_id", "key"))


def test_editors_and_admins_are_reminded_once_per_stage(
    town_a, editor_a, admin_a, viewer_a, deadlines, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert _run(town_a, DUE - datetime.timedelta(days=20)) == 0
        assert _run(town_a, DUE - datetime.timedelta(days=14)) == 4  # 2 deadlines × 2 people
        assert _run(town_a, DUE - datetime.timedelta(days=14)) == 0  # the beat job ran twice
        assert _run(town_a, DUE - datetime.timedelta(days=10)) == 0  # same stage
        assert _run(town_a, DUE - datetime.timedelta(days=3)) == 4
        assert _run(town_a, DUE) == 0
        assert _run(town_a, DUE + datetime.timedelta(days=1)) == 4
        assert _run(town_a, DUE + datetime.timedelta(days=2)) == 0
    rows = _notifications(town_a)
    assert {n.recipient for n in rows} == {editor_a, admin_a}  # viewers are not asked to act
    assert len(rows) == 12
    assert len(mail.outbox) == 12
    titles = {n.title for n in rows if n.recipient == editor_a}
    assert "Meilenstein „Digitaler Zwilling“ ist in 14 Tagen fällig (15.12.2026)" in titles
    assert "Zwischennachweis 2025 ist überfällig (fällig am 15.12.2026)" in titles
    assert all(n.emailed_at is not None for n in rows)
    assert all(n.url.startswith("/arnsberg/verwaltung/foerderung/") for n in rows)


def test_done_milestones_and_submitted_proofs_are_not_reminded(town_a, editor_a, deadlines):
    milestone, proof = deadlines
    with town_scope(town_a):
        services.milestone_waive(milestone=milestone, by=None, reason="entfällt")
        services.proof_submit(proof=proof, by=None, submitted_on=datetime.date(2025, 1, 1))
    assert _run(town_a, DUE + datetime.timedelta(days=1)) == 0


def test_a_new_due_date_brings_new_reminders(town_a, editor_a, deadlines):
    milestone, _ = deadlines
    assert _run(town_a, DUE - datetime.timedelta(days=3)) == 2
    with town_scope(town_a):
        services.milestone_save(
            grant=milestone.grant,
            by=None,
            fields={"due_on": DUE + datetime.timedelta(days=60)},
            milestone=milestone,
        )
    assert _run(town_a, DUE + datetime.timedelta(days=50)) == 2
    keys = {n.key.split(":", 2)[2] for n in _notifications(town_a)}
    assert f"{milestone.pk}:{DUE + datetime.timedelta(days=60)}:due-14" in keys  # the moved milestone
    assert any(key.endswith(f"{DUE}:overdue") for key in keys)  # the proof, now overdue


def test_reminders_stay_in_their_town(town_a, town_b, editor_a, deadlines):
    editor_b = factories.staff_member(municipality=town_b, role="editor")
    assert _run(town_b, DUE) == 0
    assert _run(town_a, DUE) == 2  # two deadlines for the one editor of A
    assert not Notification.objects.with_scope(municipality=town_b.pk).exists()
    assert not Notification.objects.with_scopes_disabled().filter(recipient=editor_b).exists()


def test_the_dispatcher_starts_one_task_per_active_town(
    town_a, town_b, editor_a, deadlines, django_capture_on_commit_callbacks
):
    """Without a date the tasks use today: the deadlines are moved to three days from now."""
    from django.utils import timezone

    for item in deadlines:
        type(item).objects.with_scope(municipality=town_a.pk).filter(pk=item.pk).update(
            due_on=timezone.localdate() + datetime.timedelta(days=3)
        )
    town_b.is_active = False
    town_b.save()
    with django_capture_on_commit_callbacks(execute=True):  # the tasks it starts are handed over on commit
        assert funding_reminders_dispatch.delay().get() == 1
    assert len(_notifications(town_a)) == 2
