"""The Django admin: platform admins only, behind allauth's login and TOTP, every use audited."""

import pytest

from municipalities.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


def test_anonymous_users_go_to_allauths_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_non_staff_are_refused(client, editor_a):
    client.force_login(editor_a)
    assert client.get("/admin/login/").status_code == 403


def test_platform_admin_without_mfa_is_sent_to_set_it_up(client):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/login/")["Location"] == "/accounts/2fa/totp/activate/"


def test_platform_admin_with_mfa_uses_the_admin_and_is_audited(client, town_a, town_b):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    factories.activate_totp(admin)
    factories.feedback(municipality=town_a)
    factories.feedback(municipality=town_b)
    client.force_login(admin)
    response = client.get("/admin/municipalities/accessibilityfeedback/")
    assert response.status_code == 200
    assert "2 " in response.text  # both towns' rows: the admin runs across towns
    assert AuditEntry.objects.filter(
        user=admin, purpose="platform-admin", path="/admin/municipalities/accessibilityfeedback/"
    ).exists()


def test_platform_admin_adds_a_town_that_then_works(client, town_a):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    factories.activate_totp(admin)
    client.force_login(admin)
    response = client.post(
        "/admin/municipalities/municipality/add/",
        {
            "consortium": town_a.consortium.pk,
            "name": "Lennestadt",
            "slug": "lennestadt",
            "official_name": "Stadt Lennestadt",
            "brand_colour": "#2E6B30",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].errors if response.context else ""
    assert client.get("/lennestadt/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "projects/project/",
        "projects/fieldofaction/",
        "projects/bundle/",
        "projects/tag/",
        "municipalities/municipality/",
        "participation/process/",
        "participation/idea/",
        "participation/participationevent/",
    ],
)
def test_every_admin_list_opens_with_data_of_several_towns(client, town_a, town_b, path):
    factories.project(municipality=town_a, partners=[town_b], title="Gemeinsam")
    factories.project(municipality=town_b, title="Soest allein")
    factories.idea(
        process=factories.process(municipality=town_a, partners=[town_b]), title="Idee aus Arnsberg"
    )
    factories.idea(process=factories.process(municipality=town_b), title="Idee aus Soest")
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    factories.activate_totp(admin)
    client.force_login(admin)
    response = client.get(f"/admin/{path}")
    assert response.status_code == 200
    if path.startswith("projects/project"):
        text = response.content.decode()
        assert "Gemeinsam" in text and "Soest allein" in text
    if path.startswith("participation/idea"):
        text = response.content.decode()
        assert "Idee aus Arnsberg" in text and "Idee aus Soest" in text
