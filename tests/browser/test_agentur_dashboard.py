"""A moderator opens the Agentur dashboard, filters it, and follows the overdue milestones of a town to its
milestone page."""

import datetime
import re

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from funding import services
from municipalities.scoping import town_scope
from tests import factories
from tests.helpers import browser_login

from .conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_moderator_drills_from_the_dashboard_into_overdue_milestones(site, page, town_a, town_b):
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        moderator = factories.UserFactory(email="agentur@example.org", is_agentur_moderator=True)
        factories.activate_totp(moderator)
        factories.project(municipality=town_a, status="in_progress", phase="A")
        grant = factories.grant(municipality=town_a, title="Zuwendung Modellprojekt")
        with town_scope(town_a):
            services.milestone_save(
                grant=grant,
                by=None,
                fields={
                    "title": "Datenplattform abgenommen",
                    "due_on": timezone.localdate() - datetime.timedelta(days=5),
                },
            )
    browser_login(page, site, moderator)

    page.goto(f"{site}/agentur/")
    table = page.locator("#dashboard-table")
    expect(table.locator("thead th")).to_have_count(4)  # the figure column, two towns and the region's total
    expect(table.locator('tr[data-figure="projects_in_progress"] td').last).to_have_text("1")
    expect(page.locator("svg[role=img]")).to_have_count(3)
    check_axe(page)

    page.locator("#filter-phase").select_option("B")
    page.locator("#dashboard-filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"/agentur/\?.*phase=B"))
    in_progress = table.locator('tr[data-figure="projects_in_progress"] td[data-town="arnsberg"] a')
    expect(in_progress).to_have_text(re.compile(r"^0 "))  # the project is in phase A
    check_axe(page)

    page.goto(f"{site}/agentur/")
    overdue = table.locator('tr[data-figure="milestones_overdue"] td[data-town="arnsberg"] a')
    expect(overdue).to_have_text(re.compile(r"^1 "))
    overdue.click()
    page.wait_for_url(
        re.compile(rf"/arnsberg/verwaltung/foerderung/{grant.pk}/meilensteine/\?state=overdue$")
    )
    expect(page.locator("main")).to_contain_text("Datenplattform abgenommen")
    check_axe(page)
