"""The vote through the API (issue 18): a citizen's ballot by numbers of votes or in a participatory budget, a ballot
by voting code that names nobody, paper ballots typed in by staff; every refusal a clear 400 (or 401/403/404 as the
pages answer), the same service as the vote page, and nothing of another town reachable."""

import datetime
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from accounts.services import api_token_create
from municipalities.scoping import town_scope
from participation.models import Ballot, Feasibility, Idea, ParticipationEvent, Process, Vote, VotingCode
from participation.services import ideas as ideas_services
from participation.services import processes as processes_services
from tests import factories, helpers
from tests.participation.test_voting_codes import order

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _vote_open():
    """A plan whose vote is open today (read when the test runs)."""
    today = helpers.today()
    return [{"kind": "vote", "starts_on": today - 2 * DAY, "ends_on": today + 10 * DAY}]


def _url(name, municipality, slug):
    return reverse(f"api:{name}", kwargs={"town_slug": municipality.slug, "slug": slug})


def _post(client, url, data, **extra):
    return client.post(url, data=json.dumps(data), content_type="application/json", **extra)


def _open_vote(municipality, process, phases=None) -> Process:
    with town_scope(municipality):
        processes_services.process_change(
            process=Process.objects.get(pk=process.pk),
            by=None,
            acting_town=municipality,
            fields={},
            phases=_vote_open() if phases is None else phases,
        )
        return Process.objects.get(pk=process.pk)


def _shortlist(municipality, process, titles):
    ideas = [factories.idea(process=process, title=title) for title in titles]
    with town_scope(municipality):
        for idea in ideas:
            ideas_services.idea_set_shortlisted(
                idea=idea, shortlisted=True, by=None, acting_town=municipality
            )
    return ideas


@pytest.fixture
def vote(town_a, catalogue):
    """A vote by numbers of votes, open today: 3 votes a person, at most 2 for one idea, three ideas shortlisted."""
    process = factories.process(municipality=town_a, votes_per_person=3, votes_per_idea=2)
    ideas = _shortlist(town_a, process, ("Bänke", "Bäume", "Brunnen"))
    return _open_vote(town_a, process), ideas


@pytest.fixture
def budget(town_a, catalogue):
    """A participatory budget of 50.000 €, open today, with three feasible proposals and one not checked."""
    process = factories.process(municipality=town_a, vote_mode="budget", budget_cap=Decimal("50000"))
    with town_scope(town_a):
        ideas = [
            Idea.objects.create(
                process=process,
                municipality=town_a,
                title=title,
                body="Vorschlag",
                author=factories.UserFactory(),
                cost_estimate=Decimal(cost),
                feasibility=Feasibility.FEASIBLE,
            )
            for title, cost in (("Bäume", 30000), ("Brunnen", 40000), ("Bank", 5000))
        ]
        unchecked = Idea.objects.create(
            process=process, municipality=town_a, title="Ungeprüft", body="?", author=factories.UserFactory()
        )
    return _open_vote(town_a, process), ideas, unchecked


@pytest.fixture
def code_vote(town_a, catalogue):
    """A vote by codes, open today, three ideas shortlisted, three codes of town A."""
    process = factories.process(municipality=town_a, votes_per_person=2, vote_by_codes=True)
    ideas = _shortlist(town_a, process, ("Bänke", "Bäume", "Brunnen"))
    process = _open_vote(town_a, process)
    _batch, codes = order(process, town_a, count=3)
    return process, ideas, codes


def _errors(response) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


# --- A citizen's ballot ------------------------------------------------------------------------------------


def test_a_citizen_casts_and_changes_a_ballot_of_votes(client, town_a, vote, citizen):
    process, (benches, trees, fountain) = vote
    url = _url("process-ballot", town_a, process.slug)
    assert client.get(url).status_code == 401
    assert _post(client, url, {"ideas": [benches.pk]}).status_code == 401
    client.force_login(citizen)
    empty = client.get(url)
    assert empty.status_code == 200
    assert empty.json()["votes"] == [] and empty.json()["votes_per_person"] == 3
    response = _post(
        client, url, {"votes": [{"idea": benches.pk, "count": 2}, {"idea": trees.pk, "count": 1}]}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["vote_mode"] == "votes" and body["by_code"] is False and body["vote_open"] is True
    assert [(v["title"], v["count"]) for v in body["votes"]] == [("Bänke", 2), ("Bäume", 1)]
    assert body["votes_given"] == 3 and body["budget_cap"] is None and body["budget_spent"] is None
    # Changed as a whole (the same ballot), and read back.
    response = _post(client, url, {"ideas": [fountain.pk]})
    assert response.status_code == 200 and response.json()["votes_given"] == 1
    assert client.get(url).json()["votes"] == [
        {"idea": fountain.pk, "title": "Brunnen", "count": 1, "cost": None}
    ]
    with town_scope(town_a):
        ballot = Ballot.objects.get(process=process)
        assert ballot.user == citizen and ballot.voting_code is None
        assert dict(Vote.objects.values_list("idea_id", "count")) == {fountain.pk: 1}
    # An empty list withdraws the votes.
    assert _post(client, url, {"ideas": []}).json()["votes"] == []


@pytest.mark.parametrize(
    "ballot, field, words",
    [
        ({"votes": [{"idea": "BENCHES", "count": 3}]}, "non_field_errors", "höchstens 2 Stimmen"),
        (
            {"votes": [{"idea": "BENCHES", "count": 2}, {"idea": "TREES", "count": 2}]},
            "non_field_errors",
            "Sie haben 3 Stimmen; vergeben haben Sie 4",
        ),
        ({"ideas": ["OTHER"]}, "non_field_errors", "Auswahlliste"),
        ({"ideas": ["BENCHES", "BENCHES"]}, "ideas", "einmal"),
        ({"votes": [{"idea": "BENCHES", "count": 1}, {"idea": "BENCHES", "count": 1}]}, "votes", "einmal"),
        ({"votes": [{"idea": "BENCHES", "count": 0}]}, "votes", ""),
        ({"ideas": ["BENCHES"], "votes": []}, "non_field_errors", "entweder"),
        ({}, "non_field_errors", "entweder"),
        ({"ideas": ["BENCHES"], "code": "ABCD-EFGH-JKLM"}, "code", "nicht mit Codes"),
        ({"ideas": "BENCHES"}, "ideas", ""),
    ],
)
def test_a_ballot_refused_says_why_and_stores_nothing(client, town_a, vote, citizen, ballot, field, words):
    process, (benches, trees, _fountain) = vote
    other = factories.idea(process=factories.process(municipality=town_a), title="Anderswo")
    names = {"BENCHES": benches.pk, "TREES": trees.pk, "OTHER": other.pk}

    def resolve(value):
        if isinstance(value, list):
            return [resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        return names.get(value, value) if isinstance(value, str) and value in names else value

    client.force_login(citizen)
    response = _post(client, _url("process-ballot", town_a, process.slug), resolve(ballot))
    assert response.status_code == 400
    assert field in response.json() and words in _errors(response), response.json()
    with town_scope(town_a):
        assert not Vote.objects.filter(ballot__process=process).exists()


def test_the_vote_must_be_open(client, town_a, catalogue, citizen):
    process = factories.process(municipality=town_a)  # collecting ideas; the vote comes later
    url = _url("process-ballot", town_a, process.slug)
    client.force_login(citizen)
    response = _post(client, url, {"ideas": []})
    assert response.status_code == 400 and "Die Abstimmung ist nicht geöffnet" in _errors(response)
    assert client.get(url).json()["vote_open"] is False


def test_an_unconfirmed_address_is_403_and_a_bad_body_400(client, town_a, vote):
    process, (benches, *_rest) = vote
    url = _url("process-ballot", town_a, process.slug)
    client.force_login(factories.UserFactory(verified=False))
    response = _post(client, url, {"ideas": [benches.pk]})
    assert response.status_code == 403 and "bestätigen" in response.json()["detail"]
    client.force_login(factories.UserFactory())
    assert _post(client, url, ["not", "an", "object"]).status_code == 400


def test_a_budget_ballot_stays_within_the_cap(client, town_a, budget, citizen):
    process, (trees, fountain, bench), unchecked = budget
    url = _url("process-ballot", town_a, process.slug)
    client.force_login(citizen)
    response = _post(client, url, {"ideas": [trees.pk, fountain.pk]})
    assert response.status_code == 400
    assert "70.000 €" in _errors(response) and "20.000 € mehr als das Budget von 50.000 €" in _errors(
        response
    )
    response = _post(client, url, {"ideas": [unchecked.pk]})
    assert response.status_code == 400 and "umsetzbaren Vorschläge" in _errors(response)
    response = _post(client, url, {"votes": [{"idea": trees.pk, "count": 1}]})
    assert response.status_code == 400 and "als ideas" in response.json()["votes"][0]
    response = _post(client, url, {"ideas": [trees.pk, bench.pk]})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["vote_mode"] == "budget" and body["votes_per_person"] is None
    assert Decimal(body["budget_cap"]) == Decimal("50000") and Decimal(body["budget_spent"]) == Decimal(
        "35000"
    )
    assert [(v["title"], Decimal(v["cost"])) for v in body["votes"]] == [
        ("Bank", Decimal("5000")),
        ("Bäume", Decimal("30000")),
    ]
    assert client.get(url).json() == body


def test_a_token_casts_a_ballot_and_a_session_needs_the_csrf_token(town_a, vote):
    process, (benches, *_rest) = vote
    url = _url("process-ballot", town_a, process.slug)
    editor = factories.staff_member(municipality=town_a, role=Role.EDITOR)
    _token, secret = api_token_create(user=editor, name="Abstimmung")
    client = Client(enforce_csrf_checks=True)
    response = _post(client, url, {"ideas": [benches.pk]}, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200, response.json()
    with town_scope(town_a):
        assert Ballot.objects.get(process=process).user == editor
    client.force_login(factories.UserFactory())
    assert _post(client, url, {"ideas": [benches.pk]}).status_code == 403  # CSRF


def test_votes_count_against_the_vote_rate_limit(client, town_a, vote, citizen, settings):
    process, (benches, *_rest) = vote
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "vote": [(2, 600, "user")]}
    url = _url("process-ballot", town_a, process.slug)
    client.force_login(citizen)
    for _attempt in range(2):
        assert _post(client, url, {"ideas": [benches.pk]}).status_code == 200
    response = _post(client, url, {"ideas": [benches.pk]})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


# --- A ballot by voting code -------------------------------------------------------------------------------


def test_a_code_votes_once_and_its_ballot_names_nobody(client, town_a, code_vote, citizen):
    process, (benches, trees, fountain), codes = code_vote
    url = _url("process-ballot", town_a, process.slug)
    # Anyone with a code, no account needed; a signed-in caller is not stored either.
    client.force_login(citizen)
    response = _post(client, url, {"ideas": [benches.pk, trees.pk], "code": codes[0].lower()})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["by_code"] is True and body["votes_given"] == 2 and "id" not in body
    with town_scope(town_a):
        ballot = Ballot.objects.get(process=process)
        assert ballot.user is None and ballot.voting_code is not None and not ballot.is_paper
    # No ballot of a person to read in a vote by codes.
    assert client.get(url).status_code == 404
    client.logout()
    response = _post(client, url, {"ideas": [fountain.pk], "code": codes[0]})
    assert response.status_code == 400 and "bereits verwendet" in response.json()["code"][0]
    with town_scope(town_a):
        assert Ballot.objects.filter(process=process).count() == 1


@pytest.mark.parametrize(
    "code, words",
    [
        (None, "Bitte geben Sie den Code"),
        ("", "Bitte geben Sie den Code"),
        ("ABCD-EFGH", "Ein Code hat 12 Zeichen"),
        ("ABCD-EFGH-JKL0", "in Codes nie vorkommen"),
    ],
)
def test_a_code_that_cannot_be_used_says_why(client, town_a, code_vote, code, words):
    process, (benches, *_rest), _codes = code_vote
    data = {"ideas": [benches.pk]}
    if code is not None:
        data["code"] = code
    response = _post(client, _url("process-ballot", town_a, process.slug), data)
    assert response.status_code == 400 and words in response.json()["code"][0], response.json()


def test_a_code_of_another_town_or_a_typo_is_refused_and_a_refused_ballot_keeps_the_code(
    client, town_a, town_b, code_vote
):
    process, (benches, trees, fountain), codes = code_vote
    url = _url("process-ballot", town_a, process.slug)
    # Town B joins the process and orders its own codes: they vote under town B's address only.
    with town_scope(town_a):
        processes_services.process_change(
            process=Process.objects.get(pk=process.pk),
            by=None,
            acting_town=town_a,
            fields={},
            partner_towns=[town_b],
        )
    _batch, codes_b = order(process, town_b, count=1)
    response = _post(client, url, {"ideas": [benches.pk], "code": codes_b[0]})
    assert response.status_code == 400 and "hier nicht gültig" in response.json()["code"][0]
    typo = codes[1][:-1] + ("A" if codes[1][-1] != "A" else "B")
    response = _post(client, url, {"ideas": [benches.pk], "code": typo})
    assert response.status_code == 400 and "Tippfehler" in response.json()["code"][0]
    # Too many votes: refused before the code is used, so it still votes afterwards.
    response = _post(client, url, {"ideas": [benches.pk, trees.pk, fountain.pk], "code": codes[1]})
    assert response.status_code == 400 and "Sie haben 2 Stimmen" in _errors(response)
    with town_scope(town_a):
        assert not VotingCode.objects.filter(process=process, used_at__isnull=False).exists()
    assert _post(client, url, {"ideas": [benches.pk], "code": codes[1]}).status_code == 201
    b_url = _url("process-ballot", town_b, process.slug)
    assert _post(client, b_url, {"ideas": [benches.pk], "code": codes_b[0]}).status_code == 201


def test_codes_count_against_the_voting_code_rate_limit(client, town_a, code_vote, settings):
    process, (benches, *_rest), _codes = code_vote
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "voting_code": [(2, 600, "ip")]}
    url = _url("process-ballot", town_a, process.slug)
    for _attempt in range(2):
        assert _post(client, url, {"ideas": [benches.pk], "code": "ABCD-EFGH-JKLM"}).status_code == 400
    assert _post(client, url, {"ideas": [benches.pk], "code": "ABCD-EFGH-JKLM"}).status_code == 429


# --- Paper ballots -----------------------------------------------------------------------------------------


def test_editors_enter_paper_ballots_with_the_same_rules(client, town_a, vote, staff_factory, citizen):
    (
        process,
        (benches, trees, _fountain),
    ) = vote
    url = _url("process-paper-ballots", town_a, process.slug)
    assert _post(client, url, {"ideas": [benches.pk]}).status_code == 401
    client.force_login(citizen)
    assert _post(client, url, {"ideas": [benches.pk]}).status_code == 404
    client.force_login(staff_factory(town_a, Role.VIEWER))
    assert _post(client, url, {"ideas": [benches.pk]}).status_code == 403
    editor = staff_factory(town_a, Role.EDITOR)
    client.force_login(editor)
    response = _post(client, url, {"votes": [{"idea": benches.pk, "count": 3}]})
    assert response.status_code == 400 and "höchstens 2 Stimmen" in _errors(response)
    response = _post(client, url, {"ideas": []})
    assert response.status_code == 400 and "enthält keine Stimme" in _errors(response)
    response = _post(
        client, url, {"votes": [{"idea": benches.pk, "count": 2}, {"idea": trees.pk, "count": 1}]}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["paper_ballots"] == 1 and body["votes_given"] == 3
    assert _post(client, url, {"ideas": [trees.pk]}).json()["paper_ballots"] == 2
    with town_scope(town_a):
        papers = Ballot.objects.filter(process=process, is_paper=True)
        assert papers.count() == 2 and {b.entered_by for b in papers} == {editor}
        assert not papers.filter(user__isnull=False).exists()
        assert ParticipationEvent.objects.filter(process=process, kind="paper_ballot").count() == 2


def test_paper_ballots_wait_for_the_vote_to_start(client, town_a, catalogue, editor_a):
    process = factories.process(municipality=town_a)
    client.force_login(editor_a)
    response = _post(client, _url("process-paper-ballots", town_a, process.slug), {"ideas": []})
    assert response.status_code == 400 and "sobald die Abstimmung begonnen hat" in _errors(response)


# --- Tenancy and queries -----------------------------------------------------------------------------------


def test_another_towns_process_is_not_found(client, town_a, town_b, vote, citizen, staff_factory):
    process, (benches, *_rest) = vote
    client.force_login(citizen)
    assert client.get(_url("process-ballot", town_b, process.slug)).status_code == 404
    assert (
        _post(client, _url("process-ballot", town_b, process.slug), {"ideas": [benches.pk]}).status_code
        == 404
    )
    client.force_login(staff_factory(town_b, Role.EDITOR))
    url = _url("process-paper-ballots", town_b, process.slug)
    assert _post(client, url, {"ideas": [benches.pk]}).status_code == 404
    # Town A's editors reach town A's process only under town A's address.
    client.force_login(staff_factory(town_a, Role.EDITOR))
    assert _post(client, url, {"ideas": [benches.pk]}).status_code == 404
    with town_scope(town_a):
        assert not Ballot.objects.filter(process=process).exists()


def test_the_vote_answers_in_a_fixed_number_of_queries(
    client, town_a, vote, citizen, editor_a, django_assert_max_num_queries
):
    process, ideas = vote
    url = _url("process-ballot", town_a, process.slug)
    client.force_login(citizen)
    votes = {"votes": [{"idea": idea.pk, "count": 1} for idea in ideas]}
    with django_assert_max_num_queries(QUERIES["ballot-post"]):
        assert _post(client, url, votes).status_code == 200
    with django_assert_max_num_queries(QUERIES["ballot-get"]):
        assert client.get(url).status_code == 200
    client.force_login(editor_a)
    with django_assert_max_num_queries(QUERIES["paper"]):
        assert _post(client, _url("process-paper-ballots", town_a, process.slug), votes).status_code == 201


def test_a_code_ballot_in_a_fixed_number_of_queries(client, town_a, code_vote, django_assert_max_num_queries):
    process, ideas, codes = code_vote
    data = {"ideas": [ideas[0].pk, ideas[1].pk], "code": codes[2]}
    with django_assert_max_num_queries(QUERIES["code"]):
        assert _post(client, _url("process-ballot", town_a, process.slug), data).status_code == 201


#: Measured on PostgreSQL, savepoints included (session and user, the town, the process with its phases and partners,
#: the service's reads and writes, the answer's votes in one query): the ideas on the ballot are read in one query,
#: however many there are.
QUERIES = {"ballot-post": 26, "ballot-get": 11, "paper": 27, "code": 19}
