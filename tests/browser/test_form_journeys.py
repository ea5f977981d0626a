"""Forms as a keyboard and screen reader user meets them: after a failed submit the focus is on the error summary,
whose links lead to the fields; supporting an idea by keyboard keeps the focus on the button and the live region in
place. The idea form, project form, process editor and vote, with and without errors, pass axe (WCAG 2.2 AA);
screenshots at 1280 and 390 px go to ``SC5_SCREENSHOT_DIR`` when it is set."""

import os
import re
from pathlib import Path

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import Role
from municipalities.scoping import town_scope
from participation.models import Process
from participation.services import ideas as ideas_services
from participation.services import processes as processes_services
from tests import factories, helpers
from tests.helpers import browser_login

from .conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED_SUMMARY = "document.activeElement && document.activeElement.hasAttribute('data-sc5-error-summary')"


def _shots(page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("SC5_SCREENSHOT_DIR") or tmp_path)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _submit(page) -> None:
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def _expect_summary_focused(page) -> None:
    summary = page.locator("[data-sc5-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.title().startswith("Fehler: "), page.title()


def test_failed_submit_focuses_the_error_summary_on_every_main_form(site, page, town_a, tmp_path):
    today = helpers.today()
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        process = factories.process(municipality=town_a, title="Ideen für die Innenstadt", votes_per_person=1)
        citizen = factories.UserFactory(display_name="Anna")
        editor = factories.staff_member(
            municipality=town_a, role=Role.EDITOR, email="redaktion@arnsberg.example"
        )

    # The idea form: the summary takes the focus, its links lead to the fields.
    browser_login(page, site, citizen)
    page.goto(f"{site}/arnsberg/beteiligung/{process.slug}/idee/")
    check_axe(page)
    _shots(page, "idea-form", tmp_path)
    assert not page.title().startswith("Fehler")
    page.locator("#id_body").fill("Im Sommer fehlt Wasser.")
    _submit(page)
    _expect_summary_focused(page)
    check_axe(page)
    _shots(page, "idea-form-errors", tmp_path)
    page.locator("[data-sc5-error-summary] a[href='#id_title']").click()
    expect(page.locator("#id_title")).to_be_focused()
    expect(page.locator("#id_body")).to_have_value("Im Sommer fehlt Wasser.")  # nothing typed is lost

    # The project form and the process editor (with its phases) of the staff area.
    page.context.clear_cookies()
    browser_login(page, site, editor)
    page.goto(f"{site}/arnsberg/verwaltung/projekte/neu/")
    check_axe(page)
    _shots(page, "project-form", tmp_path)
    _submit(page)
    _expect_summary_focused(page)
    expect(page.locator("[data-sc5-error-summary] a[href='#id_title']")).to_be_visible()
    check_axe(page)
    _shots(page, "project-form-errors", tmp_path)

    page.goto(f"{site}/arnsberg/verwaltung/beteiligung/neu/")
    check_axe(page)
    _shots(page, "process-editor", tmp_path)
    page.locator("#id_phase-2-starts_on").fill("")
    _submit(page)
    _expect_summary_focused(page)
    link = page.locator("[data-sc5-error-summary] a[href='#id_phase-2-starts_on']")
    expect(link).to_contain_text("Ideensammlung – Von")
    link.click()
    expect(page.locator("#id_phase-2-starts_on")).to_be_focused()
    check_axe(page)
    _shots(page, "process-editor-errors", tmp_path)

    # The vote: too many votes is an error of the whole ballot.
    # One commit for the test's rows (the open data are built once; tests/reports/conftest.py's fill_town).
    with transaction.atomic():
        ideas = [factories.idea(process=process, title=f"Vorschlag {n}") for n in range(2)]
        with town_scope(town_a):
            for idea in ideas:
                ideas_services.idea_set_shortlisted(idea=idea, shortlisted=True, by=None, acting_town=town_a)
            processes_services.process_change(
                process=Process.objects.get(pk=process.pk),
                by=None,
                acting_town=town_a,
                fields={},
                phases=[{"kind": "vote", "starts_on": today, "ends_on": today}],
            )
    page.context.clear_cookies()
    browser_login(page, site, citizen)
    page.goto(f"{site}/arnsberg/beteiligung/{process.slug}/abstimmung/")
    expect(page.locator("main form label", has_text="Vorschlag 0")).not_to_contain_text("optional")
    check_axe(page)
    _shots(page, "vote", tmp_path)
    for checkbox in page.locator("main form input[type=checkbox]").all():
        checkbox.check()
    _submit(page)
    _expect_summary_focused(page)
    check_axe(page)
    _shots(page, "vote-errors", tmp_path)


def test_keyboard_support_keeps_the_focus_on_the_button_and_the_live_region(site, page, town_a):
    process = factories.process(municipality=town_a, title="Ideen für die Innenstadt")
    idea = factories.idea(process=process, title="Mehr Fahrradbügel am Neumarkt")
    browser_login(page, site, factories.UserFactory(display_name="Bernd"))
    page.goto(f"{site}/arnsberg/ideen/{idea.pk}/")
    live = page.locator("#support-count")
    expect(live).to_have_attribute("aria-live", "polite")
    expect(live).to_contain_text("0")
    # Mark the live region's element: it must be the same element after the swap, not a new one.
    page.evaluate("document.getElementById('support-count').dataset.marker = 'kept'")

    button = page.locator("#support-button")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#support-action input[name=action]")).to_have_value("withdraw")
    expect(live).to_contain_text("1")
    expect(live).to_contain_text("Sie unterstützen diese Idee.")
    expect(page.locator("#support-button")).to_be_focused()
    assert page.evaluate("document.getElementById('support-count').dataset.marker") == "kept"
    check_axe(page)

    page.keyboard.press("Space")  # the withdrawal, from the same button
    expect(page.locator("#support-action input[name=action]")).to_have_value("support")
    expect(live).to_contain_text("0")
    expect(page.locator("#support-button")).to_be_focused()
    assert page.evaluate("document.getElementById('support-count').dataset.marker") == "kept"
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"


def test_a_refused_support_is_shown_in_place_and_takes_the_focus(site, page, town_a):
    today = helpers.today()
    process = factories.process(municipality=town_a, title="Ideen für die Innenstadt")
    idea = factories.idea(process=process, title="Mehr Fahrradbügel am Neumarkt")
    browser_login(page, site, factories.UserFactory(display_name="Clara"))
    page.goto(f"{site}/arnsberg/ideen/{idea.pk}/")
    # The phase ends while the page is open: the answer (400) is swapped in, not dropped.
    with town_scope(town_a):
        processes_services.process_change(
            process=Process.objects.get(pk=process.pk),
            by=None,
            acting_town=town_a,
            fields={},
            phases=[{"kind": "vote", "starts_on": today, "ends_on": today}],
        )
    page.locator("#support-button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#support-action [role=alert]")).to_be_visible()
    # The button is gone with the phase: the focus goes to the message, not to <body>.
    expect(page.locator("#support-action [role=alert]")).to_be_focused()
    expect(page.locator("#support-count")).to_contain_text("0")
    assert re.search(r"/ideen/\d+/$", page.url)
