"""Participation services: phases, process validation, joint processes, the idea workflow with official answers,
offline ideas, places, consent, supports, notifications, rate limits and the query counts of the selectors."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import translation

from municipalities.scoping import ScopeError, town_scope
from notifications.models import Notification
from participation.models import (
    Comment,
    Idea,
    OfficialAnswer,
    ParticipationEvent,
    Process,
    ProcessPhase,
    Support,
)
from participation.selectors import idea_page as idea_page_selectors
from participation.selectors import ideas as ideas_selectors
from participation.selectors import people as people_selectors
from participation.selectors import processes as processes_selectors
from participation.services import answers as answers_services
from participation.services import comments as comments_services
from participation.services import flags as flags_services
from participation.services import ideas as ideas_services
from participation.services import moderation as moderation_services
from participation.services import processes as processes_services
from participation.services import supports as supports_services
from projects import services as project_services
from smartcity5.ratelimit import RateLimited, check_rate
from tests import factories, helpers
from tests.conftest import need

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
# Days in each phase of the factory's default plan (tests/factories.py: process), as offsets from today.
INFORMATION, IDEAS, EVALUATION, VOTE, RESULTS = -20 * DAY, 0 * DAY, 25 * DAY, 45 * DAY, 70 * DAY
VOTE_END = 60 * DAY
Status = Idea.Status


def _day(offset):
    """The day ``offset`` from today, read when the test runs (as the services read it)."""
    return helpers.today() + offset


@pytest.fixture
def process(town_a):
    item = factories.process(municipality=town_a)
    with town_scope(town_a):
        yield Process.objects.get(pk=item.pk)


@pytest.fixture
def idea(process, citizen):
    return factories.idea(process=process, author=citizen)


def _notifications(municipality, **filters):
    return list(
        Notification.objects.with_scope(municipality=municipality.pk)
        .filter(**filters)
        .order_by("recipient_id")
    )


def _submit(process, author=None, on=None, consent=True, **fields):
    fields.setdefault("title", "Trinkbrunnen am Bahnhof")
    fields.setdefault("body", "Im Sommer wäre das eine Hilfe.")
    return ideas_services.idea_submit(
        process=process, author=author or factories.UserFactory(), fields=fields, consent=consent, on=on
    )


def _phases(**dates):
    """A plan from keyword arguments ``kind=(start, end)``."""
    return [{"kind": kind, "starts_on": start, "ends_on": end} for kind, (start, end) in dates.items()]


# --- Phases ------------------------------------------------------------------------------------------------


def test_ideas_are_accepted_only_while_ideas_are_collected(process):
    assert _submit(process, on=_day(IDEAS)).moderation == "published"
    for day in (_day(INFORMATION), _day(EVALUATION), _day(VOTE), _day(RESULTS), helpers.today() - 60 * DAY):
        with pytest.raises(ValidationError) as error:
            _submit(process, on=day)
        assert error.value.code == "phase", day
    assert Idea.objects.count() == 1


def test_comments_are_open_while_ideas_are_collected_evaluated_and_voted_on(process, idea):
    for day in (_day(IDEAS), _day(EVALUATION), _day(VOTE)):
        comments_services.comment_post(idea=idea, author=factories.UserFactory(), body=f"Am {day}", on=day)
    for day in (_day(INFORMATION), _day(RESULTS)):
        with pytest.raises(ValidationError) as error:
            comments_services.comment_post(idea=idea, author=factories.UserFactory(), body="zu spät", on=day)
        assert error.value.code == "phase"
    assert Comment.objects.filter(idea=idea).count() == 3


def test_a_process_without_comments_refuses_them_in_every_phase(process, idea):
    processes_services.process_change(
        process=process, by=None, acting_town=process.municipality, fields={"allow_comments": False}
    )
    with pytest.raises(ValidationError, match="closed"), translation.override("en"):
        comments_services.comment_post(
            idea=idea, author=factories.UserFactory(), body="Hallo", on=_day(IDEAS)
        )


def test_supports_are_open_while_ideas_are_collected_and_evaluated(process, idea):
    assert supports_services.support_add(idea=idea, user=factories.UserFactory(), on=_day(IDEAS))
    assert supports_services.support_add(idea=idea, user=factories.UserFactory(), on=_day(EVALUATION))
    for day in (_day(INFORMATION), _day(VOTE), _day(RESULTS)):
        with pytest.raises(ValidationError):
            supports_services.support_add(idea=idea, user=factories.UserFactory(), on=day)
    assert Support.objects.filter(idea=idea).count() == 2


def test_a_process_without_supports_refuses_them(process, idea):
    processes_services.process_change(
        process=process, by=None, acting_town=process.municipality, fields={"allow_supports": False}
    )
    with pytest.raises(ValidationError):
        supports_services.support_add(idea=idea, user=factories.UserFactory(), on=_day(IDEAS))
    assert not Support.objects.exists()


def test_an_unpublished_process_accepts_nothing(process, idea):
    processes_services.process_change(
        process=process, by=None, acting_town=process.municipality, fields={"is_published": False}
    )
    with pytest.raises(ValidationError):
        _submit(process, on=_day(IDEAS))
    with pytest.raises(ValidationError):
        supports_services.support_add(idea=idea, user=factories.UserFactory(), on=_day(IDEAS))
    with pytest.raises(ValidationError):
        comments_services.comment_post(
            idea=idea, author=factories.UserFactory(), body="Hallo", on=_day(IDEAS)
        )


def test_results_are_public_only_after_the_vote_has_ended(process):
    process = Process.objects.prefetch_related("phases").get(pk=process.pk)
    assert not process.results_public(_day(VOTE))
    assert not process.results_public(_day(VOTE_END))
    assert process.results_public(_day(VOTE_END) + DAY)
    assert not process.accepts_votes(_day(VOTE_END) + DAY) and process.accepts_votes(_day(VOTE_END))


def test_a_process_without_a_vote_never_shows_results(town_a):
    item = factories.process(
        municipality=town_a, phases=_phases(ideas=(helpers.today(), helpers.today() + 9 * DAY))
    )
    with town_scope(town_a):
        item = Process.objects.prefetch_related("phases").get(pk=item.pk)
        assert not item.results_public(helpers.today() + 400 * DAY)


# --- Validation of the phase plan --------------------------------------------------------------------------


def _create(municipality, phases):
    with town_scope(municipality), translation.override("en"):
        return processes_services.process_create(
            municipality=municipality,
            by=None,
            phases=phases,
            fields={"title": "Plan", "summary": "Kurz", "is_published": True},
        )


def _phase_errors(town, phases) -> list[str]:
    with pytest.raises(ValidationError) as error:
        _create(town, phases)
    return error.value.message_dict["phases"]


def test_overlapping_phases_are_refused_with_both_names(town_a):
    errors = _phase_errors(
        town_a,
        _phases(
            ideas=(helpers.today(), helpers.today() + 10 * DAY),
            evaluation=(helpers.today() + 10 * DAY, helpers.today() + 20 * DAY),
        ),
    )
    assert errors == [
        "The phase “Evaluation and shortlist” must start after the phase “Idea collection” has ended."
    ]
    with town_scope(town_a):
        assert not Process.objects.exists() and not ProcessPhase.objects.exists()


def test_phases_out_of_their_natural_order_are_refused(town_a):
    errors = _phase_errors(
        town_a,
        _phases(
            vote=(helpers.today(), helpers.today() + 5 * DAY),
            ideas=(helpers.today() + 6 * DAY, helpers.today() + 9 * DAY),
        ),
    )
    assert any("“Vote” must start after the phase “Idea collection”" in e for e in errors)


def test_every_phase_but_the_results_needs_an_end(town_a):
    errors = _phase_errors(town_a, [{"kind": "ideas", "starts_on": helpers.today(), "ends_on": None}])
    assert "The phase “Idea collection” needs an end date." in errors
    process = _create(
        town_a,
        _phases(
            ideas=(helpers.today(), helpers.today() + 9 * DAY), results=(helpers.today() + 10 * DAY, None)
        ),
    )
    with town_scope(town_a):
        assert process.phases.get(kind="results").ends_on is None


def test_a_phase_that_ends_before_it_starts_is_refused(town_a):
    errors = _phase_errors(town_a, _phases(ideas=(helpers.today(), helpers.today() - DAY)))
    assert "The phase “Idea collection” ends before it starts." in errors


def test_a_phase_without_a_start_or_of_an_unknown_kind_is_refused_clearly(town_a):
    errors = _phase_errors(town_a, [{"kind": "ideas", "starts_on": None, "ends_on": helpers.today()}])
    assert "The phase “Idea collection” needs a start date." in errors
    errors = _phase_errors(
        town_a, [{"kind": "party", "starts_on": helpers.today(), "ends_on": helpers.today()}]
    )
    assert errors == ["There is no phase “party”."]


def test_a_phase_given_twice_is_refused(town_a):
    errors = _phase_errors(
        town_a,
        [
            {"kind": "ideas", "starts_on": helpers.today(), "ends_on": helpers.today() + DAY},
            {"kind": "ideas", "starts_on": helpers.today() + 5 * DAY, "ends_on": helpers.today() + 6 * DAY},
        ],
    )
    assert "Each phase can be given once." in errors


def test_a_refused_change_of_the_plan_keeps_the_old_plan(process):
    before = list(process.phases.order_by("starts_on").values_list("kind", "starts_on", "ends_on"))
    with pytest.raises(ValidationError) as error, translation.override("en"):
        processes_services.process_change(
            process=process,
            by=None,
            acting_town=process.municipality,
            fields={"title": "Neu"},
            phases=_phases(
                ideas=(helpers.today(), helpers.today() + 10 * DAY),
                vote=(helpers.today() + 5 * DAY, helpers.today() + 20 * DAY),
            ),
        )
    assert "phases" in error.value.message_dict
    process.refresh_from_db()
    assert process.title != "Neu"
    assert list(process.phases.order_by("starts_on").values_list("kind", "starts_on", "ends_on")) == before


def test_a_changed_plan_replaces_the_phases_and_is_in_the_history(process, editor_a):
    processes_services.process_change(
        process=process,
        by=editor_a,
        acting_town=process.municipality,
        fields={},
        phases=_phases(
            ideas=(helpers.today(), helpers.today() + 3 * DAY),
            vote=(helpers.today() + 4 * DAY, helpers.today() + 8 * DAY),
        ),
    )
    assert sorted(process.phases.values_list("kind", flat=True)) == ["ideas", "vote"]
    event = ParticipationEvent.objects.filter(process=process, kind="process_changed").get()
    assert event.actor == editor_a and "phases" in event.changes


# --- Joint processes ---------------------------------------------------------------------------------------


def test_a_joint_process_and_its_ideas_are_seen_by_partner_towns_only(town_a, town_b, town_c):
    joint = factories.process(municipality=town_a, partners=[town_b], title="Gemeinsam")
    factories.process(municipality=town_c, title="Olpe allein")
    idea = factories.idea(process=joint, title="Radweg zwischen den Städten")
    comment = factories.comment(idea=idea)
    for town in (town_a, town_b):
        with town_scope(town):
            assert [p.title for p in processes_selectors.process_list()] == ["Gemeinsam"]
            assert [i.title for i in ideas_selectors.idea_list()] == ["Radweg zwischen den Städten"]
            assert list(Comment.objects.all()) == [comment]
            assert processes_selectors.process_list().get().idea_count == 1
    with town_scope(town_c):
        assert [p.title for p in processes_selectors.process_list()] == ["Olpe allein"]
        assert not ideas_selectors.idea_list().exists()
        assert not Comment.objects.exists() and not ParticipationEvent.objects.filter(idea=idea).exists()
        with pytest.raises(Idea.DoesNotExist):
            ideas_selectors.idea_get(pk=idea.pk)


def test_citizens_take_part_in_a_joint_process_from_a_partner_town(town_a, town_b, editor_a):
    """The pages of a joint process are reached under each partner town's address, so the services run in the
    partner's scope; the lead town's moderation settings still apply."""
    joint = factories.process(municipality=town_a, partners=[town_b])
    with town_scope(town_a):
        processes_services.settings_change(municipality=town_a, by=editor_a, fields={"report_threshold": 1})
    with town_scope(town_b):
        process = Process.objects.get(pk=joint.pk)
        idea = _submit(process)
        comments_services.comment_post(idea=idea, author=factories.UserFactory(), body="Von Soest aus")
        assert supports_services.support_add(idea=idea, user=factories.UserFactory())
        flags_services.flag_submit(target=idea, reporter=factories.UserFactory(), reason="spam")
        idea.refresh_from_db()
    assert idea.municipality == town_a
    assert idea.moderation == "reported"  # the lead town's threshold of one


def test_rows_of_participation_refuse_queries_without_a_scope(town_a):
    from django.apps import apps

    from municipalities.scoping import TownOwnedModel

    idea = factories.idea(process=factories.process(municipality=town_a))
    factories.comment(idea=idea)
    # Every concrete model of the app (participation.models is a package of modules by concern).
    town_owned = [
        m for m in apps.get_app_config("participation").get_models() if issubclass(m, TownOwnedModel)
    ]
    assert len(town_owned) == 14  # with the voting codes and their batches
    for model in town_owned:
        with pytest.raises(ScopeError):
            list(model.objects.all())
    with pytest.raises(ScopeError):
        list(ideas_selectors.idea_list())
    with town_scope(town_a):
        assert list(ideas_selectors.idea_list()) == [idea]


# --- Idea workflow -----------------------------------------------------------------------------------------


def _answer(idea, to=None, body="Wir prüfen das.", **kwargs):
    return answers_services.idea_answer(
        idea=idea, by=None, acting_town=idea.municipality, body=body, to=to, **kwargs
    )


def test_only_the_allowed_status_changes_are_possible(idea):
    with pytest.raises(ValidationError) as error, translation.override("en"):
        _answer(idea, Status.IMPLEMENTED)
    assert error.value.message_dict["status"] == ["An idea that is “Submitted” cannot become “Implemented”."]
    for step in (Status.UNDER_REVIEW, Status.ACCEPTED, Status.IMPLEMENTED):
        _answer(idea, step)
    idea.refresh_from_db()
    assert idea.status == Status.IMPLEMENTED
    with pytest.raises(ValidationError):
        _answer(idea, Status.REJECTED)
    with pytest.raises(ValidationError):
        _answer(idea, "vanished")
    assert list(OfficialAnswer.objects.filter(idea=idea).values_list("status_before", "status_after")) == [
        ("submitted", "under_review"),
        ("under_review", "accepted"),
        ("accepted", "implemented"),
    ]


def test_every_status_change_has_an_answer_and_a_rejection_explains_itself(idea, editor_a):
    with pytest.raises(ValidationError) as error:
        _answer(idea, Status.REJECTED, body="  ")
    assert "body" in error.value.message_dict
    answer = _answer(idea, Status.UNDER_REVIEW, body="")
    assert answer.body  # a plain status change still publishes an answer
    with pytest.raises(ValidationError):
        _answer(idea, None, body="")  # an answer without a change must say something
    answer = answers_services.idea_answer(
        idea=idea,
        by=editor_a,
        acting_town=idea.municipality,
        to=Status.REJECTED,
        body="Dafür ist der Kreis zuständig.",
    )
    idea.refresh_from_db()
    assert (idea.status, answer.author, answer.body) == (
        Status.REJECTED,
        editor_a,
        "Dafür ist der Kreis zuständig.",
    )
    event = ParticipationEvent.objects.filter(idea=idea, kind="status").first()
    assert event.reason == "Dafür ist der Kreis zuständig." and event.actor == editor_a
    assert OfficialAnswer.objects.filter(idea=idea).count() == 2


def test_a_merge_needs_another_published_idea_of_the_same_process(process, idea, town_b):
    other_process = factories.process(municipality=process.municipality)
    elsewhere = factories.idea(process=other_process)
    target = factories.idea(process=process, title="Sitzgelegenheiten in der Innenstadt")
    hidden = factories.idea(process=process, title="Versteckt")
    moderation_services.moderation_hide(
        target=hidden, by=None, acting_town=process.municipality, reason="Werbung"
    )
    for wrong in (None, idea, elsewhere, hidden):
        with pytest.raises(ValidationError) as error:
            _answer(idea, Status.MERGED, body="Zusammengeführt.", merged_into=wrong)
        assert "merged_into" in error.value.message_dict, wrong
    with pytest.raises(ValidationError):
        _answer(idea, Status.MERGED, body="", merged_into=target)
    _answer(idea, Status.MERGED, body="Gleiche Idee.", merged_into=target)
    idea.refresh_from_db()
    assert (idea.status, idea.merged_into) == (Status.MERGED, target)
    assert hidden not in list(idea_page_selectors.merge_candidates(idea=target))
    _answer(idea, Status.UNDER_REVIEW, body="Doch getrennt.")
    idea.refresh_from_db()
    assert idea.merged_into is None


def test_only_projects_of_the_process_towns_can_be_linked(town_a, town_b, town_c):
    joint = factories.process(municipality=town_a, partners=[town_b])
    idea = factories.idea(process=joint)
    own, partners, foreign = (factories.project(municipality=t) for t in (town_a, town_b, town_c))
    with town_scope(town_a):
        idea = Idea.objects.get(pk=idea.pk)
        assert set(idea_page_selectors.project_choices(idea=idea)) == {
            own
        }  # the scope shows town A's projects
        for project in (own, partners):
            ideas_services.idea_link_project(idea=idea, project=project, by=None, acting_town=town_a)
            assert Idea.objects.get(pk=idea.pk).project == project
        with pytest.raises(ValidationError) as error:
            ideas_services.idea_link_project(idea=idea, project=foreign, by=None, acting_town=town_a)
        assert "project" in error.value.message_dict
        assert Idea.objects.get(pk=idea.pk).project == partners
        assert ParticipationEvent.objects.filter(idea=idea, kind="project_linked").count() == 2


def test_a_title_edited_for_privacy_leaves_no_trace_in_the_history(
    process, citizen, moderator, django_capture_on_commit_callbacks
):
    idea = factories.idea(process=process, author=citizen, title="Frau Müller aus Nr. 5 parkt falsch")
    with django_capture_on_commit_callbacks(execute=True):
        answers_services.idea_answer(
            idea=idea, by=None, acting_town=process.municipality, to=Status.UNDER_REVIEW, body=""
        )
    factories.comment(idea=idea)
    ideas_services.idea_edit_title(
        idea=idea,
        title="Falschparker in der Hauptstraße",
        by=moderator,
        acting_town=process.municipality,
        reason="Name einer Person",
    )
    idea.refresh_from_db()
    assert idea.title == "Falschparker in der Hauptstraße"
    events = list(ParticipationEvent.objects.filter(idea=idea))
    assert {e.kind for e in events} >= {"idea_submitted", "status", "title_edited"}
    assert not any("Müller" in str([e.subject, e.changes, e.reason]) for e in events), events
    edit = next(e for e in events if e.kind == "title_edited")
    assert (edit.actor, edit.reason) == (moderator, "Name einer Person")
    assert not any("Müller" in str(row.values()) for row in ParticipationEvent.objects.values())
    # The author's notification about the status named the old title as well.
    from notifications.models import Notification

    titles = list(Notification.objects.with_scopes_disabled().values_list("title", flat=True))
    assert titles and not any("Müller" in t for t in titles) and any("Falschparker" in t for t in titles)
    with pytest.raises(ValidationError):
        ideas_services.idea_edit_title(
            idea=idea, title="Neu", by=moderator, acting_town=process.municipality, reason=" "
        )


def test_an_offline_idea_has_no_author_is_marked_and_published(process, editor_a):
    with pytest.raises(ValidationError):
        ideas_services.idea_enter_offline(
            process=process,
            by=editor_a,
            acting_town=process.municipality,
            fields={"title": "Postkarte", "body": "Mehr Grün"},
            source=" ",
        )
    processes_services.settings_change(
        municipality=process.municipality, by=editor_a, fields={"moderation": "pre"}
    )
    idea = ideas_services.idea_enter_offline(
        process=process,
        by=editor_a,
        acting_town=process.municipality,
        fields={"title": "Postkarte", "body": "Mehr Grün"},
        source="Beteiligungskoffer",
        created_on=helpers.today() - 40 * DAY,
    )
    idea.refresh_from_db()
    assert (idea.author, idea.is_offline, idea.entered_by, idea.moderation) == (
        None,
        True,
        editor_a,
        "published",
    )
    assert idea.created_at.date() == helpers.today() - 40 * DAY  # paper that arrived after the idea phase
    assert list(ideas_selectors.idea_list()) == [idea]
    assert ParticipationEvent.objects.get(idea=idea).kind == "offline_entered"
    with pytest.raises(ValidationError) as error:
        ideas_services.idea_enter_offline(
            process=process,
            by=editor_a,
            acting_town=process.municipality,
            fields={"title": "Morgen", "body": "?"},
            source="Workshop",
            created_on=helpers.today() + DAY,
        )
    assert "created_at" in error.value.message_dict


def test_a_place_must_lie_within_the_town(process, town_a):
    town_a.map_south, town_a.map_west, town_a.map_north, town_a.map_east = (
        Decimal("51.35"),
        Decimal("7.95"),
        Decimal("51.45"),
        Decimal("8.15"),
    )
    town_a.save()
    process = Process.objects.get(pk=process.pk)
    with pytest.raises(ValidationError) as error:
        _submit(process, latitude=Decimal("52.52"), longitude=Decimal("13.40"))  # Berlin
    assert "latitude" in error.value.message_dict
    with pytest.raises(ValidationError):
        _submit(process, latitude=Decimal("51.40"))  # half a place
    idea = _submit(
        process, latitude=Decimal("51.400000"), longitude=Decimal("8.060000"), location_label="Markt"
    )
    assert idea.has_location
    assert Idea.objects.count() == 1


def test_a_place_in_a_partner_town_is_fine_for_a_joint_process(town_a, town_b):
    for town, bounds in (
        (town_a, ("51.35", "7.95", "51.45", "8.15")),
        (town_b, ("51.52", "8.05", "51.60", "8.18")),
    ):
        town.map_south, town.map_west, town.map_north, town.map_east = map(Decimal, bounds)
        town.save()
    joint = factories.process(municipality=town_a, partners=[town_b])
    with town_scope(town_b):
        idea = _submit(Process.objects.get(pk=joint.pk), latitude=Decimal("51.57"), longitude=Decimal("8.10"))
        assert idea.has_location
        with pytest.raises(ValidationError):
            _submit(Process.objects.get(pk=joint.pk), latitude=Decimal("51.50"), longitude=Decimal("8.10"))


def test_a_process_without_places_drops_them(process):
    processes_services.process_change(
        process=process, by=None, acting_town=process.municipality, fields={"allow_location": False}
    )
    idea = _submit(process, latitude=Decimal("51.4"), longitude=Decimal("8.0"), location_label="Markt")
    idea.refresh_from_db()
    assert (idea.latitude, idea.longitude, idea.location_label) == (None, None, "")


def test_an_idea_needs_consent_to_the_privacy_notice(process, citizen):
    with pytest.raises(ValidationError) as error:
        _submit(process, author=citizen, consent=False)
    assert "consent" in error.value.message_dict
    assert not Idea.objects.exists()
    idea = _submit(process, author=citizen)
    assert idea.consent_at is not None and idea.author == citizen


# --- Supports ----------------------------------------------------------------------------------------------


def test_one_support_per_person_which_can_be_withdrawn(idea, citizen):
    people = [factories.UserFactory() for _ in range(3)]
    assert supports_services.support_add(idea=idea, user=citizen)
    assert not supports_services.support_add(idea=idea, user=citizen)
    for person in people:
        supports_services.support_add(idea=idea, user=person)
    assert ideas_selectors.idea_list().get(pk=idea.pk).support_count == 4
    assert supports_services.support_withdraw(idea=idea, user=citizen)
    assert not supports_services.support_withdraw(idea=idea, user=citizen)
    assert ideas_selectors.idea_list().get(pk=idea.pk).support_count == 3
    assert supports_services.support_add(idea=idea, user=citizen)  # and given again
    assert Support.objects.filter(idea=idea).count() == 4


# --- Notifications (tasks run inline after commit) ---------------------------------------------------------


def test_a_status_change_tells_the_author_and_the_supporters_once_after_commit(
    idea, citizen, editor_a, django_capture_on_commit_callbacks, mailoutbox
):
    supporters = [factories.UserFactory() for _ in range(2)]
    for person in supporters:
        supports_services.support_add(idea=idea, user=person)
    municipality = idea.municipality
    with django_capture_on_commit_callbacks(execute=True):
        answer = answers_services.idea_answer(
            idea=idea, by=editor_a, acting_town=municipality, to=Status.ACCEPTED, body="Das machen wir."
        )
        assert _notifications(municipality) == []  # nothing before the commit
    rows = _notifications(municipality, kind="idea.status")
    assert [n.recipient for n in rows] == sorted([citizen, *supporters], key=lambda u: u.pk)
    assert {n.key for n in rows} == {f"idea:answer:{answer.pk}"}
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in [citizen, *supporters])
    # The task running again (a redelivered message) tells nobody twice.
    from participation.tasks import idea_answer_notify

    assert (
        idea_answer_notify.apply(kwargs={"municipality_id": municipality.pk, "answer_id": answer.pk}).result
        == 0
    )
    assert len(_notifications(municipality)) == 3 and len(mailoutbox) == 3


def test_a_comment_tells_the_idea_author_but_not_about_their_own(
    idea, citizen, django_capture_on_commit_callbacks
):
    other = factories.UserFactory()
    municipality = idea.municipality
    with django_capture_on_commit_callbacks(execute=True):
        comments_services.comment_post(idea=idea, author=citizen, body="Noch ein Gedanke von mir.")
    assert _notifications(municipality) == []
    with django_capture_on_commit_callbacks(execute=True):
        comment = comments_services.comment_post(idea=idea, author=other, body="Finde ich gut.")
    rows = _notifications(municipality)
    assert [(n.recipient, n.kind, n.key) for n in rows] == [
        (citizen, "idea.comment", f"idea:comment:{comment.pk}")
    ]


def test_a_reply_tells_the_author_of_the_comment_too(idea, citizen, django_capture_on_commit_callbacks):
    first = factories.UserFactory()
    parent = factories.comment(idea=idea, author=first)
    Notification.objects.with_scope(municipality=idea.municipality_id).all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        comments_services.comment_post(
            idea=idea, author=factories.UserFactory(), body="Antwort", parent=parent
        )
    assert {n.recipient for n in _notifications(idea.municipality)} == {citizen, first}
    reply = Comment.objects.filter(parent=parent).get()
    with pytest.raises(ValidationError):
        comments_services.comment_post(
            idea=idea, author=factories.UserFactory(), body="Antwort auf Antwort", parent=reply
        )


def test_a_linked_projects_status_change_tells_the_authors_of_its_ideas(
    process, citizen, town_a, django_capture_on_commit_callbacks
):
    project = factories.project(municipality=town_a)
    linked = factories.idea(process=process, author=citizen)
    factories.idea(process=process)  # another idea, not linked: its author hears nothing
    ideas_services.idea_link_project(idea=linked, project=project, by=None, acting_town=town_a)
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_transition(
            project=project, to="planned", by=None, acting_town=town_a, reason="Beschlossen"
        )
    rows = _notifications(town_a, kind="idea.project")
    assert [n.recipient for n in rows] == [citizen]
    assert rows[0].body == "Beschlossen"


def test_an_internal_projects_status_is_not_announced_to_citizens(
    process, citizen, town_a, django_capture_on_commit_callbacks
):
    project = factories.project(municipality=town_a, visibility="internal")
    ideas_services.idea_link_project(
        idea=factories.idea(process=process, author=citizen), project=project, by=None, acting_town=town_a
    )
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_transition(
            project=project, to="planned", by=None, acting_town=town_a, reason="x"
        )
    assert _notifications(town_a, kind="idea.project") == []


def test_linking_an_idea_to_a_project_tells_its_author_and_supporters_once_per_link(
    process, citizen, town_a, editor_a, django_capture_on_commit_callbacks, mailoutbox
):
    project = factories.project(municipality=town_a, title="Sensoren für Parkplätze")
    idea = factories.idea(process=process, author=citizen, title="Freie Parkplätze anzeigen")
    supporters = [factories.UserFactory() for _ in range(2)]
    for person in [*supporters, editor_a]:
        supports_services.support_add(idea=idea, user=person)
    other = factories.idea(process=process)  # not linked: its author hears nothing
    with django_capture_on_commit_callbacks(execute=True):
        ideas_services.idea_link_project(idea=idea, project=project, by=editor_a, acting_town=town_a)
        assert _notifications(town_a) == []  # nothing before the commit
    rows = _notifications(town_a, kind="idea.project")
    # The editor who linked it supports the idea too, but is not told about their own action.
    assert [n.recipient for n in rows] == sorted([citizen, *supporters], key=lambda u: u.pk)
    assert {n.title for n in rows} == {
        "Die Idee „Freie Parkplätze anzeigen“ hat zum Projekt „Sensoren für Parkplätze“ geführt"
    }
    assert {n.url for n in rows} == {project.get_absolute_url()}
    assert other.author_id not in {n.recipient_id for n in rows}
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in [citizen, *supporters])

    # Saving the same link again changes nothing and tells nobody; the task running again neither.
    from participation.tasks import idea_linked_notify

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ideas_services.idea_link_project(idea=idea, project=project, by=editor_a, acting_town=town_a)
    assert callbacks == []
    event = ParticipationEvent.objects.filter(idea=idea, kind="project_linked").get()
    assert (
        idea_linked_notify.apply(
            kwargs={"municipality_id": town_a.pk, "idea_id": idea.pk, "event_id": event.pk}
        ).result
        == 0
    )
    assert len(_notifications(town_a, kind="idea.project")) == 3 and len(mailoutbox) == 3

    # Removing the link tells nobody; linking another project is a new link, told again.
    second = factories.project(municipality=town_a, title="Parkleitsystem")
    with django_capture_on_commit_callbacks(execute=True):
        ideas_services.idea_link_project(idea=idea, project=None, by=editor_a, acting_town=town_a)
    assert len(_notifications(town_a, kind="idea.project")) == 3
    with django_capture_on_commit_callbacks(execute=True):
        ideas_services.idea_link_project(idea=idea, project=second, by=editor_a, acting_town=town_a)
    assert len(_notifications(town_a, kind="idea.project")) == 6


def test_a_link_to_an_internal_project_or_of_a_hidden_idea_is_not_announced(
    process, citizen, town_a, editor_a, django_capture_on_commit_callbacks
):
    internal = factories.project(municipality=town_a, visibility="internal")
    with django_capture_on_commit_callbacks(execute=True):
        ideas_services.idea_link_project(
            idea=factories.idea(process=process, author=citizen),
            project=internal,
            by=editor_a,
            acting_town=town_a,
        )
    hidden = factories.idea(process=process, author=citizen)
    moderation_services.moderation_hide(target=hidden, by=editor_a, acting_town=town_a, reason="Werbung")
    with django_capture_on_commit_callbacks(execute=True):
        ideas_services.idea_link_project(
            idea=hidden, project=factories.project(municipality=town_a), by=editor_a, acting_town=town_a
        )
    assert _notifications(town_a, kind="idea.project") == []


# --- Rate limits (the real cache: Redis in CI) -------------------------------------------------------------


def _request(user=None, ip="192.0.2.10"):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().post("/", REMOTE_ADDR=ip)
    request.user = user or AnonymousUser()
    return request


@pytest.fixture
def real_cache():
    """Redis, as in production: what many workers share, with atomic ``incr``."""
    need(
        settings.CACHES["default"]["BACKEND"].endswith("RedisCache"),
        "REDIS_URL must point at a running Redis: rate limits are counted in the shared cache",
    )
    cache.clear()
    yield cache
    cache.clear()


def test_rate_limits_count_per_person(settings):
    settings.RATE_LIMITS = {"idea": [(3, 3600, "user"), (100, 3600, "ip")]}
    alice, bob = factories.UserFactory(), factories.UserFactory()
    for _ in range(3):
        check_rate(_request(alice), "idea")
    with pytest.raises(RateLimited) as error:
        check_rate(_request(alice, ip="192.0.2.99"), "idea")  # another address does not help
    assert 0 < error.value.retry_after <= 3600
    check_rate(_request(bob), "idea")  # others are not affected
    check_rate(_request(alice), "comment")  # nor other actions


def test_rate_limits_count_per_address_for_everyone_behind_it(settings):
    settings.RATE_LIMITS = {"report": [(100, 600, "user"), (4, 600, "ip")]}
    for _ in range(4):
        check_rate(_request(factories.UserFactory()), "report")
    with pytest.raises(RateLimited):
        check_rate(_request(factories.UserFactory()), "report")
    with pytest.raises(RateLimited):
        check_rate(_request(), "report")  # signed out, same address
    check_rate(_request(ip="198.51.100.7"), "report")


def test_rate_limits_live_in_the_shared_cache_without_plain_addresses(real_cache, settings):
    settings.RATE_LIMITS = {"report": [(4, 600, "ip")]}
    check_rate(_request(ip="192.0.2.10"), "report")
    keys = [key.decode() for key in real_cache._cache.get_client().keys("*")]
    assert len(keys) == 1 and ":rl:report:ip:" in keys[0]
    assert "192.0.2.10" not in keys[0]


def test_parallel_requests_cannot_slip_past_a_limit(real_cache, settings):
    settings.RATE_LIMITS = {"support": [(5, 600, "user")]}
    user = factories.UserFactory()
    barrier = threading.Barrier(12)
    passed, limited = [], []

    def click():
        barrier.wait(timeout=10)
        try:
            check_rate(_request(user), "support")
            passed.append(1)
        except RateLimited:
            limited.append(1)

    threads = [threading.Thread(target=click) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert (len(passed), len(limited)) == (5, 7)


# --- Query counts of the selectors -------------------------------------------------------------------------


def test_the_idea_list_costs_the_same_few_queries_for_thirty_ideas(
    process, catalogue, django_assert_max_num_queries
):
    from projects.models import FieldOfAction

    fields = FieldOfAction.objects.first()
    assert fields is not None
    for number in range(30):
        idea = factories.idea(process=process, title=f"Idee {number}", field_of_action=fields)
        factories.comment(idea=idea)
        supports_services.support_add(idea=idea, user=factories.UserFactory())
    with django_assert_max_num_queries(1):
        ideas = list(ideas_selectors.idea_list())
        rendered = [
            (
                i.get_absolute_url(),
                i.author.display_name,
                i.process.title,
                i.municipality.brand_colour,
                i.field_of_action,
                i.support_count,
                i.comment_count,
            )
            for i in ideas
        ]
    assert len(rendered) == 30 and {r[5:] for r in rendered} == {(1, 1)}


def test_the_idea_page_costs_the_same_few_queries_however_long_the_discussion(
    idea, citizen, django_assert_max_num_queries
):
    for _ in range(10):
        parent = factories.comment(idea=idea)
        factories.comment(idea=idea, parent=parent)
    flags_services.flag_submit(target=idea, reporter=citizen, reason="spam")
    with django_assert_max_num_queries(5):
        related = idea_page_selectors.idea_page_related(idea=idea, user=citizen)
        names = [
            (c.author.display_name, [r.author.display_name for r in c.replies.all()])
            for c in related["comments"]
        ]
    assert len(names) == 10 and related["comment_total"] == 20 and related["reported_idea"]


def test_my_participation_costs_the_same_few_queries_in_every_town(
    town_a, town_b, citizen, django_assert_max_num_queries
):
    for town in (town_a, town_b):
        process = factories.process(municipality=town)
        with town_scope(town):
            for number in range(5):
                idea = factories.idea(process=process, author=citizen, title=f"{town.name} {number}")
                factories.comment(idea=idea, author=citizen)
                supports_services.support_add(idea=idea, user=citizen)
    with django_assert_max_num_queries(4):
        mine = people_selectors.user_contributions(user=citizen)
        rows = [
            (i.get_absolute_url(), i.municipality.name, i.process.title, i.project) for i in mine["ideas"]
        ]
        rows += [(c.municipality.slug, c.idea.title) for c in mine["comments"]]
        rows += [(s.idea.get_absolute_url(), s.idea.municipality.name) for s in mine["supports"]]
    assert len(rows) == 30


# --- Text search -----------------------------------------------------------------------------------------


def test_the_text_search_finds_parts_of_words_in_title_description_and_place(process, town_a):
    factories.idea(process=process, title="Neuer Spielplatz", body="Für die Kinder im Viertel.")
    factories.idea(
        process=process, title="Mehr Licht", body="Die Unterführung ist dunkel.", location_label="Ruhrstraße"
    )
    factories.idea(process=process, title="Bank am Fluss", body="Zum Ausruhen.")

    def titles(q):
        with town_scope(town_a):
            return sorted(
                i.title for i in ideas_selectors.idea_list(filters=ideas_selectors.IdeaFilters(q=q))
            )

    assert titles("platz") == ["Neuer Spielplatz"]  # a part of a compound word, as German needs
    assert titles("KINDER viertel") == ["Neuer Spielplatz"]  # every word, in any case
    assert titles("ruh") == ["Bank am Fluss", "Mehr Licht"]  # "Ausruhen" and the place "Ruhrstraße"
    assert titles("Licht Fluss") == []


def test_the_text_search_is_answered_from_the_trigram_indexes_on_postgresql(process, town_a):
    from django.db import connection

    need(connection.vendor == "postgresql", "the trigram indexes exist on PostgreSQL only")
    factories.idea(process=process, title="Trinkbrunnen")
    # The search's own condition, as filter_ideas writes it (the lists add the scope and visibility to it).
    qs = ideas_selectors.filter_ideas(Idea._base_manager.all(), ideas_selectors.IdeaFilters(q="brunnen"))
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows would be read sequentially anyway; forbid that to see whether the index fits the SQL.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # One index over the stored search text (Idea.search_text: title, description and place).
    assert "idea_search_text_trgm" in plan, plan


@pytest.mark.parametrize("sort", ["new", "supported", "discussed"])
def test_every_sort_of_the_idea_lists_can_be_read_from_an_index(process, town_a, sort):
    """The lists' first page is read in order from an index (idea_visible_<sort>) instead of sorting every idea
    of the scope; the index follows selectors.SORTS, so changing a sort without its index fails here."""
    from django.db import connection

    need(connection.vendor == "postgresql", "the plan is checked on PostgreSQL")
    factories.idea(process=process)
    with town_scope(town_a):
        qs = ideas_selectors.idea_list(filters=ideas_selectors.IdeaFilters(sort=sort))[:20]
        sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows would be read and sorted anyway; forbid both to see whether the index fits.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"idea_visible_{sort}" in plan, plan
