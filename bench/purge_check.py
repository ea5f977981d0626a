"""Does the purged KERN stylesheet style every page as the full one does? Screenshots of public pages with
kern.purged.min.css and with the full kern.min.css swapped in (a Playwright route); any pixel difference is a
rule that scripts/purge_css.py dropped wrongly (both screenshots are then saved to /tmp/front/).

    .venv/bin/python bench/purge_check.py [http://127.0.0.1:8103]

Run it against the production-mode server of bench/README.md with the demo data; needs /usr/bin/chromium.
"""

import io
import sys
from pathlib import Path

from PIL import Image, ImageChops
from playwright.sync_api import sync_playwright

FULL = (Path(__file__).resolve().parent.parent / "static" / "vendor" / "kern" / "kern.min.css").read_text()
OUT = Path("/tmp/front")
PAGES = [
    "/",
    "/arnsberg/",
    "/arnsberg/projekte/",
    "/arnsberg/projekte/digitaler-zwilling/",
    "/arnsberg/strategie/",
    "/arnsberg/beteiligung/",
    "/arnsberg/beteiligung/ideen-fuer-die-arnsberger-quartiere-mobil-gruen-digital/",
    "/arnsberg/ideen/",
    "/arnsberg/ideen/29/",
    "/arnsberg/barrierefreiheit/",
    "/wissen/",
    "/offene-daten/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def use_css(page, full: bool) -> None:
    page.unroute("**/*")
    if full:
        page.route(
            "**/kern.purged.min.*",
            lambda route: route.fulfill(status=200, content_type="text/css", body=FULL),
        )


def same(a: bytes, b: bytes) -> bool:
    x, y = Image.open(io.BytesIO(a)).convert("RGB"), Image.open(io.BytesIO(b)).convert("RGB")
    return x.size == y.size and ImageChops.difference(x, y).getbbox() is None


def main(base: str) -> int:
    OUT.mkdir(exist_ok=True)
    different = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for width in (1280, 390):
            page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
            for path in PAGES:
                shots = []
                for full in (False, True):
                    use_css(page, full)
                    page.goto(base + path, wait_until="networkidle")
                    shots.append(page.screenshot(full_page=True))
                if not same(*shots):
                    different += 1
                    name = path.strip("/").replace("/", "_") or "root"
                    (OUT / f"pc-{width}-{name}-purged.png").write_bytes(shots[0])
                    (OUT / f"pc-{width}-{name}-full.png").write_bytes(shots[1])
                print(width, path, "same" if same(*shots) else "DIFFERENT", flush=True)
        # A form with errors: the login form sent empty.
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        shots = []
        for full in (False, True):
            use_css(page, full)
            page.goto(base + "/accounts/login/")
            page.locator("form button[type=submit]").last.click()
            page.wait_for_load_state("networkidle")
            shots.append(page.screenshot(full_page=True))
        different += not same(*shots)
        print(1280, "/accounts/login/ with errors", "same" if same(*shots) else "DIFFERENT")
    print("pages that differ:", different)
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8103"))
