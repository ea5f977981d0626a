"""The pages of voting codes: the vote and the survey by code (clear form errors for every wrong code, never a
500, nothing stored on an error) and the staff's page (order, counts, letters)."""

import pytest
from django.urls import reverse

from accounts.models import Role
from municipalities.scoping import town_scope
from participation.models import Ballot, CodePurpose, Process, VotingCodeBatch
from surveys.models import Response
from tests import factories
from tests.participation.test_voting_codes import order, survey, vote  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _vote_url(process):
    return f"/arnsberg/beteiligung/{process.slug}/abstimmung/code/"


def test_the_vote_by_code_is_open_to_anyone_and_refuses_wrong_codes_clearly(client, town_a, vote, citizen):  # noqa: F811
    process, ideas = vote
    _batch, plain = order(process, town_a, count=2)
    page = client.get(_vote_url(process))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="code"' in text and 'autocomplete="off"' in text and "Ihr Code aus dem Brief" in text
    choice = {f"idea_{ideas[0].pk}": "on"}
    wrong = {
        "": "Bitte geben Sie den Code aus Ihrem Brief ein.",
        "ABCD-EFGH-JKL0": "Zeichen, die in Codes nie vorkommen (0)",
        "ABCD-EFGH": "Ein Code hat 12 Zeichen",
        plain[0][:-1] + ("A" if plain[0][-1] != "A" else "B"): "Tippfehler",
        "2222-2222-2222": "",  # the right form, but no such code (or a typo that the check character misses)
    }
    for typed, message in wrong.items():
        response = client.post(_vote_url(process), {"code": typed, **choice})
        assert response.status_code == 400, typed
        body = response.content.decode()
        assert "Fehler: " in body and message in body, typed
    with town_scope(town_a):
        assert not Ballot.objects.exists()
    assert client.post(_vote_url(process), {"code": plain[0], **choice}).status_code == 302
    used = client.post(_vote_url(process), {"code": plain[0], **choice})
    assert used.status_code == 400 and "bereits verwendet" in used.content.decode()
    too_many = client.post(_vote_url(process), {"code": plain[1], **{f"idea_{i.pk}": "on" for i in ideas}})
    assert too_many.status_code == 400
    # The signed-in citizen is sent to the code too: an account does not vote here.
    client.force_login(citizen)
    redirect = client.get(f"/arnsberg/beteiligung/{process.slug}/abstimmung/")
    assert redirect.status_code == 302 and redirect["Location"].endswith("/abstimmung/code/")
    with town_scope(town_a):
        assert Ballot.objects.filter(process=process).count() == 1
        assert Ballot.objects.get().user is None


def test_the_votes_address_leads_a_resident_without_account_to_the_code_page(client, town_a, vote):  # noqa: F811
    """``/abstimmung/`` of a vote by codes is for anyone (typed from the process page or the letter): no sign-in
    first. A vote by accounts still asks for it."""
    process, _ideas = vote
    answer = client.get(f"/arnsberg/beteiligung/{process.slug}/abstimmung/")
    assert answer.status_code == 302 and answer["Location"].endswith("/abstimmung/code/")
    with town_scope(town_a):
        Process.objects.filter(pk=process.pk).update(vote_by_codes=False)
    answer = client.get(f"/arnsberg/beteiligung/{process.slug}/abstimmung/")
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("account_login") + "?next=")
    assert client.get(f"/arnsberg/beteiligung/{process.slug}/abstimmung/code/")["Location"].endswith(
        "/abstimmung/"
    )


def test_a_code_of_another_town_is_not_valid_here(client, town_a, town_b, vote):  # noqa: F811
    process, _ideas = vote
    _batch, plain = order(process, town_a, count=1)
    response = client.post(f"/soest/beteiligung/{process.slug}/abstimmung/code/", {"code": plain[0]})
    assert response.status_code in (400, 404)  # a process of Arnsberg alone is not found in Soest


def test_the_survey_by_code_asks_for_the_code_and_counts_one_response_per_code(client, town_a, survey):  # noqa: F811
    made, question = survey
    _batch, plain = order(made.process, town_a, purpose=CodePurpose.SURVEY, count=2)
    url = f"/arnsberg/beteiligung/{made.process.slug}/umfrage/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    with town_scope(town_a):
        yes = question.options.get(label="Ja")
    answer = {f"q{question.pk}": str(yes.pk)}
    missing = client.post(url, answer)
    assert missing.status_code == 400 and "Bitte geben Sie den Code" in missing.content.decode()
    with town_scope(town_a):  # codes for the vote exist only where the vote is by codes
        Process.objects.filter(pk=made.process.pk).update(vote_by_codes=True)
        made.process.refresh_from_db()
    _vote_batch, vote_codes = order(made.process, town_a, purpose=CodePurpose.VOTE, count=1)
    other_purpose = client.post(url, {"code": vote_codes[0], **answer})
    assert other_purpose.status_code == 400 and "die Abstimmung" in other_purpose.content.decode()
    assert client.post(url, {"code": plain[0], **answer}).status_code == 302
    # The same browser may answer again with the next code (a household shares a computer).
    again = client.get(url)
    assert 'name="code"' in again.content.decode()
    used = client.post(url, {"code": plain[0], **answer})
    assert used.status_code == 400 and "bereits verwendet" in used.content.decode()
    assert client.post(url, {"code": plain[1], **answer}).status_code == 302
    with town_scope(town_a):
        assert Response.objects.filter(survey=made).count() == 2
        assert not Response.objects.filter(respondent__isnull=False).exists()


def test_staff_cannot_order_codes_for_a_vote_by_accounts(client, town_a, vote, editor_a):  # noqa: F811
    process, _ideas = vote
    with town_scope(town_a):
        Process.objects.filter(pk=process.pk).update(vote_by_codes=False)
    url = f"/arnsberg/verwaltung/beteiligung/{process.slug}/codes/"
    client.force_login(editor_a)
    page = client.get(url).content.decode()
    assert "In diesem Verfahren wird mit einem Konto abgestimmt" in page
    assert 'value="survey" id="id_purpose_1" required checked' in page  # the survey is offered first
    refused = client.post(url, {"purpose": "vote", "count": "12"})
    text = refused.content.decode()
    assert refused.status_code == 400 and "Fehler: " in text
    assert "Codes für die Abstimmung können Sie bestellen, sobald" in text
    with town_scope(town_a):
        assert not VotingCodeBatch.objects.exists()


def test_staff_order_codes_see_counts_and_viewers_only_read(
    client,
    town_a,
    vote,  # noqa: F811
    editor_a,
    django_capture_on_commit_callbacks,
):
    process, _ideas = vote
    url = f"/arnsberg/verwaltung/beteiligung/{process.slug}/codes/"
    client.force_login(editor_a)
    page = client.get(url)
    assert page.status_code == 200 and 'name="count"' in page.content.decode()
    for count in ("0", "abc", "5.001", ""):
        response = client.post(url, {"purpose": "vote", "count": count})
        assert response.status_code == 400, count
        assert "Fehler: " in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"purpose": "vote", "count": "12"}).status_code == 302
    with town_scope(town_a):
        batch = VotingCodeBatch.objects.get()
        assert batch.count == 12 and batch.status == "done" and batch.codes.count() == 12
    text = client.get(url).content.decode()
    assert '<td class="kern-table__cell">12</td>' in text and "Briefe herunterladen" in text
    viewer = factories.staff_member(municipality=town_a, role=Role.VIEWER)
    client.force_login(viewer)
    text = client.get(url).content.decode()
    assert 'name="count"' not in text and "Briefe herunterladen" not in text and ">12<" in text
    assert client.post(url, {"purpose": "vote", "count": "5"}).status_code == 403
