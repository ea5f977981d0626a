"""Playwright with Debian's Chromium (no browser download), axe-core from the repo, and two guards: a test fails
on any request that leaves the test server, and on any Content-Security-Policy violation of the page.

The portal's CSP stays enforced in browser tests (no ``bypass_csp``): axe-core is not injected inline, which
``script-src 'self'`` would refuse, but loaded from a same-origin address (``AXE_URL``) that Playwright answers
with the vendored file (``page.route``), so the page runs axe like one of its own scripts. A violation is seen
twice, as Chromium's console message ("Refused to …") and as the ``securitypolicyviolation`` event, which an
init script (not subject to the page's CSP) reports to the console too."""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import need

# Debian's headless build of its Chromium (package chromium-headless-shell, the same source and version as the
# chromium package) when installed: the same Blink and V8 without the desktop browser around them, so it renders
# the same pages with well under half the CPU (30 page loads: about 2.3 s of Chromium's CPU against 6.3 s for
# `chromium --headless`). It is what Playwright runs for headless tests by default. Otherwise the full browser.
CHROMIUM = next(
    (found for found in (shutil.which("chromium-headless-shell"), shutil.which("chromium")) if found),
    "/usr/bin/chromium",
)
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
# Never reaches the live server: the route in csp_violations() answers it with AXE.
AXE_URL = "/__browser-tests__/axe.min.js"

# expect() waits as long as the pages' actions do (``site``: 10 s), not Playwright's 5 s: in a parallel run
# (make test) another worker shares the cores, and Swagger UI's first render took longer than 5 s then.
expect.set_options(timeout=10_000)

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`
                + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "de-DE"}


def is_csp_violation(text: str) -> bool:
    return text.startswith("CSP violation:") or ("Content Security Policy" in text and "Refused to" in text)


@pytest.fixture
def csp_violations(live_server, page):
    """The CSP violations the page caused (console messages); the test fails if any is left at its end."""
    found = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda message: found.append(message.text) if is_csp_violation(message.text) else None)
    page.route(
        f"{live_server.url}{AXE_URL}",
        lambda route: route.fulfill(path=str(AXE), content_type="text/javascript; charset=utf-8"),
    )
    yield found
    assert found == [], "the page violated its Content-Security-Policy:\n" + "\n".join(found)


@pytest.fixture
def site(live_server, page, csp_violations):
    """The live server and a page that records every request to another host and every CSP violation."""
    need(Path(CHROMIUM).exists(), "Debian's chromium package is needed for browser tests")
    external = []
    page.on(
        "request",
        lambda request: (
            external.append(request.url)
            if not request.url.startswith((live_server.url, "data:", "blob:"))
            else None
        ),
    )
    page.set_default_timeout(10_000)
    yield live_server.url
    assert external == [], f"the page made requests to other hosts: {external}"


def check_axe(page) -> None:
    """No serious or critical WCAG A/AA violation up to 2.2 (``wcag22aa`` adds e.g. the target size, 2.5.8) on the
    current page (axe from the page's own origin, so its CSP allows it; see the module's docstring)."""
    page.add_script_tag(url=AXE_URL)
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
    )
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"axe violations on {page.url}:\n" + "\n".join(bad)
