"""Write the bytecode of the project and of the tests once, before the suite's processes start (`make test`).

Every pytest process (each xdist worker), every subprocess of a test (Celery workers, gunicorn, manage.py) and the
production smoke import the same modules. Where no bytecode is kept (``PYTHONDONTWRITEBYTECODE=1``, as on the
development and CI machines, and always in CI's fresh clone), each of them compiled every module from source, and
each worker rewrote the asserts of all ~185 test modules and conftest files anew: about 7.5 s of CPU per worker
(pytest 9's rewriting walks each assert's tree several times), 3-4 s more for the project's own modules.

This writes them once: the ordinary ``.pyc`` files (``compileall``; Python reads them whether or not it may write
them) and pytest's rewritten test modules in the file and format pytest itself reads back
(``__pycache__/<name>.<tag>-pytest-<version>.pyc``, keyed by a hash of the source, so a changed file is simply
rewritten again by the process that imports it). Nothing here changes what runs: the same source, compiled and
rewritten as pytest would. If pytest's internals move, the rewritten part is skipped and pytest rewrites as before.
"""

import compileall
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = re.compile(r"[/\\](\.venv|node_modules|static|staticfiles|media|locale|locale_allauth|templates)[/\\]")


def compile_modules() -> bool:
    return compileall.compile_dir(ROOT, quiet=1, rx=SKIP, workers=1)


def rewrite_tests() -> int:
    try:
        from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc, _rewrite_test, _write_pyc, get_cache_dir
    except ImportError:  # another pytest: it rewrites on import as before
        return 0

    class _State:
        def trace(self, message: str) -> None:
            pass

    if "enable_assertion_pass_hook" in (ROOT / "pyproject.toml").read_text():
        return 0  # rewritten differently with that hook on: left to pytest

    written = 0
    for source in sorted((ROOT / "tests").rglob("*.py")):
        if not (source.name.startswith("test_") or source.name == "conftest.py"):
            continue
        cache = get_cache_dir(source)
        pyc = cache / (source.name[:-3] + PYC_TAIL)
        if _read_pyc(source, pyc) is not None:
            continue
        cache.mkdir(exist_ok=True)
        # No pytest configuration: the rewrite reads only ``enable_assertion_pass_hook`` from it (off here).
        source_hash, code = _rewrite_test(source, None)  # type: ignore[arg-type]
        written += bool(_write_pyc(_State(), code, source_hash, pyc))  # type: ignore[arg-type]
    return written


if __name__ == "__main__":
    ok = compile_modules()
    print(f"compile_tests: {rewrite_tests()} test modules rewritten", file=sys.stderr)
    sys.exit(0 if ok else 1)
