"""The participation services decide who may answer, shortlist, link, enter offline ideas, write for a town and
change a process (``accounts.permissions``), whoever calls them: a refused caller gets ``PermissionDenied``, a
403 on pages and in the API, never a 500; the templates ask the same rule (``{% may %}``)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.template import Context, Template
from django.test import RequestFactory

from accounts.models import Role
from municipalities.scoping import town_scope
from participation.models import Comment, Idea, OfficialAnswer
from participation.services import answers as answers_services
from participation.services import comments as comments_services
from participation.services import ideas as ideas_services
from participation.services import moderation as moderation_services
from participation.services import processes as processes_services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def joint(arnsberg, town_b):
    """A process of Arnsberg shared with Soest, and an idea in it."""
    process = factories.process(municipality=arnsberg, partners=[town_b], title="Gemeinsame Ideen")
    return process, factories.idea(process=process)


def _answer(idea, by, municipality):
    with town_scope(municipality):
        return answers_services.idea_answer(
            idea=idea, by=by, acting_town=municipality, body="Wir prüfen das.", to="under_review"
        )


def test_only_editors_of_a_participating_town_answer_in_its_name(
    joint, arnsberg, town_b, town_c, staff_factory, citizen, moderator
):
    _process, idea = joint
    viewer = staff_factory(arnsberg, Role.VIEWER)
    outsider = staff_factory(town_c, Role.EDITOR)  # an editor, but of a town outside the process
    editor_b = staff_factory(town_b, Role.EDITOR)
    for person, town in (
        (viewer, arnsberg),
        (citizen, arnsberg),
        (moderator, arnsberg),
        (outsider, town_c),
        (editor_b, arnsberg),
    ):  # Soest's editor cannot answer in Arnsberg's name
        with pytest.raises(PermissionDenied):
            _answer(idea, person, town)
    assert not OfficialAnswer.objects.with_scopes_disabled().exists()
    answer = _answer(idea, editor_b, town_b)  # in Soest's own name: a partner town answers
    assert answer.answering_town == town_b
    assert _answer(idea, None, arnsberg).author is None  # the portal itself (demo data, commands)


def test_shortlist_project_link_and_offline_ideas_are_refused_to_viewers(process, arnsberg, staff_factory):
    idea = factories.idea(process=process)
    viewer = staff_factory(arnsberg, Role.VIEWER)
    with town_scope(arnsberg):
        with pytest.raises(PermissionDenied):
            ideas_services.idea_set_shortlisted(idea=idea, shortlisted=True, by=viewer, acting_town=arnsberg)
        with pytest.raises(PermissionDenied):
            ideas_services.idea_link_project(idea=idea, project=None, by=viewer, acting_town=arnsberg)
        with pytest.raises(PermissionDenied):
            ideas_services.idea_enter_offline(
                process=process,
                by=viewer,
                acting_town=arnsberg,
                source="Bürgerversammlung",
                fields={"title": "Eine Bank", "body": "Am Markt."},
            )
        with pytest.raises(PermissionDenied):
            processes_services.process_change(
                process=process, by=viewer, acting_town=arnsberg, fields={"summary": "Neu."}
            )
    assert not Idea.objects.with_scopes_disabled().get(pk=idea.pk).is_shortlisted
    assert Idea.objects.with_scopes_disabled().count() == 1


def test_a_partner_towns_editor_does_not_change_the_lead_towns_process(joint, town_b, staff_factory):
    process, _idea = joint
    with town_scope(town_b), pytest.raises(PermissionDenied):
        processes_services.process_change(
            process=process,
            by=staff_factory(town_b, Role.EDITOR),
            acting_town=town_b,
            fields={"summary": "Neu."},
        )


def test_writing_for_a_town_is_refused_by_the_service(joint, arnsberg, town_b, staff_factory, citizen):
    _process, idea = joint
    with town_scope(arnsberg):
        with pytest.raises(PermissionDenied):
            comments_services.comment_post(
                idea=idea, author=citizen, body="Ich bin die Stadt", official_for=arnsberg
            )
        with pytest.raises(PermissionDenied):  # Soest's editor writes for Soest, not for Arnsberg
            comments_services.comment_post(
                idea=idea, author=staff_factory(town_b, Role.EDITOR), body="Amtlich", official_for=arnsberg
            )
    assert not Comment.objects.with_scopes_disabled().exists()


def test_a_partner_editor_is_refused_writing_for_the_lead_town_on_its_page(
    client, joint, arnsberg, town_b, staff_factory
):
    """Before, the form let an editor of any of the process's towns write "for" the town of the page's address."""
    _process, idea = joint
    editor_b = staff_factory(town_b, Role.EDITOR)
    client.force_login(editor_b)
    lead_page = idea.get_absolute_url(arnsberg)
    assert 'name="official"' not in client.get(lead_page).content.decode()
    url = f"/arnsberg/ideen/{idea.pk}/kommentieren/"
    assert client.post(url, {"body": "Amtlich", "official": "1"}).status_code == 403
    partner_page = idea.get_absolute_url(town_b)
    assert 'name="official"' in client.get(partner_page).content.decode()
    assert (
        client.post(f"/soest/ideen/{idea.pk}/kommentieren/", {"body": "Amtlich", "official": "1"}).status_code
        == 302
    )
    assert Comment.objects.with_scopes_disabled().get().is_official


def test_the_api_answers_403_when_the_service_refuses(client, joint, arnsberg, town_b, staff_factory):
    _process, idea = joint
    client.force_login(staff_factory(town_b, Role.EDITOR))
    response = client.post(
        f"/api/v1/towns/arnsberg/ideas/{idea.pk}/comments/",
        {"body": "Amtlich", "official": True},
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json()["detail"]
    assert not Comment.objects.with_scopes_disabled().exists()


def test_templates_ask_the_rule_through_the_may_tag(joint, arnsberg, town_b, staff_factory, citizen):
    _process, idea = joint
    template = Template('{% load access %}{% may "idea.answer" idea as can %}{{ can }}')
    request = RequestFactory().get("/")
    request.municipality = arnsberg

    def asks(user, town):
        request.user, request.municipality = user, town
        return template.render(Context({"request": request, "idea": idea}))

    editor_b = staff_factory(town_b, Role.EDITOR)
    assert asks(staff_factory(arnsberg, Role.EDITOR), arnsberg) == "True"
    assert asks(editor_b, arnsberg) == "False" and asks(editor_b, town_b) == "True"
    assert asks(citizen, arnsberg) == "False"


def test_moderation_is_refused_to_viewers_and_citizens_by_the_service(
    process, arnsberg, staff_factory, citizen, moderator
):
    idea = factories.idea(process=process)
    with town_scope(arnsberg):
        for person in (staff_factory(arnsberg, Role.VIEWER), citizen):
            for action, extra in (
                ("hide", {"reason": "Beleidigung"}),
                ("approve", {}),
                ("edit", {"reason": "Name entfernt", "body": "Ohne Namen."}),
            ):
                with pytest.raises(PermissionDenied):
                    moderation_services.moderation_act(
                        target=idea, action=action, by=person, acting_town=arnsberg, **extra
                    )
        assert Idea.objects.get(pk=idea.pk).moderation == "published"
        moderation_services.moderation_act(
            target=idea, action="hide", by=moderator, acting_town=arnsberg, reason="Beleidigung"
        )
        assert Idea.objects.get(pk=idea.pk).moderation == "hidden"
