"""The workflow of progress reports: generated figures, frozen snapshot, transitions, remarks, notifications."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from funding import services as funding_services
from municipalities.scoping import town_scope
from notifications.models import Notification
from participation.services import answers as answers_services
from projects import services as project_services
from projects.models import FieldOfAction, ProjectEvent
from reviews import services
from reviews.models import ProgressReportEvent
from tests import factories

pytestmark = pytest.mark.django_db

Y, Q = 2025, 2  # 1 April – 30 June 2025
IN_Q = datetime.date(2025, 5, 10)
BEFORE = datetime.date(2025, 3, 20)
AFTER = datetime.date(2025, 7, 5)


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def _create(municipality, editor, year=Y, quarter=Q):
    with town_scope(municipality):
        return services.report_create(municipality=municipality, year=year, quarter=quarter, by=editor)


@pytest.fixture
def crafted(town_a, town_b, editor_a, catalogue):
    """Town A's data inside and around Q2/2025, and some of town B's that must not count."""
    p1 = factories.project(municipality=town_a, title="Sensoren", status="planned")
    p2 = factories.project(municipality=town_a, title="App", status="in_progress")
    factories.project(municipality=town_a, title="Idee")
    factories.project(municipality=town_b, title="B-Projekt", status="in_progress")
    with town_scope(town_a):
        # The factory's status changes happened "now"; date them: p1's before, p2's (2 changes) in the quarter.
        ProjectEvent.objects.filter(project=p1, kind="status").update(at=_at(BEFORE))
        ProjectEvent.objects.filter(project=p2, kind="status").update(at=_at(IN_Q))
        type(p2).objects.filter(pk=p2.pk).update(actual_start=IN_Q)
        for day, percent in ((IN_Q, 20), (IN_Q, 30), (BEFORE, 10), (AFTER, 50)):
            project_services.progress_update_post(
                project=p2,
                by=None,
                acting_town=town_a,
                fields={
                    "title": f"Stand {day}",
                    "body": "…",
                    "published_on": day,
                    "progress_percent": percent,
                },
            )
        indicator = project_services.indicator_create(
            project=p2,
            by=None,
            acting_town=town_a,
            fields={"name": "Nutzer", "unit": "Personen", "target": Decimal("500")},
        )
        for day, value in ((IN_Q, 120), (datetime.date(2025, 6, 30), 180), (AFTER, 250)):
            project_services.measurement_record(
                indicator=indicator, by=None, acting_town=town_a, measured_on=day, value=Decimal(value)
            )
    grant = factories.grant(municipality=town_a)
    factories.budget_line(grant=grant, year=2025, amount="200000.00")
    with town_scope(town_a):
        for day, amount in ((IN_Q, "1000.10"), (datetime.date(2025, 4, 1), "500.00"), (BEFORE, "999.00")):
            funding_services.spending_record(
                grant=grant,
                by=None,
                fields={
                    "spent_on": day,
                    "cost_type": "material",
                    "amount": Decimal(amount),
                    "description": "x",
                },
            )
        inside = funding_services.disbursement_prepare(
            grant=grant, by=None, fields={"year": 2025, "amount": Decimal("5000")}
        )
        funding_services.disbursement_prepare(
            grant=grant, by=None, fields={"year": 2025, "amount": Decimal("7")}
        )
        from funding.models import DisbursementRequest

        DisbursementRequest.objects.filter(pk=inside.pk).update(status="submitted", submitted_on=IN_Q)
        done = funding_services.milestone_save(grant=grant, by=None, fields={"title": "Done", "due_on": IN_Q})
        funding_services.milestone_mark_done(
            milestone=done, by=None, done_on=IN_Q, evidence=factories.evidence_pdf()
        )
        funding_services.milestone_save(grant=grant, by=None, fields={"title": "Late", "due_on": IN_Q})
        funding_services.milestone_save(grant=grant, by=None, fields={"title": "Later", "due_on": AFTER})
    process = factories.process(municipality=town_a)
    ideas = [factories.idea(process=process) for _ in range(3)]
    with town_scope(town_a):
        from participation.models import Idea, OfficialAnswer

        Idea.objects.filter(pk__in=[ideas[0].pk, ideas[1].pk]).update(created_at=_at(IN_Q))
        Idea.objects.filter(pk=ideas[2].pk).update(created_at=_at(BEFORE))
        for idea in (ideas[0], ideas[2]):
            answers_services.idea_answer(
                idea=idea, by=editor_a, acting_town=town_a, body="Danke", to="under_review"
            )
        OfficialAnswer.objects.update(created_at=_at(IN_Q))
    factories.idea(process=factories.process(municipality=town_b))
    return {"p2": p2}


def test_generated_figures_are_exact(crafted, town_a, editor_a):
    report = _create(town_a, editor_a)
    f = report.figures
    assert f["period"] == {"start": "2025-04-01", "end": "2025-06-30", "as_of": "2025-06-30"}
    assert f["projects"]["by_status"] == {
        "idea": 1,
        "planned": 1,
        "in_progress": 1,
        "paused": 0,
        "completed": 0,
        "cancelled": 0,
    }
    assert f["projects"]["status_changes"] == 2
    assert [c["project"] for c in f["projects"]["changes"]] == ["App", "App"]
    assert f["projects"]["started"] == 1 and f["projects"]["completed"] == 0
    assert f["updates"] == {"count": 2, "projects": 1}
    assert f["kpis"]["measurements"] == 2
    assert f["kpis"]["indicators"] == [
        {
            "name": "Nutzer",
            "unit": "Personen",
            "project": "App",
            "count": 2,
            "latest": "180",
            "latest_on": "2025-06-30",
            "target": "500",
        }
    ]
    assert f["funding"]["spent"] == "1500.10"
    assert f["funding"]["called"] == "5000.00" and f["funding"]["called_requests"] == 1
    assert f["funding"]["milestones_done"] == 1 and f["funding"]["milestones_overdue"] == 1
    assert [m["title"] for m in f["funding"]["overdue"]] == ["Late"]
    assert f["participation"] == {"ideas_received": 2, "ideas_answered": 2, "answers": 2}


def test_snapshot_is_frozen_after_submission(crafted, town_a, editor_a):
    report = _create(town_a, editor_a)
    with town_scope(town_a):
        services.report_submit(report=report, by=editor_a)
        project_services.progress_update_post(
            project=crafted["p2"],
            by=None,
            acting_town=town_a,
            fields={"title": "Neu", "body": "…", "published_on": IN_Q},
        )
        with pytest.raises(ValidationError) as error:
            services.report_refresh(report=report, by=editor_a)
        assert error.value.code == "not_editable"
        with pytest.raises(ValidationError):
            services.report_sections_save(
                report=report, by=editor_a, texts={FieldOfAction.objects.first().pk: "x"}
            )
        report.refresh_from_db()
    assert report.figures["updates"]["count"] == 2


def test_refresh_takes_the_data_again_in_a_draft(crafted, town_a, editor_a):
    report = _create(town_a, editor_a)
    with town_scope(town_a):
        project_services.progress_update_post(
            project=crafted["p2"],
            by=None,
            acting_town=town_a,
            fields={"title": "Neu", "body": "…", "published_on": IN_Q},
        )
        report = services.report_refresh(report=report, by=editor_a)
    assert report.figures["updates"]["count"] == 3


def test_one_report_per_quarter(town_a, editor_a):
    _create(town_a, editor_a)
    with pytest.raises(ValidationError) as error:
        _create(town_a, editor_a)
    assert error.value.error_dict["quarter"][0].code == "duplicate"


def test_future_quarters_and_bad_quarters_are_refused(town_a, editor_a):
    with pytest.raises(ValidationError):
        _create(town_a, editor_a, year=timezone.localdate().year + 1, quarter=1)
    with pytest.raises(ValidationError):
        _create(town_a, editor_a, quarter=5)


def test_the_workflow_and_its_history(town_a, editor_a, moderator, catalogue):
    report = _create(town_a, editor_a)
    field = FieldOfAction.objects.order_by("position").first()
    with town_scope(town_a):
        services.report_sections_save(report=report, by=editor_a, texts={field.pk: "Viel geschafft."})
        services.report_submit(report=report, by=editor_a)
        services.review_comment_add(report=report, by=moderator, body="Bitte Zahlen erläutern.")
        services.review_decide(report=report, by=moderator, decision="returned", remarks="Mobilität fehlt.")
        services.report_reopen(report=report, by=editor_a)
        services.report_submit(report=report, by=editor_a)
        report = services.review_decide(report=report, by=moderator, decision="accepted")
        moves = list(
            ProgressReportEvent.objects.filter(report=report, kind="status")
            .order_by("at", "pk")
            .values_list("status_before", "status_after", "actor", "reason")
        )
    assert report.status == "accepted"
    assert moves == [
        ("draft", "submitted", editor_a.pk, ""),
        ("submitted", "returned", moderator.pk, "Mobilität fehlt."),
        ("returned", "draft", editor_a.pk, ""),
        ("draft", "submitted", editor_a.pk, ""),
        ("submitted", "accepted", moderator.pk, ""),
    ]
    with town_scope(town_a):
        assert list(report.comments.values_list("body", flat=True)) == ["Bitte Zahlen erläutern."]


@pytest.mark.parametrize(
    "steps,action,expected",
    [
        ([], "accept", "invalid_transition"),  # a draft cannot be accepted
        ([], "reopen", "invalid_transition"),  # nor reopened
        (["submit"], "submit", "invalid_transition"),  # submitted twice
        (["submit"], "reopen", "invalid_transition"),  # only a returned report is reopened
        (["submit", "return"], "submit", "invalid_transition"),  # returned → draft first
        (["submit", "accept"], "return", "invalid_transition"),  # accepted is final
    ],
)
def test_illegal_transitions_are_refused(town_a, editor_a, moderator, steps, action, expected):
    report = _create(town_a, editor_a)
    run = {
        "submit": lambda: services.report_submit(report=report, by=editor_a),
        "reopen": lambda: services.report_reopen(report=report, by=editor_a),
        "accept": lambda: services.review_decide(report=report, by=moderator, decision="accepted"),
        "return": lambda: services.review_decide(
            report=report, by=moderator, decision="returned", remarks="Nein"
        ),
    }
    with town_scope(town_a):
        for step in steps:
            run[step]()
        with pytest.raises(ValidationError) as error, translation.override("en"):
            run[action]()
    assert error.value.code == expected
    assert "cannot become" in " ".join(error.value.messages)


def test_returning_needs_remarks(town_a, editor_a, moderator):
    report = _create(town_a, editor_a)
    with town_scope(town_a):
        services.report_submit(report=report, by=editor_a)
        with pytest.raises(ValidationError) as error:
            services.review_decide(report=report, by=moderator, decision="returned", remarks="   ")
        assert "remarks" in error.value.error_dict
        report.refresh_from_db()
    assert report.status == "submitted"


def test_only_the_right_people_act(town_a, town_b, editor_a, editor_b, viewer_a, moderator):
    with pytest.raises(PermissionDenied):
        _create(town_a, viewer_a)
    with pytest.raises(PermissionDenied):
        _create(town_a, moderator)  # moderators never write a town's report
    with pytest.raises(PermissionDenied):
        _create(town_a, editor_b)
    report = _create(town_a, editor_a)
    with town_scope(town_a):
        with pytest.raises(PermissionDenied):
            services.report_submit(report=report, by=editor_b)
        services.report_submit(report=report, by=editor_a)
        with pytest.raises(PermissionDenied):
            services.review_decide(report=report, by=editor_a, decision="accepted")
        with pytest.raises(PermissionDenied):
            services.review_comment_add(report=report, by=editor_a, body="Selbstlob")


def test_notifications_go_out_once(
    town_a, editor_a, admin_a, viewer_a, moderator, django_capture_on_commit_callbacks, mailoutbox
):
    other_moderator = factories.UserFactory(email="mod2@example.org", is_agentur_moderator=True)
    report = _create(town_a, editor_a)
    with town_scope(town_a):
        with django_capture_on_commit_callbacks(execute=True):
            services.report_submit(report=report, by=editor_a)
        submitted = Notification.objects.filter(kind="review.submitted")
        assert sorted(submitted.values_list("recipient", flat=True)) == sorted(
            [moderator.pk, other_moderator.pk]
        )
        assert "/agentur/fortschrittsberichte/arnsberg/2025-q2/" in submitted.first().url
        with django_capture_on_commit_callbacks(execute=True):
            services.review_decide(
                report=report, by=moderator, decision="returned", remarks="Bitte ergänzen."
            )
        decided = Notification.objects.filter(kind="review.decided")
        assert sorted(decided.values_list("recipient", flat=True)) == sorted([editor_a.pk, admin_a.pk])
        assert decided.first().body == "Bitte ergänzen."
        assert decided.first().url == "/arnsberg/verwaltung/fortschrittsberichte/2025-q2/"
        # The job running again (a redelivered message) tells nobody twice.
        from reviews.tasks import review_decided_notify

        event = ProgressReportEvent.objects.filter(report=report, status_after="returned").get()
        assert review_decided_notify(municipality_id=town_a.pk, event_id=event.pk) == 0
        assert Notification.objects.filter(kind="review.decided").count() == 2
    assert {m.to[0] for m in mailoutbox} == {
        moderator.email,
        other_moderator.email,
        editor_a.email,
        admin_a.email,
    }
    assert len(mailoutbox) == 4


# --- The town's answers ------------------------------------------------------------------------------------


def test_the_town_answers_while_the_report_is_under_review_or_returned(
    town_a, editor_a, moderator, catalogue
):
    report = _create(town_a, editor_a)
    with town_scope(town_a):
        with pytest.raises(ValidationError) as error:
            services.report_reply(report=report, by=editor_a, body="Zu früh")
        assert error.value.code == "not_under_review"  # a draft has nobody to answer
        services.report_submit(report=report, by=editor_a)
        services.review_comment_add(report=report, by=moderator, body="Warum sank die Zahl der Nutzer?")
        services.report_reply(report=report, by=editor_a, body="Der Server war im Mai zwei Wochen aus.")
        services.review_decide(report=report, by=moderator, decision="returned", remarks="Bitte erläutern.")
        services.report_reply(report=report, by=editor_a, body="Erläuterung folgt im Text.")
        with pytest.raises(ValidationError) as error:
            services.report_reply(report=report, by=editor_a, body="   ")
        assert error.value.error_dict["body"][0].code == "empty"
        services.report_reopen(report=report, by=editor_a)
        services.report_submit(report=report, by=editor_a)
        services.review_decide(report=report, by=moderator, decision="accepted")
        with pytest.raises(ValidationError):
            services.report_reply(report=report, by=editor_a, body="Danke!")  # decided: the talk is over
        comments = list(
            report.comments.order_by("created_at", "pk").values_list("from_town", "author", "body")
        )
    assert comments == [
        (False, moderator.pk, "Warum sank die Zahl der Nutzer?"),
        (True, editor_a.pk, "Der Server war im Mai zwei Wochen aus."),
        (True, editor_a.pk, "Erläuterung folgt im Text."),
    ]


def test_only_the_towns_editors_answer(town_a, editor_a, editor_b, viewer_a, moderator, catalogue):
    report = _create(town_a, editor_a)
    with town_scope(town_a):
        services.report_submit(report=report, by=editor_a)
        for person in (viewer_a, editor_b, moderator):  # moderators comment instead (review_comment_add)
            with pytest.raises(PermissionDenied):
                services.report_reply(report=report, by=person, body="Antwort")
        assert not report.comments.exists()


def test_comments_tell_the_other_side_and_never_the_author(
    town_a, editor_a, admin_a, moderator, django_capture_on_commit_callbacks, catalogue
):
    other_moderator = factories.UserFactory(email="mod2@example.org", is_agentur_moderator=True)
    report = _create(town_a, editor_a)
    with town_scope(town_a):
        services.report_submit(report=report, by=editor_a)
        with django_capture_on_commit_callbacks(execute=True):
            comment = services.review_comment_add(report=report, by=moderator, body="Bitte Zahlen erläutern.")
        told = Notification.objects.filter(kind="review.comment")
        assert sorted(told.values_list("recipient", flat=True)) == sorted([editor_a.pk, admin_a.pk])
        assert told.first().url == f"/arnsberg/verwaltung/fortschrittsberichte/2025-q2/#comment-{comment.pk}"
        assert told.first().body == "Bitte Zahlen erläutern."
        with django_capture_on_commit_callbacks(execute=True):
            answer = services.report_reply(
                report=report, by=editor_a, body="Gern, siehe Abschnitt Mobilität."
            )
        answered = Notification.objects.filter(kind="review.comment", key=f"review:comment:{answer.pk}")
        # Every moderator, not the editor who wrote it nor the town's other staff.
        assert sorted(answered.values_list("recipient", flat=True)) == sorted(
            [moderator.pk, other_moderator.pk]
        )
        assert answered.first().url.startswith("/agentur/fortschrittsberichte/arnsberg/2025-q2/")
        # A redelivered job tells nobody twice.
        from reviews.tasks import review_comment_notify

        assert review_comment_notify(municipality_id=town_a.pk, comment_id=answer.pk) == 0
