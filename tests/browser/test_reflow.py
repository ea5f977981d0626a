"""No page scrolls sideways on a phone (issue 15, items 8 and 20; WCAG 1.4.10 Reflow).

Each role (anonymous, citizen, viewer, editor and admin of a town, Agentur moderator) gets one browser context
at 390 px and walks the portal from a few entry pages: every page kind (Django view) it reaches through links is
opened once and fails the test when ``document.documentElement.scrollWidth > window.innerWidth``. A
representative set of pages is checked at 320 px as well. Every table on a visited page must sit in the
labelled, focusable scroll region of ``{% table_region %}``. The data are the demo loaders' for two towns plus
an idea whose title is one very long word, built once for the whole walk."""

import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone

from accounts.models import Role, User
from municipalities.demo.loader import DEMO_DOMAIN, load_accounts, load_towns
from municipalities.scoping import town_scope
from tests import factories
from tests.conftest import need

from .conftest import CHROMIUM
from .reflow import WIDEST

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE, SMALLEST = 390, 320
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänsmützenaufbewahrungsschrankschlüsselanhänger"
ENTRIES = (
    "/",
    "/arnsberg/",
    "/arnsberg/verwaltung/",
    "/agentur/",
    "/konto/",
    "/konto/beteiligung/",
    "/konto/benachrichtigungen/einstellungen/",
    "/offene-daten/",
    "/wissen/",
    "/accounts/login/",
)
# Views that answer with a file, a redirect with a side effect, or a page that is not ours.
NOT_PAGES = {
    "account_logout",
    "mfa_download_recovery_codes",
    "accounts:data-download",
    "agentur-reports:download",
    "reports:download",
    "projects:file",
    "projects:strategy-document",
    "funding:export",
    "funding:rate-exception-document",
    "funding:proof-document",
    "participation:results-csv",
    "participation:idea-image",
    "notifications:open",
    "set_language",
    "healthz",
    "readyz",
}
NOT_PAGE_NAMESPACES = ("api", "admin")
TABLES_OUTSIDE_REGIONS = """() => [...document.querySelectorAll('main table')].filter((table) => {
  const region = table.closest('.sc5-table-wrap[role=region][tabindex="0"]');
  const label = region && document.getElementById(region.getAttribute('aria-labelledby'));
  return !(label && label.textContent.trim() && region.contains(label));
}).map((table) => (table.id ? '#' + table.id : '') + ' ' + (table.caption ? table.caption.textContent.trim() : ''))"""


def _page_kind(href: str) -> str | None:
    try:
        match = resolve(urlsplit(href).path)
    except Resolver404:
        return None
    if match.view_name in NOT_PAGES or match.namespace.startswith(NOT_PAGE_NAMESPACES):
        return None
    return match.view_name


@transaction.atomic  # one commit: the open data builds and notifications that the changes ask for run once
def _build_data():
    """Two demo towns with their projects, funding and knowledge, a progress report under review, and a
    participation process whose idea list shows an idea titled with one very long word."""
    from funding.demo.loader import load_funding
    from knowledge.demo.loader import load_knowledge
    from participation.services import supports as supports_services
    from projects.demo.loader import load_projects
    from reviews import services as reviews

    consortium, towns = load_towns()
    towns = [town for town in towns if town.slug in ("arnsberg", "soest")]
    load_accounts(towns)
    load_projects(consortium, towns)
    load_funding(towns)
    load_knowledge(towns)
    arnsberg = towns[0] if towns[0].slug == "arnsberg" else towns[1]
    users = {role: User.objects.get(email=f"arnsberg-{role}@{DEMO_DOMAIN}") for role in Role.values}
    users["agentur"] = User.objects.get(email=f"agentur@{DEMO_DOMAIN}")
    users["citizen"] = User.objects.get(email=f"buerger@{DEMO_DOMAIN}")
    for key, user in users.items():
        if key != "citizen":
            factories.activate_totp(user)
    process = factories.process(municipality=arnsberg, title="Ideen für die Arnsberger Quartiere")
    long_idea = factories.idea(process=process, author=users["citizen"], title=f"{LONG_WORD} am Neumarkt")
    other = factories.idea(process=process, title="Mehr Bänke am Marktplatz")
    factories.comment(idea=long_idea, author=users["citizen"], body=f"Ein {LONG_WORD} wäre schön.")
    with town_scope(arnsberg):
        supports_services.support_add(idea=other, user=users["citizen"])
        today = timezone.localdate()
        report = reviews.report_create(
            municipality=arnsberg, year=today.year, quarter=(today.month - 1) // 3 + 1, by=users["editor"]
        )
        reviews.report_submit(report=report, by=users["editor"])
    return users, long_idea


def _context(browser, base_url: str, user, width: int):
    """A browser context signed in as ``user``. The walk opens some hundred pages, each with the same stylesheets,
    fonts and scripts: Chromium's own HTTP cache keeps them (the test server sends them with Last-Modified; a
    stale copy is asked for again with If-Modified-Since and answered 304). No ``route`` for them: Playwright
    turns the HTTP cache off for a context that routes, and handing every file of every page to the browser
    through a route in this process cost more (about 11 s of CPU of the test's ~65 s, and a quarter of the
    walk's time, on the loaded 2-core machine)."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="de-DE")
    if user is not None:
        client = Client()
        client.force_login(user)
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
        )
    return context


def _check(page, base_url: str, path: str, problems: list[str]) -> list[str]:
    """Open the page, note what is wrong with its width and its tables; return the page's own links."""
    try:
        response = page.goto(base_url + path)
    except Exception as error:  # a download or an aborted navigation: not a page to check
        if "Download is starting" in str(error):
            return []
        raise
    if response is None or "text/html" not in (response.headers.get("content-type") or ""):
        return []
    if page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth"):
        width = page.evaluate(WIDEST)
        problems.append(
            f"{path} at {width['innerWidth']} px is {width['scrollWidth']} px wide; widest: {width['widest']}"
        )
    for table in page.evaluate(TABLES_OUTSIDE_REGIONS):
        problems.append(f"{path}: table {table.strip()!r} is not in a labelled, focusable table region")
    return page.eval_on_selector_all("a[href^='/']", "links => links.map((a) => a.getAttribute('href'))")


def _walk(page, base_url: str, problems: list[str], checked: set[str]) -> dict[str, str]:
    """Every page kind reachable by links from ENTRIES, each opened once unless a role of the same group has
    checked it already (``checked``, updated); returns {kind: path} of the kinds this role reached."""
    seen: dict[str, str] = {}
    queue = list(ENTRIES)
    while queue:
        path = queue.pop(0).split("#")[0]
        kind = _page_kind(path)
        if kind is None or kind in seen:
            continue
        seen[kind] = path
        if kind in checked and path not in ENTRIES:
            continue
        checked.add(kind)
        queue += [href for href in _check(page, base_url, path, problems) if _page_kind(href) not in seen]
    return seen


def test_no_page_of_any_role_scrolls_sideways_on_a_phone(catalogue, live_server, browser):
    need(Path(CHROMIUM).exists(), "Debian's chromium package is needed for browser tests")
    started = time.monotonic()
    users, long_idea = _build_data()
    built = time.monotonic()
    print(f"reflow: data built in {built - started:.1f} s")
    # Roles of one group see the same pages but for their buttons: the most privileged goes first and the others
    # open only the page kinds it did not reach (each role still starts from every entry page).
    roles = {
        "admin": ("staff", users[Role.ADMIN]),
        "editor": ("staff", users[Role.EDITOR]),
        "viewer": ("staff", users[Role.VIEWER]),
        "agentur": ("staff", users["agentur"]),
        "citizen": ("citizen", users["citizen"]),
        "anonymous": ("anonymous", None),
    }
    checked: dict[str, set[str]] = {}
    problems: list[str] = []
    visited: dict[str, dict[str, str]] = {}
    for role, (group, user) in roles.items():
        context = _context(browser, live_server.url, user, PHONE)
        page = context.new_page()
        page.set_default_timeout(15_000)
        found: list[str] = []
        visited[role] = _walk(page, live_server.url, found, checked.setdefault(group, set()))
        problems += [f"[{role}] {problem}" for problem in found]
        context.close()

    # The pages the issue names, and the long word's idea, at the smallest width WCAG asks for.
    context = _context(browser, live_server.url, users["admin"], SMALLEST)
    page = context.new_page()
    representative = [
        path
        for kind, path in visited["admin"].items()
        if kind
        in {
            "municipalities:home",
            "projects:detail",
            "projects:staff-detail",
            "funding:spending",
            "funding:budget",
            "funding:disbursements",
            "funding:detail",
            "participation:ideas",
            "participation:idea",
            "notifications:preferences",
            "participation-mine",
            "opendata:index",
            "reviews:detail",
            "knowledge-public",
            "agentur:staff-dashboard",
            "team:list",
        }
    ]
    representative.append(long_idea.get_absolute_url())
    found = []
    for path in representative:
        _check(page, live_server.url, path, found)
    problems += [f"[admin, {SMALLEST} px] {problem}" for problem in found]
    context.close()
    context = _context(browser, live_server.url, users["agentur"], SMALLEST)
    page = context.new_page()
    found = []
    for path in ("/agentur/", visited["agentur"]["agentur-reviews:detail"]):
        _check(page, live_server.url, path, found)
    problems += [f"[agentur, {SMALLEST} px] {problem}" for problem in found]
    context.close()

    print(f"reflow: {sum(map(len, checked.values()))} pages checked in {time.monotonic() - built:.1f} s")
    assert problems == [], "pages that scroll sideways or hide a table from keyboard users:\n" + "\n".join(
        problems
    )
    # The walk reached what it claims to check: the long word's idea list, funding tables, the Agentur and the
    # report, the account pages; and each role saw its own pages.
    assert {
        "participation:ideas",
        "participation:idea",
        "projects:detail",
        "municipalities:home",
        "opendata:index",
        "knowledge-public",
    } <= set(visited["anonymous"])
    assert {"participation-mine", "notifications:preferences", "accounts:overview"} <= set(visited["citizen"])
    assert {
        "funding:spending",
        "funding:budget",
        "funding:disbursements",
        "reviews:detail",
        "team:list",
        "participation:staff-moderation",
        "participation:staff-settings",
    } <= checked["staff"]
    assert {"agentur-overview", "agentur-reviews:detail", "agentur-reports:list"} <= set(visited["agentur"])
