"""A viewer on the staff dashboard at desktop and phone width: sees what waits without a link to a page their
role does not open, and meets a 403 page that names the role needed and leads back."""

import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import Role
from municipalities.scoping import town_scope
from participation.services import flags as flags_services
from tests import factories
from tests.helpers import browser_login

from .conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 390)


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways at {width[1]} px: {width[0]} px wide"


def test_a_viewer_sees_no_dead_links_and_a_403_that_says_who_helps(catalogue, site, page, town_a, tmp_path):
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        idea = factories.idea(process=factories.process(municipality=town_a))
        comment = factories.comment(idea=idea, body="Hausnummer 12, Kennzeichen …")
        with town_scope(town_a):
            flags_services.flag_submit(
                target=comment, reporter=factories.UserFactory(), reason="personal_data"
            )
        viewer = factories.staff_member(municipality=town_a, role=Role.VIEWER, email="lesen@arnsberg.example")
    browser_login(page, site, viewer)

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{site}/arnsberg/verwaltung/")
        main = page.locator("main")
        expect(main).to_contain_text("1 Beitrag wartet auf Moderation")
        expect(main.locator('a[href$="/verwaltung/beteiligung/moderation/"]')).to_have_count(0)
        expect(main.get_by_role("link", name="Team", exact=True)).to_have_count(0)
        _no_sideways_scroll(page)
        page.screenshot(path=str(tmp_path / f"dashboard-{width}.png"), full_page=True)
        check_axe(page)

        response = page.goto(f"{site}/arnsberg/verwaltung/beteiligung/einstellungen/")
        assert response.status == 403
        expect(main).to_contain_text(
            "Dafür ist die Rolle „Administration“ (oder eine höhere) in Arnsberg nötig."
        )
        expect(main).to_contain_text("unter „Team“")
        _no_sideways_scroll(page)
        page.screenshot(path=str(tmp_path / f"403-{width}.png"), full_page=True)
        check_axe(page)
        main.get_by_role("link", name="Zum Verwaltungsbereich von Arnsberg").click()
        page.wait_for_url(re.compile(r"/arnsberg/verwaltung/$"))
