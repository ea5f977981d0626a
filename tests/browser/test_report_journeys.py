"""An editor asks for the town report as PDF on the report page; a real Celery worker (from real Redis) makes it
while the page, never reloaded, polls the status box through htmx until it shows the download link, and then
stops polling."""

import re
import time

import pytest
from playwright.sync_api import expect

from reports.models import ReportRequest
from tests import factories
from tests.helpers import browser_login
from tests.reports.conftest import fill_town
from tests.tasks.conftest import run_worker, worker_queue

from .conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

POLL_SECONDS = 2  # hx-trigger="every 2s" on the status box


@pytest.fixture
def report_worker(transactional_db):
    """A real worker on a queue of its own; it and the live server are threads of this process with their own
    connections to the (transactional, so committed) test database, and share the settings of the test."""
    with worker_queue() as queue, run_worker(queue) as worker:
        yield worker


def test_editor_requests_the_town_report_and_the_page_shows_it_ready(
    site, page, town_a, town_b, catalogue, report_worker
):
    fill_town(town_a, partner=town_b)
    editor = factories.staff_member(municipality=town_a, role="editor", email="berichte@arnsberg.example")
    base = f"{site}/arnsberg/verwaltung/berichte/"
    browser_login(page, site, editor)

    page.goto(base)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main .sc5-report")).to_have_count(0)
    check_axe(page)

    form = page.locator("main form:has(input[name=kind])")
    form.locator("input[name=kind][value=town]").check()
    form.locator("input[name=format][value=pdf]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_url(base)  # post, redirect, get: the page as it is after the request
    (report,) = ReportRequest.objects.with_scope(municipality=town_a.pk).all()
    assert (report.kind, report.format, report.requested_by_id) == ("town", "pdf", editor.pk)

    box = page.locator(f"#report-{report.pk}")
    expect(box).to_have_attribute("data-status", re.compile(r"^(queued|running)$"))
    expect(box).to_have_attribute("hx-trigger", f"every {POLL_SECONDS}s")
    expect(box).to_have_attribute("hx-get", f"/arnsberg/verwaltung/berichte/{report.pk}/status/")
    expect(box.get_by_role("link")).to_have_count(0)
    # No axe run on the open box: the first poll replaces it two seconds after the page loaded, which could land
    # in the middle of the run (the list with its form is checked before, the finished box after).

    # From here on the page is never loaded again: a marker in the window survives only if it is the same page.
    polls = []
    page.on("request", lambda request: polls.append(time.monotonic()) if "/status/" in request.url else None)
    page.evaluate("() => { window.sc5SamePage = true; }")

    started = time.monotonic()
    expect(box).to_have_attribute("data-status", "done", timeout=60_000)
    done_at = time.monotonic()
    print(
        f"the page showed the report done {done_at - started:.1f} s after it first showed it open, "
        f"after {len(polls)} polls"
    )
    assert page.evaluate("() => window.sc5SamePage === true"), "the page was reloaded"
    assert polls, "the status box was never polled"
    assert page.url == base
    link = box.get_by_role("link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", f"/arnsberg/verwaltung/berichte/{report.pk}/datei/")
    # Done: the box came back without the polling attributes.
    for attribute in ("hx-get", "hx-trigger"):
        assert box.get_attribute(attribute) is None, f"the finished status box still has {attribute}"
    check_axe(page)

    # The link answers with the PDF, for the editor's session (the browser context's cookies).
    response = page.request.get(site + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.body().startswith(b"%PDF")

    # Polling stopped: no request for the status box during more than a polling interval after it was done.
    page.wait_for_timeout(max(0, (done_at + POLL_SECONDS + 0.5 - time.monotonic()) * 1000))
    late = [at for at in polls if at > done_at + 0.2]
    assert late == [], f"the status box was still polled {len(late)} times after the report was done"
