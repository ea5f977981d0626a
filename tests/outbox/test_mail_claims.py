"""Every task that sends mail claims it first (``outbox.claims``): a task handed to the broker twice (the relay after
a lost acknowledgement, a worker killed after the send) sends each mail at most once.

The mails with a claim row of their own (``MailClaim``, ``claim_key``): the mail about a staff role (one per grant:
membership and ``grant_count``) and the invitation to a team (one per sending: invitation and ``send_count``). And
a check of the code: a task that reaches a mail sent outside ``with sending(…)`` after a claim fails the test, and
so does a mail sent by a running task without a claim (``require_claim``)."""

import ast
import datetime
import shutil
from pathlib import Path

import pytest
from celery._state import _task_stack
from celery.exceptions import Retry
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Membership, Role
from accounts.tasks import membership_notify_granted, staff_invitation_send
from outbox.claims import UnclaimedMail
from outbox.models import MailClaim, OutboxTask
from outbox.services import purge
from smartcity5.celery import app as celery_app
from smartcity5.mail import mail_send
from tests import factories

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {
    ".venv",
    ".git",
    "tests",
    "bench",
    "node_modules",
    "static",
    "locale",
    "locale_allauth",
    "templates",
    "docs",
    "scripts",
}
# What puts a mail on its way: the portal's one mail function, and Django's own (only smartcity5/mail.py may).
MAIL_CALLS = {
    "mail_send",
    "send_mail",
    "send_mass_mail",
    "mail_admins",
    "mail_managers",
    "send_messages",
    "EmailMessage",
    "EmailMultiAlternatives",
}
CLAIMS = {"claim", "claim_key", "claim_cutoff"}
SENDING = {"sending", "sending_key"}
TASK_DECORATORS = {"shared_task", "task"}


# --- The check of the code --------------------------------------------------------------------------------------


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


class _Function(ast.NodeVisitor):
    """What one function calls, and which of its mail calls are not inside ``with sending(…)`` after a claim."""

    where: str  # "path:line name", set by the scan

    def __init__(self, node):
        self.node, self.calls, self.claims_at, self.unclaimed, self._guarded = node, set(), [], [], 0
        for statement in node.body:
            self.visit(statement)

    def visit_FunctionDef(self, node):
        """A nested function or lambda runs when it is called (``on_commit(lambda: …)``: after the ``with``), so
        its mail calls count as the function's own, never as guarded."""
        guarded, self._guarded = self._guarded, 0
        for statement in node.body if isinstance(node.body, list) else [node.body]:
            self.visit(statement)
        self._guarded = guarded

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef  # noqa: N815 - ast.NodeVisitor's method names

    def visit_With(self, node):
        guarded = any(
            _name(item.context_expr) in SENDING and self.claims_at and min(self.claims_at) < node.lineno
            for item in node.items
        )
        for item in node.items:
            self.visit(item.context_expr)
        self._guarded += guarded
        for statement in node.body:
            self.visit(statement)
        self._guarded -= guarded

    def visit_Call(self, node):
        name = _name(node)
        if name:
            self.calls.add(name)
            if name in CLAIMS:
                self.claims_at.append(node.lineno)
            if name in MAIL_CALLS and not self._guarded:
                self.unclaimed.append(node.lineno)
        self.generic_visit(node)


def _is_task(node) -> bool:
    return any(_name(decorator) in TASK_DECORATORS for decorator in node.decorator_list)


def unclaimed_mail_tasks(root: Path) -> list[str]:
    """Every task (a function decorated with ``shared_task`` or ``app.task``) of the code under ``root`` that sends
    a mail, itself or through the functions it calls, outside ``with sending(…)`` after a claim.

    Calls are followed by name through every function of the code (a call of ``x.notify(…)`` may reach any
    function called ``notify``): that finds more than there is rather than less. ``smartcity5/mail.py``, which
    builds every mail, is where a claimed call ends."""
    functions, tasks = {}, []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if (
            relative.parts[0] in SKIPPED
            or "migrations" in relative.parts
            or relative == Path("smartcity5/mail.py")
        ):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(relative))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found = _Function(node)
                found.where = f"{relative}:{node.lineno} {node.name}"
                functions.setdefault(node.name, []).append(found)
                if _is_task(node):
                    tasks.append(found)
    offenders = []
    for task in tasks:
        seen, todo = set(), [task]
        while todo:
            function = todo.pop()
            if id(function) in seen:
                continue
            seen.add(id(function))
            if function.unclaimed:
                lines = ", ".join(map(str, function.unclaimed))
                via = "" if function is task else f" via {function.where}"
                offenders.append(f"{task.where}: mail sent without a claim{via} (line {lines})")
            for name in function.calls:
                todo.extend(functions.get(name, []))
    return offenders


@pytest.mark.slow
def test_every_task_that_sends_mail_claims_it_first():
    assert unclaimed_mail_tasks(ROOT) == [], (
        "claim the mail before sending it (outbox.claims: claim/claim_key, then with sending/sending_key)"
    )


def test_the_check_sees_every_task_of_the_portal():
    """The check finds tasks by their decorator: it must find every task Celery knows, or it would miss some."""
    celery_app.loader.import_default_modules()
    # Tasks a test module defines for itself (tests/test_logs.py) are not the portal's.
    registered = {
        task.run.__name__
        for name, task in celery_app.tasks.items()
        if not name.startswith(("celery.", "tests."))
    }
    found = set()
    for path in ROOT.rglob("tasks.py"):
        if path.relative_to(ROOT).parts[0] in SKIPPED:
            continue
        found |= {
            node.name
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.FunctionDef) and _is_task(node)
        }
    assert registered and registered <= found


def _copy(tmp_path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*SKIPPED, "__pycache__", "media"))
    return copy


@pytest.mark.slow
def test_the_check_fails_on_a_copy_with_a_claim_taken_out(tmp_path):
    copy = _copy(tmp_path)
    assert unclaimed_mail_tasks(copy) == []
    tasks = copy / "accounts" / "tasks.py"
    source = tasks.read_text(encoding="utf-8")
    assert source.count("with sending_key(claimed):") == 2
    tasks.write_text(source.replace("with sending_key(claimed):", "if claimed:"), encoding="utf-8")
    offenders = unclaimed_mail_tasks(copy)
    assert len(offenders) == 2
    assert "membership_notify_granted: mail sent without a claim" in offenders[0]
    assert "staff_invitation_send: mail sent without a claim" in offenders[1]


@pytest.mark.slow
def test_the_check_fails_on_a_copy_with_a_new_task_that_sends_through_a_helper(tmp_path):
    copy = _copy(tmp_path)
    (copy / "reviews" / "tasks.py").write_text(
        (copy / "reviews" / "tasks.py").read_text(encoding="utf-8")
        + """

def _tell_the_agentur(text):
    mail_send(to="agentur@example.org", template="reviews/email/x", context={"text": text})


@shared_task(base=TownTask, **LIMITS)
def review_reminder_send(*, municipality, report_id):
    _tell_the_agentur("reminder")


@shared_task(base=TownTask, bind=True, **LIMITS)
def review_overdue_send(self, *, municipality, report_id):
    row = claim(self, ProgressReport.objects, report_id, sent="mailed_at", claimed="mail_claimed_at")
    with sending(ProgressReport.objects, [row.pk], sent="mailed_at", claimed="mail_claimed_at"):
        transaction.on_commit(lambda: mail_send(to="agentur@example.org", template="x", context={}))
""",
        encoding="utf-8",
    )
    offenders = unclaimed_mail_tasks(copy)
    assert len(offenders) == 2
    assert "review_reminder_send: mail sent without a claim via reviews/tasks.py" in offenders[0]
    assert "review_overdue_send: mail sent without a claim (line" in offenders[1]


@pytest.mark.slow
def test_the_check_fails_on_a_copy_that_sends_before_it_claims(tmp_path):
    copy = _copy(tmp_path)
    tasks = copy / "municipalities" / "tasks.py"
    source = tasks.read_text(encoding="utf-8")
    claim_line = "    feedback = claim(self, AccessibilityFeedback.objects, feedback_id, **fields)\n"
    assert claim_line in source
    # The claim moved below the send: the "with sending" no longer follows a claim.
    moved = source.replace(claim_line, "").replace(
        "    return True\n\n\n# The longest task", claim_line + "    return True\n\n\n# The longest task"
    )
    tasks.write_text(moved, encoding="utf-8")
    offenders = unclaimed_mail_tasks(copy)
    assert len(offenders) == 1 and "accessibility_feedback_forward" in offenders[0]


def test_a_task_that_sends_mail_without_a_claim_is_refused(town_a):
    _task_stack.push(staff_invitation_send)  # as while the task runs
    try:
        with pytest.raises(UnclaimedMail, match="staff_invitation_send"):
            mail_send(
                to="x@example.org",
                template="accounts/email/staff_invitation",
                context={"invitation": None, "link": "", "expires": ""},
                municipality=town_a,
            )
    finally:
        _task_stack.pop()
    assert mail.outbox == []


# --- The mail about a staff role ---------------------------------------------------------------------------------


def _granted(municipality, role=Role.EDITOR):
    person = factories.UserFactory()
    return account_services.membership_grant(municipality=municipality, user=person, role=role, notify=False)


def _notify_granted(municipality, membership):
    return membership_notify_granted(municipality_id=municipality.pk, membership_id=membership.pk)


def test_one_grant_delivered_twice_tells_the_person_once(town_a):
    membership = _granted(town_a)
    assert _notify_granted(town_a, membership) is True
    assert _notify_granted(town_a, membership) is False  # the same task, the same arguments: a redelivery
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [membership.user.email]
    claim = MailClaim.objects.get()
    assert claim.key == f"accounts.membership_granted:{membership.pk}:1" and claim.sent_at is not None


def test_a_change_of_role_is_a_new_grant_and_told_again(town_a, django_capture_on_commit_callbacks):
    person = factories.UserFactory()
    for role in (Role.VIEWER, Role.EDITOR, Role.VIEWER):
        with django_capture_on_commit_callbacks(execute=True):
            account_services.membership_grant(municipality=town_a, user=person, role=role)
    assert len(mail.outbox) == 3
    assert Membership.objects.with_scope(municipality=town_a.pk).get(user=person).grant_count == 3
    # Each hand-over again (the relay after a lost acknowledgement), the first one last: nothing more.
    rows = OutboxTask.objects.filter(task=membership_notify_granted.name).order_by("-pk")
    assert len(rows) == 3
    for row in rows:
        assert membership_notify_granted.apply(kwargs=row.kwargs, task_id=row.celery_id).get() is False
    assert len(mail.outbox) == 3


def test_the_role_mail_claimed_by_a_sender_at_work_waits(town_a):
    membership = _granted(town_a)
    MailClaim.objects.create(key=f"accounts.membership_granted:{membership.pk}:1", claimed_at=timezone.now())
    with pytest.raises(Retry):  # looks again once the claim may have gone stale
        _notify_granted(town_a, membership)
    assert mail.outbox == []


def test_a_revoked_role_is_not_told_and_claims_nothing(town_a, admin_a):
    membership = _granted(town_a)
    account_services.membership_revoke(membership=membership, by=admin_a)
    assert _notify_granted(town_a, membership) is False
    assert mail.outbox == [] and not MailClaim.objects.exists()


# --- The invitation to a team ------------------------------------------------------------------------------------


def _invite(municipality, admin, email="neu@example.org"):
    """Written and handed over; not run (no commit callbacks run in this test's transaction)."""
    return account_services.invitation_create(
        municipality=municipality, email=email, role=Role.EDITOR, by=admin
    )


def _send(invitation):
    return staff_invitation_send(municipality_id=invitation.municipality_id, invitation_id=invitation.pk)


def test_one_invitation_delivered_twice_is_mailed_once_and_sent_again_once_more(town_a, admin_a):
    invitation = _invite(town_a, admin_a)
    assert _send(invitation) is True
    assert _send(invitation) is False  # the same task, the same arguments: a redelivery
    assert len(mail.outbox) == 1
    account_services.invitation_resend(invitation=invitation, by=admin_a)
    assert _send(invitation) is True  # "send again" sends again, with the new link
    assert _send(invitation) is False
    assert len(mail.outbox) == 2 and mail.outbox[1].body != mail.outbox[0].body
    assert sorted(MailClaim.objects.values_list("key", flat=True)) == [
        f"accounts.staff_invitation:{invitation.pk}:1",
        f"accounts.staff_invitation:{invitation.pk}:2",
    ]


def test_a_mail_server_error_gives_the_invitation_claim_back(town_a, admin_a, settings):
    invitation = _invite(town_a, admin_a)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        9,
        2,
    )  # nothing listens there
    with pytest.raises(OSError):
        _send(invitation)
    claim = MailClaim.objects.get()
    assert claim.claimed_at is None and claim.sent_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert _send(invitation) is True and len(mail.outbox) == 1


def test_an_invitation_claim_left_by_a_dead_sender_is_sent_again(town_a, admin_a):
    invitation = _invite(town_a, admin_a)
    stale = timezone.now() - datetime.timedelta(seconds=settings.MAIL_CLAIM_SECONDS + 1)
    MailClaim.objects.create(key=f"accounts.staff_invitation:{invitation.pk}:1", claimed_at=stale)
    assert _send(invitation) is True and _send(invitation) is False
    assert len(mail.outbox) == 1


def test_a_withdrawn_invitation_is_not_mailed_and_claims_nothing(town_a, admin_a):
    invitation = _invite(town_a, admin_a)
    account_services.invitation_revoke(invitation=invitation, by=admin_a)
    assert _send(invitation) is False
    assert mail.outbox == [] and not MailClaim.objects.exists()


def test_mail_claims_are_purged_with_the_finished_hand_overs(db):
    old = MailClaim.objects.create(key="x:1", sent_at=timezone.now())
    MailClaim.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=30))
    recent = MailClaim.objects.create(key="x:2", sent_at=timezone.now())
    purge()
    assert list(MailClaim.objects.values_list("pk", flat=True)) == [recent.pk]
