"""Voting codes: their form (check character, no look-alikes), a batch ordered by the town's editors, codes that
are stored only as hashes, used once (also when two people send the same code at the same moment), only in their
town, process and purpose; the vote and the survey by codes, and their pages (clear form errors, never a 500)."""

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.utils import translation

from accounts.models import Role
from municipalities.scoping import town_scope
from participation.models import (
    Ballot,
    CodePurpose,
    ParticipationEvent,
    Process,
    Vote,
    VotingCode,
    VotingCodeBatch,
)
from participation.services import ballots as ballots_services
from participation.services import codes as codes_services
from participation.services import ideas as ideas_services
from participation.services import processes as processes_services
from smartcity5.history import readable_changes
from surveys import services as survey_services
from surveys.models import Participant, QuestionKind, Response, Survey
from surveys.services import QuestionInput
from tests import factories, helpers
from tests.conftest import need

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _vote_today():
    """A plan whose vote is open today (read when the test runs)."""
    today = helpers.today()
    return [
        {"kind": "information", "starts_on": today - 30 * DAY, "ends_on": today - 21 * DAY},
        {"kind": "survey", "starts_on": today - 20 * DAY, "ends_on": today - 11 * DAY},
        {"kind": "ideas", "starts_on": today - 10 * DAY, "ends_on": today - 5 * DAY},
        {"kind": "vote", "starts_on": today - 4 * DAY, "ends_on": today + 10 * DAY},
        {"kind": "results", "starts_on": today + 11 * DAY, "ends_on": None},
    ]


def make_codes(batch: VotingCodeBatch) -> list[str]:
    """What the worker does (without the letters): the codes as printed, their hashes saved, the batch done."""
    plain, rows = codes_services.voting_codes_make(batch)
    codes_services.voting_codes_save(rows)
    VotingCodeBatch.objects.filter(pk=batch.pk).update(status="done", progress=100)
    return plain


def order(
    process, municipality, *, purpose=CodePurpose.VOTE, count=5, by=None
) -> tuple[VotingCodeBatch, list[str]]:
    """A batch ordered and its codes made (:func:`make_codes`) in the order's one transaction. Where it commits (a
    transactional test: a browser journey, concurrent voters) the order's hand-over runs the letters task after it
    (eagerly), which finds the batch done and makes nothing: no second set of ``count`` codes and no letters
    typeset for codes nobody prints (1,200 letters were most of a minute of CPU in the browser journey)."""
    with town_scope(municipality), transaction.atomic():
        batch = codes_services.voting_code_batch_order(
            process=process, purpose=purpose, count=count, by=by, acting_town=municipality
        )
        return batch, make_codes(batch)


@pytest.fixture
def vote(town_a):
    """A process whose vote by codes is open today, with three ideas on the shortlist."""
    # One commit (tests/reports/conftest.py's fill_town says why): the browser journey's open data are built once.
    with transaction.atomic():
        item = factories.process(municipality=town_a, votes_per_person=2, vote_by_codes=True)
        ideas = [factories.idea(process=item, title=title) for title in ("Bänke", "Bäume", "Brunnen")]
        with town_scope(town_a):
            for idea in ideas:
                ideas_services.idea_set_shortlisted(idea=idea, shortlisted=True, by=None, acting_town=town_a)
            today = helpers.today()
            processes_services.process_change(
                process=Process.objects.get(pk=item.pk),
                by=None,
                acting_town=town_a,
                fields={},
                phases=[{"kind": "vote", "starts_on": today - 2 * DAY, "ends_on": today + 10 * DAY}],
            )
    with town_scope(town_a):
        return Process.objects.get(pk=item.pk), ideas


@pytest.fixture
def survey(town_a):
    item = factories.process(municipality=town_a, phases=helpers.survey_phases(), title="Umfrage per Code")
    with town_scope(town_a):
        made = survey_services.survey_create(
            process=item, by=None, fields={"title": "Ihre Meinung", "audience": "codes", "is_anonymous": True}
        )
        question = survey_services.question_add(
            survey=made,
            by=None,
            values=QuestionInput(
                kind=QuestionKind.SINGLE, text="Gefällt Ihnen der Markt?", options=["Ja", "Nein"]
            ),
        )
        return Survey.objects.get(pk=made.pk), question


# --- The form of a code ------------------------------------------------------------------------------------


def test_codes_have_twelve_characters_without_look_alikes_and_a_check_character():
    made = {codes_services.code_new() for _ in range(500)}
    assert len(made) == 500
    for code in made:
        assert len(code) == 12 and not set(code) & set("01IO")
        assert codes_services.code_normalise(codes_services.code_format(code).lower()) == code
    code = sorted(made)[0]
    printed = codes_services.code_format(code)
    assert printed.count("-") == 2 and len(printed) == 14
    assert codes_services.code_normalise(f"  {printed[:6]} {printed[6:]} ") == code


def test_every_typo_of_one_character_and_swaps_of_neighbours_are_refused_as_typos():
    code = codes_services.code_new()
    caught = swaps = 0
    for position in range(12):
        for char in codes_services.ALPHABET:
            if char == code[position]:
                continue
            typo = code[:position] + char + code[position + 1 :]
            with pytest.raises(ValidationError) as error:
                codes_services.code_normalise(typo)
            assert error.value.code == "code_typo"
            caught += 1
    missed = []
    for position in range(11):
        if code[position] != code[position + 1]:
            swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
            swaps += 1
            try:
                codes_services.code_normalise(swapped)
                missed.append({code[position], code[position + 1]})
            except ValidationError:
                caught += 1
    # Luhn mod N misses exactly one kind of swap: the alphabet's first and last character side by side (a code
    # may hold that pair more than once, so the misses are checked by kind, not counted).
    assert all(pair == {codes_services.ALPHABET[0], codes_services.ALPHABET[-1]} for pair in missed), missed
    assert caught == 12 * 31 + swaps - len(missed)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("", "code_missing"), ("ABCD-EFGH-JKL0", "code_characters"), ("ABCD-EFGH", "code_length")],
)
def test_codes_that_cannot_be_codes_say_why(typed, reason):
    with pytest.raises(ValidationError) as error:
        codes_services.code_normalise(typed)
    assert error.value.code == reason


# --- Ordering and storing ----------------------------------------------------------------------------------


def test_a_batch_stores_only_hashes_and_records_who_ordered_it(town_a, vote, editor_a):
    process, _ideas = vote
    batch, plain = order(process, town_a, count=7, by=editor_a)
    assert len(set(plain)) == 7
    with town_scope(town_a):
        hashes = set(VotingCode.objects.filter(batch=batch).values_list("code_hash", flat=True))
        assert len(hashes) == 7
        assert hashes == {codes_services.code_hash(codes_services.code_normalise(code)) for code in plain}
        stored = " ".join(str(v) for row in VotingCode.objects.values() for v in row.values())
        assert not any(codes_services.code_normalise(code) in stored for code in plain)
        event = ParticipationEvent.objects.get(kind="voting_codes")
        assert event.actor == editor_a and event.process == process
        assert event.changes["count"] == ["", "7"]
    # The history names the batch's fields by their labels, as people read them (not "Count", "Purpose").
    with translation.override("de"):
        assert readable_changes(event) == [("Gilt für", "", "die Abstimmung"), ("Anzahl der Codes", "", "7")]


def test_only_editors_of_a_town_of_the_process_order_codes_and_within_the_limits(town_a, town_b, vote):
    process, _ideas = vote
    viewer = factories.staff_member(municipality=town_a, role=Role.VIEWER)
    other_editor = factories.staff_member(municipality=town_b, role=Role.EDITOR)
    with town_scope(town_a):
        for user in (viewer, other_editor, factories.UserFactory()):
            with pytest.raises(PermissionDenied):
                codes_services.voting_code_batch_order(
                    process=process, purpose="vote", count=5, by=user, acting_town=town_a
                )
        for count in (0, 5_001):
            with pytest.raises(ValidationError) as error:
                codes_services.voting_code_batch_order(
                    process=process, purpose="vote", count=count, by=None, acting_town=town_a
                )
            assert "count" in error.value.message_dict
        assert not VotingCodeBatch.objects.exists()


def test_codes_for_the_vote_only_for_a_process_that_votes_by_codes(town_a, vote, editor_a):
    """In a vote by accounts a code would never count: the order is refused with a form error (in German), and
    nothing is ordered or handed to the worker; codes for the survey stay possible."""
    process, _ideas = vote
    with town_scope(town_a):
        Process.objects.filter(pk=process.pk).update(vote_by_codes=False)
        by_accounts = Process.objects.get(pk=process.pk)
        with translation.override("de"), pytest.raises(ValidationError) as error:
            codes_services.voting_code_batch_order(
                process=by_accounts, purpose=CodePurpose.VOTE, count=5, by=editor_a, acting_town=town_a
            )
        assert error.value.error_dict["purpose"][0].code == "vote_not_by_codes"
        message = error.value.message_dict["purpose"][0]
        assert "mit einem Konto abgestimmt" in message and "„Abstimmung mit Abstimmungscodes“" in message
        assert not VotingCodeBatch.objects.exists()
        with transaction.atomic():
            survey_batch = codes_services.voting_code_batch_order(
                process=by_accounts, purpose=CodePurpose.SURVEY, count=5, by=editor_a, acting_town=town_a
            )
        assert survey_batch.purpose == CodePurpose.SURVEY


# --- Using a code -------------------------------------------------------------------------------------------


def _use(process, municipality, code, purpose=CodePurpose.VOTE):
    with town_scope(municipality), transaction.atomic():
        return codes_services.voting_code_use(
            code=code, process=process, purpose=purpose, municipality=municipality
        )


def _reason(error) -> str:
    return error.value.error_dict["code"][0].code


def test_a_code_is_used_once_in_its_own_town_process_and_purpose(town_a, town_b, vote):
    process, _ideas = vote
    other = factories.process(municipality=town_a, phases=_vote_today(), vote_by_codes=True)
    _batch, plain = order(process, town_a, count=3)
    with pytest.raises(ValidationError) as error:
        _use(other, town_a, plain[0])
    assert _reason(error) == "code_unknown"
    with pytest.raises(ValidationError) as error:
        _use(process, town_b, plain[0])  # another town's page (and scope)
    assert _reason(error) == "code_unknown"
    with pytest.raises(ValidationError) as error:
        _use(process, town_a, plain[0], purpose=CodePurpose.SURVEY)
    assert _reason(error) == "code_purpose"
    row = _use(process, town_a, plain[0].lower().replace("-", " "))
    assert row.used_at is not None
    with pytest.raises(ValidationError) as error:
        _use(process, town_a, plain[0])
    assert _reason(error) == "code_used"
    assert _use(process, town_a, plain[1]).pk != row.pk


def test_codes_of_a_batch_still_being_built_are_not_valid(town_a, vote):
    process, _ideas = vote
    batch, plain = order(process, town_a, count=2)
    VotingCodeBatch.objects.with_scope(municipality=town_a.pk).filter(pk=batch.pk).update(status="running")
    with pytest.raises(ValidationError) as error:
        _use(process, town_a, plain[0])
    assert _reason(error) == "code_unknown"


def test_a_ballot_by_code_names_no_person_and_a_code_votes_once(town_a, vote, citizen):
    process, ideas = vote
    _batch, plain = order(process, town_a, count=2)
    with town_scope(town_a):
        ballot = ballots_services.ballot_cast(
            process=process, user=citizen, votes={ideas[0].pk: 1, ideas[1].pk: 1}, code=plain[0]
        )
        assert ballot.user is None and ballot.voting_code.used_at is not None
        with pytest.raises(ValidationError) as error:
            ballots_services.ballot_cast(process=process, user=None, votes={ideas[2].pk: 1}, code=plain[0])
        assert _reason(error) == "code_used"
        with pytest.raises(ValidationError) as error:  # too many votes: the code is not spent
            ballots_services.ballot_cast(
                process=process, user=None, votes={i.pk: 1 for i in ideas}, code=plain[1]
            )
        assert error.value.code == "total"
        assert (
            VotingCode.objects.get(
                code_hash=codes_services.code_hash(codes_services.code_normalise(plain[1]))
            ).used_at
            is None
        )
        with pytest.raises(ValidationError) as error:  # an account does not vote in a vote by codes
            ballots_services.ballot_cast(process=process, user=citizen, votes={ideas[2].pk: 1})
        assert "code" in error.value.message_dict
        assert Ballot.objects.filter(process=process).count() == 1
        assert dict(Vote.objects.values_list("idea_id", "count")) == {ideas[0].pk: 1, ideas[1].pk: 1}


def test_a_survey_by_codes_takes_one_response_per_code_and_links_it_to_nobody(town_a, survey, citizen):
    made, question = survey
    process = made.process
    _batch, plain = order(process, town_a, purpose=CodePurpose.SURVEY, count=2)
    with town_scope(town_a):
        yes = question.options.get(label="Ja")
        response = survey_services.response_submit(
            survey=made, by=citizen, values={question.pk: yes.pk}, code=plain[0]
        )
        assert response.respondent is None and not Participant.objects.exists()
        with pytest.raises(ValidationError) as error:
            survey_services.response_submit(
                survey=made, by=citizen, values={question.pk: yes.pk}, code=plain[0]
            )
        assert _reason(error) == "code_used"
        with pytest.raises(ValidationError) as error:
            survey_services.response_submit(survey=made, by=citizen, values={question.pk: yes.pk})
        assert "code" in error.value.message_dict
        survey_services.response_submit(survey=made, by=citizen, values={question.pk: yes.pk}, code=plain[1])
        assert Response.objects.filter(survey=made).count() == 2
        with pytest.raises(ValidationError):  # the promise of anonymity holds
            survey_services.survey_change(
                survey=Survey.objects.get(pk=made.pk), by=None, fields={"is_anonymous": False}
            )


@pytest.mark.django_db(transaction=True)
def test_one_code_sent_at_the_same_moment_from_two_places_votes_once(town_a, vote):
    need(
        connection.vendor == "postgresql", "concurrent writers need PostgreSQL (SQLite locks the whole file)"
    )
    process, ideas = vote
    _batch, plain = order(process, town_a, count=1)
    barrier = threading.Barrier(6)
    results, errors = [None] * 6, [None] * 6

    def cast(index):
        try:
            barrier.wait(timeout=20)
            with town_scope(town_a):
                results[index] = ballots_services.ballot_cast(
                    process=process, user=None, votes={ideas[index % 3].pk: 1}, code=plain[0]
                )
        except Exception as error:  # noqa: BLE001 - examined below
            errors[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cast, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [r for r in results if r is not None].__len__() == 1
    refused = [e for e in errors if e is not None]
    assert len(refused) == 5 and all(isinstance(e, ValidationError) for e in refused), errors
    assert {e.error_dict["code"][0].code for e in refused} == {"code_used"}
    with town_scope(town_a):
        assert Ballot.objects.filter(process=process).count() == 1
        assert Vote.objects.filter(ballot__process=process).count() == 1


def test_a_process_goes_with_its_codes_and_their_ballots(town_a, vote):
    process, ideas = vote
    _batch, plain = order(process, town_a, count=1)
    with town_scope(town_a):
        ballots_services.ballot_cast(process=process, user=None, votes={ideas[0].pk: 1}, code=plain[0])
        Process.objects.get(pk=process.pk).delete()
        assert not VotingCode.objects.exists() and not Ballot.objects.exists()


def test_a_vote_with_ordered_codes_stays_a_vote_by_codes(town_a):
    """Before the vote starts its rules may change, but not away from codes once letters for the vote were ordered:
    they would become worthless. Codes for the survey do not hold the vote."""
    future = factories.process(municipality=town_a, vote_by_codes=True)  # the vote comes later

    def switch(on: bool) -> None:
        with town_scope(town_a), transaction.atomic():
            processes_services.process_change(
                process=Process.objects.get(pk=future.pk),
                by=None,
                acting_town=town_a,
                fields={"vote_by_codes": on},
            )

    order(future, town_a, purpose=CodePurpose.SURVEY, count=1)
    switch(False)
    switch(True)
    order(future, town_a, count=1)
    with pytest.raises(ValidationError) as refused:
        switch(False)
    assert "Abstimmungscodes" in str(refused.value.message_dict["vote_by_codes"]) or "codes" in str(
        refused.value.message_dict["vote_by_codes"]
    )
    with town_scope(town_a):
        assert Process.objects.get(pk=future.pk).vote_by_codes
