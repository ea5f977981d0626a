"""An editor prepares and submits the quarter's progress report; a moderator opens it and returns it with a
remark; the town's editor sees the remark on the report page and as a notification."""

import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from tests import factories
from tests.helpers import browser_login

from .conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_submits_and_moderator_returns_the_progress_report(catalogue, site, page, town_a):
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        editor = factories.staff_member(municipality=town_a, role="editor", email="bericht@arnsberg.example")
        moderator = factories.UserFactory(email="agentur@suedwestfalen.example", is_agentur_moderator=True)
        factories.activate_totp(moderator)
        factories.project(municipality=town_a, title="Digitale Bürgerdienste", status="in_progress")

        # The editor finds the reports from the staff dashboard and generates the current quarter's draft.
    browser_login(page, site, editor)
    page.goto(f"{site}/arnsberg/verwaltung/")
    page.locator("a[href='/arnsberg/verwaltung/fortschrittsberichte/']").click()
    page.wait_for_url(re.compile(r"/arnsberg/verwaltung/fortschrittsberichte/$"))
    check_axe(page)
    page.locator("#report-create button[type=submit]").click()
    page.wait_for_url(re.compile(r"/fortschrittsberichte/\d{4}-q[1-4]/$"))
    report_url = page.url
    expect(page.locator("#report-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#figures-projects")).to_contain_text("1")
    check_axe(page)

    # Texts per field of action, then submission.
    page.locator("#report-edit-texts").click()
    page.wait_for_url(re.compile(r"/texte/$"))
    check_axe(page)
    page.locator("#report-texts textarea").first.fill("Die Bürgerdienste sind online.")
    page.locator("#report-texts button[type=submit]").click()
    page.wait_for_url(report_url)
    expect(page.locator("#report-sections")).to_contain_text("Die Bürgerdienste sind online.")
    page.locator("#report-submit").click()
    expect(page.locator("#report-status")).to_have_attribute("data-status", "submitted")
    expect(page.locator("#report-submit")).to_have_count(0)
    check_axe(page)

    # The moderator opens it from the Agentur's list and returns it with a remark.
    page.context.clear_cookies()
    browser_login(page, site, moderator)
    page.goto(f"{site}/agentur/fortschrittsberichte/")
    check_axe(page)
    page.locator("#review-table a[href^='/agentur/fortschrittsberichte/arnsberg/']").click()
    page.wait_for_url(re.compile(r"/agentur/fortschrittsberichte/arnsberg/\d{4}-q[1-4]/$"))
    expect(page.locator("#report-sections")).to_contain_text("Die Bürgerdienste sind online.")
    check_axe(page)
    form = page.locator("#review-decision")
    form.locator("input[name=decision][value=returned]").check()
    form.locator("button[type=submit]").click()  # without a remark: refused, nothing lost
    expect(page.locator("#id_remarks")).to_have_attribute("aria-invalid", "true")
    check_axe(page)
    page.locator("#id_remarks").fill("Bitte die Kennzahlen der Bürgerdienste ergänzen.")
    page.locator("#review-decision input[name=decision][value=returned]").check()
    page.locator("#review-decision button[type=submit]").click()
    expect(page.locator("#report-status")).to_have_attribute("data-status", "returned")
    expect(page.locator("#review-remarks")).to_contain_text(
        "Bitte die Kennzahlen der Bürgerdienste ergänzen."
    )

    # The editor is told, follows the notification, and sees the remark on the report page.
    page.context.clear_cookies()
    browser_login(page, site, editor)
    page.goto(f"{site}/konto/benachrichtigungen/")
    check_axe(page)
    notice = page.locator(".sc5-notification").first
    expect(notice).to_contain_text("Bitte die Kennzahlen der Bürgerdienste ergänzen.")
    notice.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/arnsberg/verwaltung/fortschrittsberichte/\d{4}-q[1-4]/$"))
    expect(page.locator("#review-remarks")).to_contain_text(
        "Bitte die Kennzahlen der Bürgerdienste ergänzen."
    )
    expect(page.locator("#report-reopen")).to_be_visible()
    check_axe(page)

    # The editor answers the Agentur on the same page; the answer is marked as the town's.
    page.locator("#review-reply textarea").fill("Die Kennzahlen folgen mit der Überarbeitung.")
    page.locator("#review-reply button[type=submit]").click()
    answer = page.locator("#review-comments li[data-from=town]")
    expect(answer).to_contain_text("Die Kennzahlen folgen mit der Überarbeitung.")
    expect(answer).to_contain_text("Arnsberg")
    check_axe(page)
