"""The project link on the staff idea page: a few projects offered, a search (without JavaScript) for the others,
and every project of the process's towns still accepted."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from participation.models import Idea
from participation.selectors.idea_page import PROJECT_CHOICES_SHOWN
from tests import factories

pytestmark = pytest.mark.django_db


def _offered(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="project".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="(\d+)"', select)


@pytest.fixture
def staff_idea(client, process, arnsberg, editor_a):
    """The staff page of an idea and its project link form, an editor signed in, and projects to link. (Not named
    ``page``: that is Playwright's fixture, and a test asking for it counted as a browser test, parametrised by
    browser and handed out first among them.)"""
    client.force_login(editor_a)
    idea = factories.idea(process=process, title="Mehr Bänke am Markt")
    projects = [
        factories.project(municipality=arnsberg, title=f"Projekt Nummer {n:02d}")
        for n in range(PROJECT_CHOICES_SHOWN + 5)
    ]
    return {
        "idea": idea,
        "projects": projects,
        "page": reverse("participation:staff-idea", kwargs={"town_slug": arnsberg.slug, "pk": idea.pk}),
        "link": reverse(
            "participation:staff-idea-project", kwargs={"town_slug": arnsberg.slug, "pk": idea.pk}
        ),
    }


def test_the_page_offers_the_newest_projects_only_with_a_search(client, staff_idea, arnsberg):
    with CaptureQueriesContext(connection) as queries:
        html = client.get(staff_idea["page"]).content.decode()
    for n in range(5):
        factories.project(municipality=arnsberg, title=f"Später {n}")
    with CaptureQueriesContext(connection) as more:
        assert client.get(staff_idea["page"]).status_code == 200
    assert len(more) == len(queries) <= 25  # the same queries with more projects
    offered = _offered(html)
    newest = sorted(staff_idea["projects"][-PROJECT_CHOICES_SHOWN:], key=lambda p: p.title)
    assert offered == [str(p.pk) for p in newest]
    assert str(staff_idea["projects"][0].pk) not in offered  # the oldest: found by the search
    assert 'name="project_search_submit"' in html and "Projekt suchen" in html


def test_the_search_finds_by_title_words_and_by_address_and_saves_nothing(client, staff_idea):
    oldest = staff_idea["projects"][0]
    response = client.post(staff_idea["link"], {"project_search": "nummer 00", "project_search_submit": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert _offered(html) == [str(oldest.pk)]
    assert 'value="nummer 00"' in html
    assert not response.context["project_form"].is_bound  # shown again, not judged: no errors
    assert Idea._base_manager.get(pk=staff_idea["idea"].pk).project_id is None
    nothing = client.post(staff_idea["link"], {"project_search": "Radweg", "project_search_submit": "1"})
    assert _offered(nothing.content.decode()) == []
    assert "Kein Projekt passt zu „Radweg“." in nothing.content.decode()

    by_address = client.post(
        staff_idea["link"], {"project_search": f"/projekte/{oldest.slug}/", "project_search_shown": ""}
    )
    assert _offered(by_address.content.decode()) == [str(oldest.pk)]  # Enter with a new search text: a search


def test_a_project_not_offered_is_still_accepted_and_kept_on_the_page(client, staff_idea):
    oldest = staff_idea["projects"][0]
    response = client.post(
        staff_idea["link"], {"project": oldest.pk, "project_search": "", "project_search_shown": ""}
    )
    assert response.status_code == 302
    assert Idea._base_manager.get(pk=staff_idea["idea"].pk).project_id == oldest.pk
    html = client.get(staff_idea["page"]).content.decode()
    assert str(oldest.pk) in _offered(html)  # the linked project is offered (and selected) though old
    assert re.search(rf'<option value="{oldest.pk}"[^>]*selected', html)


def test_a_wrong_project_gets_a_clear_error(client, staff_idea, town_b):
    other = factories.project(municipality=town_b, title="Fremdes Projekt")
    for wrong in (other.pk, 999999, "abc"):
        response = client.post(staff_idea["link"], {"project": wrong})
        assert response.status_code == 400
        assert "gehört zu keiner Stadt, die dieses Verfahren durchführt" in response.content.decode()
    assert Idea._base_manager.get(pk=staff_idea["idea"].pk).project_id is None
