"""Moderation: pre-moderation, reports that hide a contribution, the moderators' decisions with their history and
notifications, and that hidden or waiting content stays out of every public list and count."""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from municipalities.scoping import town_scope
from notifications.models import Notification
from participation.models import ContentFlag, Idea, Moderation, ParticipationEvent, Process
from participation.selectors import ballots as ballots_selectors
from participation.selectors import idea_page as idea_page_selectors
from participation.selectors import ideas as ideas_selectors
from participation.selectors import moderation as moderation_selectors
from participation.selectors import people as people_selectors
from participation.selectors import processes as processes_selectors
from participation.services import answers as answers_services
from participation.services import ballots as ballots_services
from participation.services import comments as comments_services
from participation.services import common as common_services
from participation.services import flags as flags_services
from participation.services import ideas as ideas_services
from participation.services import moderation as moderation_services
from participation.services import processes as processes_services
from participation.services import supports as supports_services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def process(town_a):
    item = factories.process(municipality=town_a)
    with town_scope(town_a):
        yield Process.objects.get(pk=item.pk)


@pytest.fixture
def idea(process, citizen):
    return factories.idea(process=process, author=citizen)


@pytest.fixture
def pre_moderation(process, editor_a):
    processes_services.settings_change(
        municipality=process.municipality, by=editor_a, fields={"moderation": "pre"}
    )


def _notifications(municipality, **filters):
    return list(
        Notification.objects.with_scope(municipality=municipality.pk)
        .filter(**filters)
        .order_by("recipient_id")
    )


def _label(state: Moderation) -> str:
    """How the history names a moderation state: in the portal's main language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(state.label)


def _report(target, times=1, reason="spam"):
    return [
        flags_services.flag_submit(target=target, reporter=factories.UserFactory(), reason=reason)
        for _ in range(times)
    ]


def _public_view(process, idea):
    """Everything the public sees of an idea: lists, the map, the page, the counts."""
    listed = ideas_selectors.idea_list()
    return {
        "listed": listed.filter(pk=idea.pk).exists(),
        "map": listed.filter(latitude__isnull=False, pk=idea.pk).exists(),
        "visible": Idea.objects.visible().filter(pk=idea.pk).exists(),
        "count": processes_selectors.process_list().get(pk=process.pk).idea_count,
    }


# --- Pre-moderation ----------------------------------------------------------------------------------------


def test_with_pre_moderation_a_new_idea_waits_unseen_and_the_editors_are_told(
    process, pre_moderation, editor_a, viewer_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        idea = factories.idea(process=process, latitude="51.400000", longitude="8.050000")
    assert idea.moderation == Moderation.PENDING
    assert _public_view(process, idea) == {"listed": False, "map": False, "visible": False, "count": 0}
    with pytest.raises(Idea.DoesNotExist):
        ideas_selectors.idea_get(pk=idea.pk)
    assert [i.pk for i in moderation_selectors.moderation_queue()["ideas"]] == [idea.pk]
    assert moderation_selectors.moderation_count() == 1
    rows = _notifications(process.municipality, kind="moderation.waiting")
    assert [n.recipient for n in rows] == [editor_a]  # editors and admins, not viewers
    with pytest.raises(ValidationError):  # nobody can comment on or support it yet
        comments_services.comment_post(idea=idea, author=factories.UserFactory(), body="Hallo")
    with pytest.raises(ValidationError):
        supports_services.support_add(idea=idea, user=factories.UserFactory())

    moderation_services.moderation_approve(target=idea, by=editor_a, acting_town=process.municipality)
    assert _public_view(process, idea) == {"listed": True, "map": True, "visible": True, "count": 1}
    assert moderation_selectors.moderation_count() == 0
    event = ParticipationEvent.objects.get(idea=idea, kind="approved")
    assert event.actor == editor_a
    assert event.changes == {"moderation": [_label(Moderation.PENDING), _label(Moderation.PUBLISHED)]}


def test_with_pre_moderation_a_comment_waits_and_the_idea_author_hears_of_it_once_published(
    process, idea, citizen, pre_moderation, editor_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        comment = comments_services.comment_post(idea=idea, author=factories.UserFactory(), body="Wartet")
    assert comment.moderation == Moderation.PENDING
    assert ideas_selectors.idea_list().get(pk=idea.pk).comment_count == 0
    assert idea_page_selectors.idea_page_related(idea=idea, user=citizen)["comments"] == []
    assert [n.recipient for n in _notifications(process.municipality)] == [editor_a]
    with django_capture_on_commit_callbacks(execute=True):
        moderation_services.moderation_approve(target=comment, by=editor_a, acting_town=process.municipality)
    assert ideas_selectors.idea_list().get(pk=idea.pk).comment_count == 1
    assert [n.recipient for n in _notifications(process.municipality, kind="idea.comment")] == [citizen]


def test_staff_comments_for_the_town_skip_pre_moderation(process, idea, pre_moderation, editor_a):
    comment = comments_services.comment_post(
        idea=idea, author=editor_a, body="Danke, wir prüfen das.", official_for=process.municipality
    )
    assert (comment.moderation, comment.is_official) == (Moderation.PUBLISHED, True)


# --- Reports -----------------------------------------------------------------------------------------------


def test_reports_of_three_different_people_hide_an_idea_and_the_editors_are_told(
    process, idea, editor_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _report(idea, 2)
    idea.refresh_from_db()
    assert idea.moderation == Moderation.PUBLISHED  # two are not enough by default
    assert [i.open_flags for i in moderation_selectors.moderation_queue()["ideas"]] == [
        2
    ]  # but moderators see them
    with django_capture_on_commit_callbacks(execute=True):
        _report(idea)
    idea.refresh_from_db()
    assert idea.moderation == Moderation.REPORTED
    assert _public_view(process, idea)["listed"] is False
    event = ParticipationEvent.objects.get(idea=idea, kind="auto_hidden")
    assert event.actor is None and event.changes == {"reports": ["", "3"]}
    assert [n.recipient for n in _notifications(process.municipality, kind="moderation.waiting")] == [
        editor_a
    ]
    with pytest.raises(ValidationError):  # hidden content cannot be reported again
        _report(idea)


def test_the_same_person_reporting_twice_counts_once(process, idea, citizen):
    person = factories.UserFactory()
    flags_services.flag_submit(target=idea, reporter=person, reason="spam")
    with pytest.raises(ValidationError) as error:
        flags_services.flag_submit(target=idea, reporter=person, reason="offensive")
    assert error.value.code == "duplicate"
    flags_services.flag_submit(target=idea, reporter=factories.UserFactory(), reason="spam")
    idea.refresh_from_db()
    assert idea.moderation == Moderation.PUBLISHED
    assert ContentFlag.objects.filter(idea=idea).count() == 2


def test_the_towns_threshold_decides_and_applies_to_comments_too(process, idea, editor_a):
    processes_services.settings_change(
        municipality=process.municipality, by=editor_a, fields={"report_threshold": 2}
    )
    assert ParticipationEvent.objects.get(kind="settings").changes == {"report_threshold": ["3", "2"]}
    comment = factories.comment(idea=idea)
    _report(comment)
    comment.refresh_from_db()
    assert comment.moderation == Moderation.PUBLISHED
    _report(comment)
    comment.refresh_from_db()
    assert comment.moderation == Moderation.REPORTED
    assert ideas_selectors.idea_list().get(pk=idea.pk).comment_count == 0
    assert ParticipationEvent.objects.filter(comment=comment, kind="auto_hidden").count() == 1
    idea.refresh_from_db()
    assert idea.moderation == Moderation.PUBLISHED  # the comment's reports do not hide the idea
    with pytest.raises(ValidationError):
        processes_services.settings_change(
            municipality=process.municipality, by=editor_a, fields={"report_threshold": 0}
        )


def test_approving_closes_the_reports_and_new_ones_start_from_zero(
    process, idea, editor_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _report(idea, 3)
    moderation_services.moderation_approve(target=idea, by=editor_a, acting_town=process.municipality)
    idea.refresh_from_db()
    assert idea.moderation == Moderation.PUBLISHED and idea.moderated_at is not None
    assert not ContentFlag.objects.filter(idea=idea, resolved_at__isnull=True).exists()
    assert moderation_selectors.moderation_queue()["count"] == 0
    event = ParticipationEvent.objects.get(idea=idea, kind="approved")
    assert event.changes["reports"] == ["3", "0"] and event.actor == editor_a
    with django_capture_on_commit_callbacks(execute=True):
        _report(idea, 2)
    idea.refresh_from_db()
    assert idea.moderation == Moderation.PUBLISHED  # the closed reports do not count again
    with django_capture_on_commit_callbacks(execute=True):
        _report(idea)
    idea.refresh_from_db()
    assert idea.moderation == Moderation.REPORTED
    # The editors hear about the second round too, once.
    assert len(_notifications(process.municipality, kind="moderation.waiting")) == 2


# --- Hiding ------------------------------------------------------------------------------------------------


def test_hiding_needs_a_reason_and_tells_the_author_why(
    process, idea, citizen, editor_a, django_capture_on_commit_callbacks, mailoutbox
):
    with pytest.raises(ValidationError):
        moderation_services.moderation_hide(
            target=idea, by=editor_a, acting_town=process.municipality, reason="  "
        )
    idea.refresh_from_db()
    assert idea.moderation == Moderation.PUBLISHED
    _report(idea, 1)
    with django_capture_on_commit_callbacks(execute=True):
        moderation_services.moderation_hide(
            target=idea,
            by=editor_a,
            acting_town=process.municipality,
            reason="Enthält Werbung für ein Geschäft.",
        )
    idea.refresh_from_db()
    assert (idea.moderation, idea.moderation_reason) == (
        Moderation.HIDDEN,
        "Enthält Werbung für ein Geschäft.",
    )
    assert not ContentFlag.objects.filter(idea=idea, resolved_at__isnull=True).exists()
    rows = _notifications(process.municipality, kind="moderation.hidden")
    assert [n.recipient for n in rows] == [citizen]
    assert "Enthält Werbung für ein Geschäft." in rows[0].body
    assert [m.to for m in mailoutbox] == [[citizen.email]]
    event = ParticipationEvent.objects.get(idea=idea, kind="hidden")
    assert (event.actor, event.reason) == (editor_a, "Enthält Werbung für ein Geschäft.")
    assert event.changes == {
        "moderation": [_label(Moderation.PUBLISHED), _label(Moderation.HIDDEN)],
        "reports": ["1", "0"],
    }
    assert people_selectors.user_contributions(user=citizen)["ideas"][
        0
    ].moderation_reason  # the author still sees it


def test_a_hidden_comment_tells_its_author(process, idea, editor_a, django_capture_on_commit_callbacks):
    writer = factories.UserFactory()
    comment = factories.comment(idea=idea, author=writer)
    with django_capture_on_commit_callbacks(execute=True):
        moderation_services.moderation_hide(
            target=comment, by=editor_a, acting_town=process.municipality, reason="Beleidigend"
        )
    assert [(n.recipient, n.kind) for n in _notifications(process.municipality)] == [
        (writer, "moderation.hidden")
    ]
    assert ParticipationEvent.objects.get(comment=comment, kind="hidden").reason == "Beleidigend"


def test_every_moderation_decision_is_in_the_history(process, idea, editor_a, moderator):
    comment = factories.comment(idea=idea)
    moderation_services.moderation_hide(
        target=comment, by=moderator, acting_town=process.municipality, reason="Spam"
    )
    moderation_services.moderation_approve(target=comment, by=editor_a, acting_town=process.municipality)
    ideas_services.idea_edit_title(
        idea=idea, title="Neuer Titel", by=moderator, acting_town=process.municipality, reason="Name"
    )
    moderation_services.moderation_hide(
        target=idea, by=moderator, acting_town=process.municipality, reason="Doppelt"
    )
    kinds = list(
        ParticipationEvent.objects.filter(idea=idea).order_by("at", "pk").values_list("kind", "actor")
    )
    assert kinds == [
        ("idea_submitted", idea.author_id),
        ("hidden", moderator.pk),
        ("approved", editor_a.pk),
        ("title_edited", moderator.pk),
        ("hidden", moderator.pk),
    ]
    assert next(e.subject for e in ideas_selectors.idea_history(idea=idea)) == "Neuer Titel"


# --- Hidden content stays out of everything public ---------------------------------------------------------


@pytest.mark.parametrize("state", ["pending", "reported", "hidden"])
def test_hidden_content_never_reaches_lists_counts_projects_or_results(town_a, editor_a, state):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    item = factories.process(
        municipality=town_a,
        phases=[
            {"kind": "ideas", "starts_on": today - 10 * day, "ends_on": today + 5 * day},
            {"kind": "vote", "starts_on": today + 6 * day, "ends_on": today + 9 * day},
        ],
    )
    project = factories.project(municipality=town_a, status="planned")
    with town_scope(town_a):
        process = Process.objects.get(pk=item.pk)
        shown, concealed = (factories.idea(process=process, title=t) for t in ("Sichtbar", "Verborgen"))
        for idea in (shown, concealed):
            ideas_services.idea_link_project(idea=idea, project=project, by=None, acting_town=town_a)
            ideas_services.idea_set_shortlisted(idea=idea, shortlisted=True, by=None, acting_town=town_a)
        voter = factories.UserFactory()
        ballots_services.ballot_cast(
            process=process, user=voter, votes={shown.pk: 1, concealed.pk: 1}, on=today + 7 * day
        )
        comments = [factories.comment(idea=shown, body=t) for t in ("sichtbar", "verborgen")]
        hidden_reply = factories.comment(idea=shown, body="Antwort", parent=comments[0])
        for target in (concealed, comments[1], hidden_reply):
            if state == "pending":  # as if it were still waiting for a moderator
                type(target).objects.filter(pk=target.pk).update(moderation=Moderation.PENDING)
            elif state == "reported":
                processes_services.settings_change(
                    municipality=town_a, by=editor_a, fields={"report_threshold": 1}
                )
                _report(target)
            else:
                moderation_services.moderation_hide(
                    target=target, by=editor_a, acting_town=town_a, reason="Nein"
                )
        if state == "pending":  # the raw update above bypassed the services, which keep the stored counts
            supports_services.refresh_counts([shown.pk])
            common_services.touch_processes([process.pk], recount=True)

        assert [i.title for i in ideas_selectors.idea_list()] == ["Sichtbar"]
        assert Idea.objects.visible().count() == 1
        assert ideas_selectors.idea_list().get().comment_count == 1
        assert processes_selectors.process_list().get().idea_count == 1
        assert [i.title for i in ideas_selectors.ideas_for_project(project=project)] == ["Sichtbar"]
        results = ballots_selectors.vote_results(process=process)
        assert [(i.title, i.vote_total) for i in results["ideas"]] == [("Sichtbar", 1)]
        assert results["votes"] == 1
        related = idea_page_selectors.idea_page_related(idea=shown, user=voter)
        assert [c.body for c in related["comments"]] == ["sichtbar"]
        assert [r.body for r in related["comments"][0].replies.all()] == []
        assert related["comment_total"] == 1
        assert moderation_selectors.moderation_count() == (0 if state == "hidden" else 3)


def test_replies_to_a_hidden_comment_are_not_counted(process, idea, editor_a, citizen):
    parent = factories.comment(idea=idea, body="Später ausgeblendet")
    factories.comment(idea=idea, body="Antwort darauf", parent=parent)
    factories.comment(idea=idea, body="Eigenständig")
    moderation_services.moderation_hide(
        target=parent, by=editor_a, acting_town=process.municipality, reason="Beleidigend"
    )
    related = idea_page_selectors.idea_page_related(idea=idea, user=citizen)
    assert [c.body for c in related["comments"]] == ["Eigenständig"]
    # The list shows the same number as the page: a reply whose comment is hidden is not shown, so not counted.
    assert ideas_selectors.idea_list().get(pk=idea.pk).comment_count == related["comment_total"] == 1


def test_the_moderation_queue_costs_the_same_few_queries_however_full(process, django_assert_max_num_queries):
    for number in range(10):
        idea = factories.idea(process=process, title=f"Gemeldet {number}")
        _report(idea, 2)
        _report(factories.comment(idea=idea))
        factories.idea(process=process, title=f"Unauffällig {number}")
    # Ideas, comments, their open reports, and the ids with open reports of each kind (so that the queue's
    # condition is two index lookups, not a subquery per idea and comment of the town), and the towns that own
    # the scope's processes (participation.selectors.moderation._owning_towns).
    with django_assert_max_num_queries(6):
        queue = moderation_selectors.moderation_queue()
        ideas = [
            (i.author.display_name, i.process.title, [r.get_reason_display() for r in i.open_flag_list])
            for i in queue["ideas"]
        ]
        comments = [
            (c.author.display_name, c.idea.title, c.idea.process.title, len(c.open_flag_list))
            for c in queue["comments"]
        ]
    assert len(ideas) == 10 and len(comments) == 10 and {c[3] for c in comments} == {1}
    assert {len(i[2]) for i in ideas} == {2}
    assert queue["count"] == 20


def test_moderators_of_a_town_see_only_its_queue(process, idea, town_b):
    _report(idea, 3)
    with town_scope(town_b):
        assert moderation_selectors.moderation_queue()["count"] == 0
        assert moderation_selectors.moderation_count() == 0
    assert moderation_selectors.moderation_queue()["count"] == 1


def test_an_answer_given_while_an_idea_waits_is_announced_once_it_is_published(
    town_a, citizen, editor_a, django_capture_on_commit_callbacks
):
    process = factories.process(municipality=town_a)
    with town_scope(town_a):
        processes_services.settings_change(municipality=town_a, by=None, fields={"moderation": "pre"})
    idea = factories.idea(process=process, author=citizen)
    with town_scope(town_a), django_capture_on_commit_callbacks(execute=True):
        answers_services.idea_answer(
            idea=idea, by=editor_a, acting_town=town_a, to="under_review", body="Wir prüfen."
        )
    assert not Notification.objects.with_scopes_disabled().filter(kind="idea.status").exists()
    for _ in range(2):  # approving twice tells the author once
        with town_scope(town_a), django_capture_on_commit_callbacks(execute=True):
            moderation_services.moderation_approve(
                target=Idea.objects.get(pk=idea.pk), by=editor_a, acting_town=town_a
            )
    rows = list(Notification.objects.with_scopes_disabled().filter(kind="idea.status"))
    assert [n.recipient for n in rows] == [citizen]
