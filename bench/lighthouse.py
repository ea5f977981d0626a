"""What a phone downloads: Lighthouse mobile (simulated slow 4G) over a few public pages, summarised.

    .venv/bin/python bench/lighthouse.py http://127.0.0.1:8103 /arnsberg/ /arnsberg/ideen/ … [--out DIR] [--runs N]

Needs npm (it runs `npm exec --yes lighthouse@12`) and Debian's /usr/bin/chromium. Serve the site in production
mode first (bench/README.md says how). For each page it prints the transferred bytes of a first visit (empty
cache), the requests by type, LCP and the performance score; with --runs N the median of N runs. The JSON reports
are kept in --out.
"""

import argparse
import json
import statistics
import subprocess
import tempfile
from pathlib import Path

CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
    "--disable-sync --no-first-run"
)


def run_lighthouse(url: str, out: Path) -> dict:
    subprocess.run(
        [
            "npm",
            "exec",
            "--yes",
            "lighthouse@12",
            "--",
            url,
            "--chrome-path=/usr/bin/chromium",
            f"--chrome-flags={CHROME_FLAGS}",
            "--form-factor=mobile",
            "--throttling-method=simulate",
            "--output=json",
            f"--output-path={out}",
            "--only-categories=performance",
            "--quiet",
        ],
        check=True,
    )
    return json.loads(out.read_text())


def summarise(report: dict) -> dict:
    audits = report["audits"]
    items = audits["network-requests"]["details"]["items"]
    by_type: dict[str, int] = {}
    for item in items:
        by_type[item.get("resourceType", "?")] = (
            by_type.get(item.get("resourceType", "?"), 0) + item["transferSize"]
        )
    return {
        "kib": sum(item["transferSize"] for item in items) / 1024,
        "requests": len(items),
        "by_type": {k: round(v / 1024, 1) for k, v in sorted(by_type.items(), key=lambda kv: -kv[1])},
        "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "fcp_s": audits["first-contentful-paint"]["numericValue"] / 1000,
        "score": round(report["categories"]["performance"]["score"] * 100),
        "files": [
            (item["url"].rsplit("/", 1)[-1][:48], round(item["transferSize"] / 1024, 1)) for item in items
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="lh-"))
    out.mkdir(parents=True, exist_ok=True)
    print("| page | transferred | requests | LCP | FCP | score |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    for path in args.paths:
        runs = []
        for n in range(args.runs):
            name = path.strip("/").replace("/", "_") or "root"
            runs.append(summarise(run_lighthouse(args.base + path, out / f"{name}-{n}.json")))
        lcp = statistics.median(r["lcp_s"] for r in runs)
        fcp = statistics.median(r["fcp_s"] for r in runs)
        score = statistics.median(r["score"] for r in runs)
        first = runs[0]
        print(
            f"| `{path}` | {first['kib']:.1f} KiB | {first['requests']} | {lcp:.2f} s | {fcp:.2f} s | {score:.0f} |",
            flush=True,
        )
        print(f"<!-- {path}: {first['by_type']} {first['files']} -->", flush=True)
    print(f"<!-- reports in {out} -->")


if __name__ == "__main__":
    main()
