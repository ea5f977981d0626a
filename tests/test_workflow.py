"""The one workflow helper (smartcity5.workflow): the allowed moves of every workflow, one error for a refused
move that pages show as a message (never a 500), and a move under a row lock that two people at the same moment
cannot both make (PostgreSQL, one connection per thread)."""

import copy
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.transaction import TransactionManagementError
from django.utils import translation

from funding.models import DisbursementRequest
from municipalities.scoping import town_scope
from participation.models import Idea
from projects import services as project_services
from projects.models import Project, ProjectEvent
from reviews import services as review_services
from reviews.models import ProgressReport
from smartcity5 import workflow
from smartcity5.workflow import TransitionNotAllowed, Workflow
from tests import factories
from tests.conftest import need


@pytest.mark.parametrize("model", [Project, ProgressReport, DisbursementRequest, Idea])
def test_every_workflow_uses_the_helper(model):
    assert issubclass(model, Workflow)
    statuses = set(model.Status.values)
    assert set(model.TRANSITIONS) == statuses, "every status says where it may go"
    assert all(set(targets) <= statuses for targets in model.TRANSITIONS.values())
    row = model(status=model.Status.values[0])
    assert row.allowed_transitions() == tuple(model.TRANSITIONS[model.Status.values[0]])


def test_funding_requests_name_their_next_steps():
    draft = DisbursementRequest(status=DisbursementRequest.Status.DRAFT)
    assert draft.allowed_transitions() == (DisbursementRequest.Status.SUBMITTED,)
    assert DisbursementRequest(status=DisbursementRequest.Status.PAID).allowed_transitions() == ()


def test_a_refused_move_is_one_error_with_a_clear_message():
    with translation.override("en"):
        error = TransitionNotAllowed.refusing(Project(status=Project.Status.COMPLETED), Project.Status.IDEA)
        assert isinstance(error, ValidationError) and error.code == "invalid_transition"
        assert copy.deepcopy(error).messages == error.messages  # forms and the test client copy errors
        assert error.messages == [
            "A project that is “Completed” cannot become “Idea”. Possible next steps: In progress."
        ]
        # A workflow whose form names the field gets the error on that field.
        idea_error = TransitionNotAllowed.refusing(
            Idea(status=Idea.Status.SUBMITTED), Idea.Status.IMPLEMENTED
        )
        assert idea_error.message_dict == {
            "status": ["An idea that is “Submitted” cannot become “Implemented”."]
        }
    with translation.override("de"):
        german = " ".join(TransitionNotAllowed.refusing(DisbursementRequest(status="paid"), "draft").messages)
    assert (
        german == "Ein Mittelabruf mit dem Status „Ausgezahlt“ kann nicht in den Status „Entwurf“ wechseln."
    )


@pytest.mark.django_db(transaction=True)
def test_a_move_needs_a_transaction(town_a):
    project = factories.project(municipality=town_a)
    with town_scope(town_a), pytest.raises(TransactionManagementError):
        workflow.transition(project, to=Project.Status.PLANNED)


@pytest.mark.django_db
def test_a_refused_move_changes_nothing(town_a, editor_a):
    project = factories.project(municipality=town_a)
    with town_scope(town_a):
        count = ProjectEvent.objects.filter(project=project).count()
        with pytest.raises(TransitionNotAllowed):
            project_services.project_transition(
                project=project, to=Project.Status.COMPLETED, by=editor_a, acting_town=town_a
            )
        project.refresh_from_db()
        assert project.status == Project.Status.IDEA
        assert ProjectEvent.objects.filter(project=project).count() == count


@pytest.mark.django_db
def test_the_page_shows_a_refused_move_as_a_message(client, town_a, editor_a, catalogue):
    """Reopening a draft (the button of a returned report, sent again from an old tab): a message, no 500."""
    with town_scope(town_a):
        review_services.report_create(municipality=town_a, year=2025, quarter=4, by=editor_a)
    client.force_login(editor_a)
    url = "/arnsberg/verwaltung/fortschrittsberichte/2025-q4/"
    response = client.post(url + "ueberarbeiten/", follow=True)
    assert response.status_code == 200  # the report's page again, with the message
    assert [str(message) for message in response.context["messages"]] == [
        "Ein Bericht mit dem Status „Entwurf“ kann nicht in den Status „Entwurf“ wechseln."
    ]
    page = response.content.decode()
    assert 'class="kern-table sc5-history"' in page and "Entwurf erstellt" in page  # the shared history table
    with town_scope(town_a):
        assert ProgressReport.objects.get().status == ProgressReport.Status.DRAFT


# --- Two people at the same moment ------------------------------------------------------------------------


@pytest.fixture
def _postgresql():
    need(connection.vendor == "postgresql", "row locks need PostgreSQL (SQLite locks the whole file)")


@pytest.mark.django_db(transaction=True)
def test_a_move_waits_for_the_row_lock_and_then_sees_the_new_status(_postgresql, town_a, editor_a):
    """Thread 1 holds the project's row lock while it moves it planned → in progress; thread 2 tries the same
    move meanwhile. Without the lock thread 2 would read "planned" and move the project a second time; with it,
    thread 2 waits until thread 1 has committed, then reads "in progress" and is refused."""
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        project = factories.project(municipality=town_a)
        with town_scope(town_a):
            project_services.project_transition(
                project=project, to=Project.Status.PLANNED, by=editor_a, acting_town=town_a
            )
    locked, second_started = threading.Event(), threading.Event()
    order, errors = [], [None, None]

    def first():
        try:
            with town_scope(town_a), transaction.atomic():
                row, _old = workflow.transition(project, to=Project.Status.IN_PROGRESS)
                locked.set()
                second_started.wait(timeout=20)
                time.sleep(0.5)  # thread 2 is now waiting for the lock
                row.save()
                order.append("first committed")
        except Exception as error:  # noqa: BLE001 - examined by the test
            errors[0] = error
        finally:
            connections.close_all()

    def second():
        try:
            locked.wait(timeout=20)
            second_started.set()
            with town_scope(town_a):
                project_services.project_transition(
                    project=project, to=Project.Status.IN_PROGRESS, by=editor_a, acting_town=town_a
                )
            order.append("second moved")
        except Exception as error:  # noqa: BLE001 - examined by the test
            errors[1] = error
            order.append("second refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs (deadlock?)"
    assert errors[0] is None
    assert order == ["first committed", "second refused"]
    assert isinstance(errors[1], TransitionNotAllowed) and errors[1].code == "invalid_transition"
    with town_scope(town_a):
        project.refresh_from_db()
        assert project.status == Project.Status.IN_PROGRESS
        # Thread 1 used the helper alone (no history); thread 2 wrote none: one status entry, planned's.
        assert ProjectEvent.objects.filter(project=project, kind="status").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_moderators_deciding_at_once_decide_once(_postgresql, town_a, editor_a, moderator):
    other = factories.UserFactory(email="moderator-2@example.org", is_agentur_moderator=True)
    factories.activate_totp(other)
    with town_scope(town_a):
        report = review_services.report_create(municipality=town_a, year=2025, quarter=2, by=editor_a)
        review_services.report_submit(report=report, by=editor_a)
    barrier = threading.Barrier(2)
    results, errors = [None, None], [None, None]

    def decide(index, by, decision):
        try:
            barrier.wait(timeout=20)
            with town_scope(town_a):
                results[index] = review_services.review_decide(
                    report=report, by=by, decision=decision, remarks="Bitte ergänzen."
                )
        except Exception as error:  # noqa: BLE001 - examined by the test
            errors[index] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=(0, moderator, "accepted")),
        threading.Thread(target=decide, args=(1, other, "returned")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs (deadlock?)"
    refused = [error for error in errors if error is not None]
    assert len(refused) == 1 and isinstance(refused[0], TransitionNotAllowed), errors
    with town_scope(town_a):
        report.refresh_from_db()
        decided = report.events.filter(kind="status", status_before="submitted")
        assert decided.count() == 1
        assert report.status == decided.get().status_after
