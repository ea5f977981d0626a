"""What a person meets at the edge of their role: a 403 page that names the role needed and who grants it, and
no links to pages their role does not open."""

import pytest

from accounts import permissions
from accounts.models import ROLE_RANK, Role
from municipalities.scoping import town_scope
from participation.services import flags as flags_services
from tests import factories

pytestmark = pytest.mark.django_db

SETTINGS = "/arnsberg/verwaltung/beteiligung/einstellungen/"
QUEUE = "/arnsberg/verwaltung/beteiligung/moderation/"
TEAM = "/arnsberg/verwaltung/team/"


def test_every_staff_rule_names_the_least_role_that_passes_it(town_a):
    assert set(permissions.RULE_ROLES) == set(permissions.PRIVILEGED_RULES)
    people = {role: factories.staff_member(municipality=town_a, role=role) for role in Role}
    for rule, needed in permissions.RULE_ROLES.items():
        for role, user in people.items():
            allowed = ROLE_RANK[role] >= ROLE_RANK[Role(needed)]
            assert permissions.has_perm(user, rule, town_a) is allowed, (rule, role)


def test_the_403_page_names_the_role_who_grants_it_and_links_back(client, viewer_a, town_a):
    client.force_login(viewer_a)
    response = client.get(SETTINGS)
    assert response.status_code == 403
    text = response.text
    assert "Dafür ist die Rolle „Administration“ (oder eine höhere) in Arnsberg nötig." in text
    assert "Ihre Rolle dort: Lesezugriff." in text
    assert "Rollen vergibt die Administration von Arnsberg im Verwaltungsbereich unter „Team“" in text
    assert response.context["back_url"] == "/arnsberg/verwaltung/"
    assert 'href="/arnsberg/verwaltung/">Zum Verwaltungsbereich von Arnsberg</a>' in text

    # The queue needs an editor; back leads to the page the person came from (on this site only).
    response = client.get(QUEUE, HTTP_REFERER="http://testserver/arnsberg/verwaltung/beteiligung/")
    assert response.status_code == 403
    assert "Dafür ist die Rolle „Redaktion“ (oder eine höhere) in Arnsberg nötig." in response.text
    assert response.context["back_url"] == "http://testserver/arnsberg/verwaltung/beteiligung/"
    assert "Zurück zur vorherigen Seite" in response.text
    response = client.get(QUEUE, HTTP_REFERER="https://elsewhere.example/phish")
    assert response.context["back_url"] == "/arnsberg/verwaltung/"


def test_an_editor_is_refused_team_and_settings_with_the_admin_role_named(client, editor_a):
    client.force_login(editor_a)
    for url in (SETTINGS, TEAM):
        response = client.get(url)
        assert response.status_code == 403
        assert "Dafür ist die Rolle „Administration“" in response.text
        assert "Ihre Rolle dort: Redaktion." in response.text


def _waiting_comment(municipality):
    idea = factories.idea(process=factories.process(municipality=municipality))
    comment = factories.comment(idea=idea)
    with town_scope(municipality):
        flags_services.flag_submit(target=comment, reporter=factories.UserFactory(), reason="personal_data")


@pytest.mark.parametrize(
    "role, queue, manage_settings, team",
    [
        (Role.VIEWER, False, False, False),
        (Role.EDITOR, True, False, False),
        (Role.ADMIN, True, True, True),
    ],
)
def test_staff_pages_show_only_the_links_the_role_can_use(
    client, town_a, catalogue, role, queue, manage_settings, team
):
    _waiting_comment(town_a)
    user = factories.staff_member(municipality=town_a, role=role)
    client.force_login(user)
    dashboard = client.get("/arnsberg/verwaltung/").text
    overview = client.get("/arnsberg/verwaltung/beteiligung/").text
    # Everyone reads how much waits; only those who can moderate get the link.
    assert "1 Beitrag wartet auf Moderation" in dashboard and "1 Beitrag wartet auf Moderation." in overview
    for page in (dashboard, overview):
        assert (f'href="{QUEUE}"' in page) is queue
    assert (f'href="{SETTINGS}"' in overview) is manage_settings
    assert (f'href="{TEAM}"' in dashboard) is team
    # And every link shown opens.
    for url, shown in ((QUEUE, queue), (SETTINGS, manage_settings), (TEAM, team)):
        assert (client.get(url).status_code == 200) is shown, url


def test_the_report_forms_say_report_contribution_and_the_barrier_form_report_barrier(
    client, town_a, citizen, catalogue
):
    idea = factories.idea(process=factories.process(municipality=town_a))
    comment = factories.comment(idea=idea)
    client.force_login(citizen)
    for url in (f"/arnsberg/ideen/{idea.pk}/melden/", f"/arnsberg/kommentare/{comment.pk}/melden/"):
        page = client.get(url).text
        assert "Beitrag melden</span></button>" in page and "Barriere melden" not in page
    assert "Barriere melden</span></button>" in client.get("/arnsberg/barrierefreiheit/").text
