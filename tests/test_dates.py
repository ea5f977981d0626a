"""Tests read today's date when they run, in the project's time zone, as the services do (``helpers.today()``).

A module-level ``TODAY = timezone.localdate()`` is read at import: a run that crosses local midnight then builds
its phases from yesterday while the services already see today, and 22 tests failed one night in CI.
``datetime.date.today()`` reads the process's clock zone instead of ``TIME_ZONE``: right only because Django
happens to set ``TZ`` when its settings load. This test keeps both from coming back."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# Calls that read the clock: timezone.now(), date.today(), helpers.today(); localdate() and localtime() only
# without a value to convert.
CLOCK = {"now", "today"}
CLOCK_WITHOUT_ARGUMENTS = {"localdate", "localtime"}


def _name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _reads_clock(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call)
        and (_name(n) in CLOCK or (_name(n) in CLOCK_WITHOUT_ARGUMENTS and not n.args and not n.keywords))
        for n in ast.walk(node)
    )


def _run_at_import(tree: ast.Module):
    """The expressions evaluated when the module is imported: module and class bodies (but not the bodies of
    functions), decorators (``pytest.mark.parametrize`` arguments) and default values of arguments."""
    statements = list(tree.body)
    while statements:
        statement = statements.pop()
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from statement.decorator_list
            yield from statement.args.defaults
            yield from (d for d in statement.args.kw_defaults if d is not None)
        elif isinstance(statement, ast.ClassDef):
            yield from statement.decorator_list
            statements.extend(statement.body)
        else:
            yield statement


def _clock_at_import(source: str) -> list[int]:
    return sorted({node.lineno for node in _run_at_import(ast.parse(source)) if _reads_clock(node)})


def _date_today(source: str) -> list[int]:
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "today"
        and isinstance(node.func.value, ast.Attribute | ast.Name)
        and (node.func.value.attr if isinstance(node.func.value, ast.Attribute) else node.func.value.id)
        in {"date", "datetime"}
    )


def _modules():
    return sorted(path for path in TESTS.rglob("*.py") if path.name != "test_dates.py")


def test_the_checks_find_what_they_look_for():
    source = """
import datetime
from django.utils import timezone
TODAY = timezone.localdate()
class Plan:
    START = datetime.date.today()
@pytest.mark.parametrize("day", [timezone.localdate()])
def test(day, on=timezone.now()):
    fine = timezone.localdate()
    wrong = datetime.date.today()
NOON = datetime.time(12)
MAY = timezone.localdate(datetime.datetime(2026, 5, 4, tzinfo=datetime.UTC))
"""
    assert _clock_at_import(source) == [4, 6, 7, 8]
    assert _date_today(source) == [6, 10]


def test_no_test_module_reads_the_clock_at_import():
    found = {
        str(path.relative_to(TESTS.parent)): lines
        for path in _modules()
        if (lines := _clock_at_import(path.read_text()))
    }
    assert not found, f"read today in the test (helpers.today()), not at import: {found}"


def test_no_test_reads_the_date_of_the_process_clock_zone():
    found = {
        str(path.relative_to(TESTS.parent)): lines
        for path in _modules()
        if (lines := _date_today(path.read_text()))
    }
    assert not found, f"use helpers.today() (the local date in TIME_ZONE), not date.today(): {found}"
