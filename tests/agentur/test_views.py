"""The page /agentur/: who may open it, and one audit entry per request."""

import pytest
from django.db import connection

from municipalities.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


def test_agentur_overview_is_audited_per_request(
    client, town_a, town_b, moderator, editor_a, django_assert_max_num_queries
):
    factories.feedback(municipality=town_b)
    client.force_login(moderator)
    # SQLite has no median: the dashboard reads the answer times in two more queries there (dashboard.py). Two
    # for the ids of ideas and comments with open reports (participation.selectors.moderation.waiting_for_moderation).
    with django_assert_max_num_queries(14 if connection.vendor == "postgresql" else 16):
        response = client.get("/agentur/")
    assert response.status_code == 200
    assert "Arnsberg" in response.text and "Soest" in response.text
    client.get("/agentur/")
    assert AuditEntry.objects.filter(user=moderator, purpose="agentur:towns-overview").count() == 2
    client.force_login(editor_a)
    assert client.get("/agentur/").status_code == 404


def test_moderator_without_mfa_must_set_it_up_first(client, town_a):
    moderator = factories.UserFactory(is_agentur_moderator=True)
    client.force_login(moderator)
    assert client.get("/agentur/")["Location"] == "/accounts/2fa/totp/activate/"
    assert not AuditEntry.objects.exists()
