"""docs/ARCHITECTURE.md stays true where it lists what the code does (issue 17, item 11).

Three lists are compared with the code: every place a scope is entered ("Where a scope is entered"), the
apps each app imports ("Dependency direction") and the town URL modules (`town_patterns`). A change to the code
that is not described fails here with what to add or remove.
"""

import ast
import re
from pathlib import Path

from django.urls import URLResolver

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "ARCHITECTURE.md"
APPS = [
    "smartcity5",
    "municipalities",
    "accounts",
    "outbox",
    "notifications",
    "projects",
    "funding",
    "participation",
    "knowledge",
    "surveys",
    "reviews",
    "reports",
    "agentur",
    "api",
    "sampledata",
]
SCOPE_CALLS = {
    "town_scope",
    "cross_town_scope",
    "public_region_scope",
    "shared_knowledge_scope",
    "scope",
    "scopes_disabled",
    "with_scopes_disabled",
    "with_scope",
}
# Operator commands and data generators: they enter each town's scope in turn (described in the doc's prose).
NOT_PORTAL_CODE = {"migrations", "demo", "seed", "management"}


def _section(heading: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(heading)
    end = text.find("\n#", start + len(heading))
    return text[start : end if end != -1 else None]


def _python_files(app: str, *, skip: set[str]):
    for path in sorted((ROOT / app).rglob("*.py")):
        if not skip.intersection(path.relative_to(ROOT).parts):
            yield path


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _scope_entries() -> set[str]:
    """``module.function`` (or ``module.Class.method``) of every call that enters or bypasses a scope."""
    found: set[str] = set()

    def visit(node, module: str, names: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, module, [*names, child.name])
                continue
            if isinstance(child, ast.Call):
                func = child.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name in SCOPE_CALLS:
                    found.add(".".join([module, *names]))
            visit(child, module, names)

    for app in APPS:
        for path in _python_files(app, skip=NOT_PORTAL_CODE):
            visit(ast.parse(path.read_text(encoding="utf-8")), _module(path), [])
    return found


def test_every_place_a_scope_is_entered_is_documented():
    listed = set(
        re.findall(
            r"`((?:[A-Za-z_][A-Za-z0-9_]*\.)+[A-Za-z_][A-Za-z0-9_]*)`",
            _section("### Where a scope is entered"),
        )
    )
    in_code = _scope_entries()
    assert in_code - listed == set(), (
        "enters a scope but is not in docs/ARCHITECTURE.md 'Where a scope is entered'"
    )
    assert {name for name in listed - in_code if name.split(".")[0] in APPS} == set(), (
        "listed in docs/ARCHITECTURE.md 'Where a scope is entered' but enters no scope (any more)"
    )


def _runtime_nodes(tree: ast.AST):
    """Every node but those under ``if TYPE_CHECKING:`` (imports for annotations only are no dependency)."""
    for node in ast.iter_child_nodes(tree):
        if (
            isinstance(node, ast.If)
            and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING"
        ):
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {app: set() for app in APPS}
    for app in APPS:
        for path in _python_files(app, skip={"migrations"}):
            for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules = [node.module]
                else:
                    continue
                found[app].update(m.split(".")[0] for m in modules if m.split(".")[0] in APPS)
            found[app].discard(app)
    return found


def test_the_dependency_table_is_what_the_code_imports():
    table = {}
    for line in _section("### Dependency direction").splitlines():
        match = re.match(r"\| `(\w+)` \| (.*) \|$", line)
        if match:
            table[match.group(1)] = set(re.findall(r"`(\w+)`", match.group(2)))
    assert table == _imports()


def test_the_town_url_modules_are_listed_in_order():
    from smartcity5.urls import town_patterns

    modules = [p.urlconf_name.__name__ for p in town_patterns if isinstance(p, URLResolver)]
    text = DOC.read_text(encoding="utf-8")
    start = text.index("in the order of `smartcity5/urls.py:town_patterns`:")
    listed = re.findall(
        r"`(\w+\.urls\w*)`", text[start : text.index("(`tests/test_architecture_doc.py`", start)]
    )
    assert listed == modules


#: The layers of "Dependency direction", bottom first: an app imports its own layer and those below it.
LAYERS = [
    {"smartcity5", "municipalities", "accounts", "outbox", "notifications"},
    {"projects", "funding", "participation", "knowledge", "surveys"},
    {"reviews", "reports", "api", "agentur", "sampledata"},
]
#: Imports against the direction that are known and described in the doc (file → apps of a higher layer), each to
#: be removed; a new one fails, and so does one listed here that the code no longer has.
AGAINST_THE_DIRECTION = {
    "smartcity5/urls.py": {"projects", "participation", "knowledge", "agentur"},
    "accounts/exports.py": {"participation", "surveys"},
    "accounts/services.py": {"participation"},
}


def _layer(app: str) -> int:
    return next(number for number, apps in enumerate(LAYERS) if app in apps)


def test_no_app_imports_a_higher_layer():
    """Tenancy and accounts at the bottom, the domains in the middle, what reads several domains on top: a lower
    layer never imports a higher one (a base app never imports a domain), but for the known exceptions."""
    assert set().union(*LAYERS) == set(APPS)
    upward: dict[str, set[str]] = {}
    for app in APPS:
        for path in _python_files(app, skip={"migrations"}):
            for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules = [node.module]
                else:
                    continue
                for imported in {m.split(".")[0] for m in modules} & set(APPS):
                    if _layer(imported) > _layer(app):
                        upward.setdefault(str(path.relative_to(ROOT)), set()).add(imported)
    assert upward == AGAINST_THE_DIRECTION
