"""Playwright with Debian's Chromium (no browser download), axe-core from the repo, and a guard that
fails the test on any request that leaves the test server."""

import shutil
from pathlib import Path

import pytest

from tests.conftest import need

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "de-DE"}


@pytest.fixture
def site(live_server, page):
    """The live server and a page that records every request to another host."""
    need(Path(CHROMIUM).exists(), "Debian's chromium package is needed for browser tests")
    external = []
    page.on("request", lambda request: external.append(request.url)
            if not request.url.startswith((live_server.url, "data:", "blob:")) else None)
    page.set_default_timeout(10_000)
    yield live_server.url
    assert external == [], f"the page made requests to other hosts: {external}"


def check_axe(page) -> None:
    """No serious or critical WCAG 2.1 A/AA violation on the current page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"axe violations on {page.url}:\n" + "\n".join(bad)
