"""The merge target on the staff idea page: a few open ideas offered, a search (without JavaScript) for the others,
and every open idea of the process still accepted."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from participation.models import Idea
from participation.selectors.idea_page import MERGE_CHOICES_SHOWN
from tests import factories

pytestmark = pytest.mark.django_db


def _ideas(process, count: int) -> list[Idea]:
    """``count`` open ideas, the n-th with n supports (stored count), titled by number."""
    ideas = [factories.idea(process=process, title=f"Idee Nummer {n:02d}") for n in range(count)]
    for n, idea in enumerate(ideas):
        Idea._base_manager.filter(pk=idea.pk).update(support_count=n)
    return ideas


def _offered(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="merged_into".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="(\d+)"', select)


@pytest.fixture
def staff_idea(client, process, arnsberg, editor_a):
    """The staff page of an idea and its answer form, an editor signed in, and open ideas to merge into. (Not named
    ``page``: that is Playwright's fixture, and a test asking for it counted as a browser test, parametrised by
    browser and handed out first among them.)"""
    client.force_login(editor_a)
    idea = factories.idea(process=process, title="Zu viele Parkplätze")
    others = _ideas(process, MERGE_CHOICES_SHOWN + 5)
    return {
        "idea": idea,
        "others": others,
        "page": reverse("participation:staff-idea", kwargs={"town_slug": arnsberg.slug, "pk": idea.pk}),
        "answer": reverse(
            "participation:staff-idea-answer", kwargs={"town_slug": arnsberg.slug, "pk": idea.pk}
        ),
    }


def test_the_page_offers_the_most_supported_open_ideas_only(client, staff_idea):
    html = client.get(staff_idea["page"]).content.decode()
    offered = _offered(html)
    most_supported = [str(idea.pk) for idea in reversed(staff_idea["others"])][:MERGE_CHOICES_SHOWN]
    assert offered == most_supported
    assert str(staff_idea["idea"].pk) not in offered  # never the idea itself
    assert f"Idee Nummer 34 (Nr. {staff_idea['others'][34].pk} · Unterstützungen: 34)" in html
    assert 'name="merge_search_submit"' in html


def test_the_search_finds_by_title_words_and_by_number_and_keeps_what_was_typed(client, staff_idea):
    before = Idea._base_manager.get(pk=staff_idea["idea"].pk)
    response = client.post(
        staff_idea["answer"],
        {
            "to": "merged",
            "body": "Gleiches Anliegen.",
            "merge_search": "Nummer 03",
            "merge_search_submit": "1",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert _offered(html) == [str(staff_idea["others"][3].pk)]
    assert "Gleiches Anliegen." in html and 'value="Nummer 03"' in html
    assert re.search(r'<input[^>]*value="merged"[^>]*checked', html)
    assert not response.context["answer_form"].is_bound  # shown again, not judged: no errors
    after = Idea._base_manager.get(pk=staff_idea["idea"].pk)
    assert (after.status, after.merged_into_id) == (before.status, None)  # nothing was saved

    third = staff_idea["others"][0]  # the least supported: not offered without a search
    by_number = client.post(
        staff_idea["answer"], {"to": "merged", "merge_search": str(third.pk), "merge_search_submit": "1"}
    )
    assert _offered(by_number.content.decode()) == [str(third.pk)]


def test_enter_in_the_search_field_searches_instead_of_publishing(client, staff_idea):
    """Enter in a text field sends the form as its first button would: with a search text other than the one
    the offered ideas came from, it is a search, whatever button the browser chose."""
    target = staff_idea["others"][5]
    data = {"to": "merged", "body": "Gleich.", "merged_into": target.pk, "merge_search_shown": ""}
    searched = client.post(staff_idea["answer"], {**data, "merge_search": "Nummer 05"})
    assert searched.status_code == 200 and _offered(searched.content.decode()) == [str(target.pk)]
    assert Idea._base_manager.get(pk=staff_idea["idea"].pk).status == "submitted"
    # Sent again with the search it was shown with: the answer is published.
    sent = client.post(
        staff_idea["answer"], {**data, "merge_search": "Nummer 05", "merge_search_shown": "Nummer 05"}
    )
    assert sent.status_code == 302
    assert Idea._base_manager.get(pk=staff_idea["idea"].pk).merged_into_id == target.pk


def test_any_open_idea_of_the_process_is_accepted_and_others_are_refused_with_a_reason(
    client, staff_idea, town_b
):
    least = staff_idea["others"][0]
    assert str(least.pk) not in _offered(client.get(staff_idea["page"]).content.decode())
    foreign = factories.idea(process=factories.process(municipality=town_b), title="Anderswo")
    refused = client.post(
        staff_idea["answer"], {"to": "merged", "body": "Gleich.", "merged_into": foreign.pk}
    )
    assert refused.status_code == 400
    assert "keine offene Idee mit dieser Nummer" in refused.content.decode()
    # Shown again with the errors, the choice made stays offered even when it is no longer among the first 30.
    kept = client.post(staff_idea["answer"], {"to": "merged", "body": "", "merged_into": least.pk})
    assert kept.status_code == 400 and str(least.pk) in _offered(kept.content.decode())
    done = client.post(staff_idea["answer"], {"to": "merged", "body": "Gleich.", "merged_into": least.pk})
    assert done.status_code == 302
    merged = Idea._base_manager.get(pk=staff_idea["idea"].pk)
    assert (merged.status, merged.merged_into_id) == ("merged", least.pk)


def test_the_page_costs_the_same_queries_with_few_or_many_candidates(
    client, process, arnsberg, editor_a, django_assert_max_num_queries
):
    client.force_login(editor_a)
    idea = factories.idea(process=process, title="Zu viele Parkplätze")
    url = reverse("participation:staff-idea", kwargs={"town_slug": arnsberg.slug, "pk": idea.pk})
    _ideas(process, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _ideas(process, MERGE_CHOICES_SHOWN + 10)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert len(_offered(response.content.decode())) == MERGE_CHOICES_SHOWN
