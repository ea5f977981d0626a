"""Ask the local gunicorn for a health endpoint, as the container health checks do: exit 0 when it answers 200.

    python scripts/healthcheck.py [/readyz|/healthz] [--port 8000] [--print]

The request goes to 127.0.0.1 with the first of ALLOWED_HOSTS as Host and ``X-Forwarded-Proto: https``, as from
the reverse proxy, so neither the host check nor the HTTPS redirect of production mode turns it away.
"""

import argparse
import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", default="/readyz")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--print", action="store_true", help="print the answer")
    args = parser.parse_args()
    host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".*") or "localhost"
    request = urllib.request.Request(
        f"http://127.0.0.1:{args.port}{args.path}", headers={"Host": host, "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=args.timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    except OSError as exc:
        print(f"{args.path}: {exc}", file=sys.stderr)
        return 1
    if args.print or status != 200:
        print(
            f"{args.path}: {status}\n{body.decode(errors='replace')}",
            file=sys.stderr if status != 200 else None,
        )
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
