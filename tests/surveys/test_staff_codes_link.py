"""The staff's survey page leads to the voting codes page when the survey is for holders of a code (issue 18,
branch ``polish18``): the letters are ordered there, and nothing else on the survey page said so."""

import pytest
from django.urls import reverse

from municipalities.scoping import town_scope
from surveys import services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("audience", ["codes", "citizens"])
def test_the_survey_page_links_to_the_voting_codes_for_a_code_survey(
    client, process, town_a, staff_factory, audience
):
    with town_scope(town_a):
        services.survey_create(
            process=process,
            by=None,
            fields={"title": "Ihre Meinung", "audience": audience, "is_anonymous": True},
        )
    client.force_login(staff_factory(town_a, "viewer"))
    page = client.get(
        reverse("surveys:staff-survey", kwargs={"town_slug": town_a.slug, "slug": process.slug})
    ).content.decode()
    codes = reverse(
        "participation:staff-voting-codes", kwargs={"town_slug": town_a.slug, "slug": process.slug}
    )
    if audience == "codes":
        assert f'href="{codes}">Abstimmungscodes für diese Umfrage</a>' in page
        assert "Nur Personen mit einem Abstimmungscode können an dieser Umfrage teilnehmen." in page
    else:
        assert codes not in page
