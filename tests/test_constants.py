"""The rules that had copies, each in its one home: the programme phase, the stale-project window, the lead town
(with its fallback) and the preset of mail tasks."""

import pytest
from django.urls import reverse

from accounts import tasks as account_tasks
from funding import models as funding_models
from funding import tasks as funding_tasks
from municipalities import selectors
from municipalities import tasks as town_tasks
from municipalities.tasks import MAIL_TASK, RETRY_TRANSIENT
from notifications import tasks as notification_tasks
from participation import tasks as participation_tasks
from projects import constants
from projects.models import Project
from projects.selectors import dashboard as dashboard_selectors
from reports.selectors import report_lead_town
from reviews import tasks as review_tasks
from tests import factories


def test_a_project_and_a_milestone_name_the_same_programme_phase():
    assert Project.Phase is constants.ProgrammePhase
    assert funding_models.Phase is constants.ProgrammePhase
    assert (
        funding_models.Milestone._meta.get_field("phase").choices == Project._meta.get_field("phase").choices
    )
    assert constants.ProgrammePhase.values == ["A", "B"]


def test_the_stale_window_is_one_number_used_by_the_list_and_the_agentur_figure_and_its_label(
    client, moderator, town_a
):
    assert constants.STALE_AFTER_DAYS == 90
    # The staff dashboard's list defaults to it ...
    assert dashboard_selectors.stale_projects.__kwdefaults__["days"] == constants.STALE_AFTER_DAYS
    # ... and the Agentur's figure says it in its label (no literal "90" left in the code).
    client.force_login(moderator)
    page = client.get("/agentur/").content.decode()
    assert "Laufende Projekte mit einer Fortschrittsmeldung in den letzten 90 Tagen" in page


@pytest.mark.django_db
def test_the_lead_town_is_the_town_marked_as_lead():
    first = factories.MunicipalityFactory(slug="erste")
    lead = factories.MunicipalityFactory(slug="leitung", is_lead=True)
    assert selectors.lead_town() == lead
    assert report_lead_town() == lead
    assert account_tasks._notification_town() == lead
    assert first != lead


@pytest.mark.django_db
def test_without_a_lead_town_the_first_active_town_speaks_for_the_region(client):
    """The copies disagreed: reports and exports fell back to the first active town, the region's legal pages
    and the open-data catalogue had nobody. Now all of them fall back."""
    inactive = factories.MunicipalityFactory(slug="alt", is_active=False, imprint="Altes Rathaus")
    first = factories.MunicipalityFactory(
        slug="erste", imprint="Rathaus Erste, Markt 1", consortium=inactive.consortium
    )
    factories.MunicipalityFactory(slug="zweite", consortium=inactive.consortium)
    assert selectors.lead_town() == first
    assert report_lead_town() == first
    assert account_tasks._notification_town() == first
    page = client.get(reverse("imprint")).content.decode()
    assert "Rathaus Erste, Markt 1" in page and "Altes Rathaus" not in page


@pytest.mark.django_db
def test_an_inactive_lead_town_is_passed_over():
    factories.MunicipalityFactory(slug="alt", is_lead=True, is_active=False)
    active = factories.MunicipalityFactory(slug="aktiv")
    assert selectors.lead_town() == active


@pytest.mark.django_db
def test_no_towns_no_lead_town():
    assert selectors.lead_town() is None


MAIL_TASKS = [
    town_tasks.accessibility_feedback_forward,
    notification_tasks.notification_email_send,
    notification_tasks.notification_digest_send,
    funding_tasks.grant_terms_changed_notify,
    account_tasks.membership_notify_granted,
    account_tasks.staff_invitation_send,
    review_tasks.review_submitted_notify,
    review_tasks.review_decided_notify,
    review_tasks.review_comment_notify,
]
FAN_OUT_TASKS = [
    participation_tasks.idea_answer_notify,
    participation_tasks.comment_notify,
    participation_tasks.moderation_waiting_notify,
    participation_tasks.content_hidden_notify,
    participation_tasks.idea_linked_notify,
    participation_tasks.idea_project_notify,
    participation_tasks.idea_assessed_notify,
    participation_tasks.budget_won_notify,
]


@pytest.mark.parametrize("task", MAIL_TASKS + FAN_OUT_TASKS, ids=lambda t: t.name.rsplit(".", 1)[-1])
def test_every_mail_task_retries_by_the_one_preset(task):
    assert task.autoretry_for == RETRY_TRANSIENT["autoretry_for"]
    assert (task.retry_backoff, task.retry_backoff_max, task.max_retries) == (30, 600, 8)
    if task in MAIL_TASKS:
        assert (task.soft_time_limit, task.time_limit) == (
            MAIL_TASK["soft_time_limit"],
            MAIL_TASK["time_limit"],
        )
    else:  # many recipients: the same retries, more time
        assert (task.soft_time_limit, task.time_limit) == (120, 150)
