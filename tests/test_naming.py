"""Names (issue 17, item 7): the town's URL parameter is ``town_slug``, an object holding a town is
``municipality``. ``scripts/rename_town_slug.py`` made the rename; these tests keep the old names from coming back."""

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

from django.urls import URLResolver, get_resolver, resolve, reverse

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"scripts/rename_town_slug.py", "tests/test_rename_town_slug.py", "tests/test_naming.py"}


def _script():
    spec = importlib.util.spec_from_file_location(
        "rename_town_slug", ROOT / "scripts" / "rename_town_slug.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _routes(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        else:
            yield route


def _tracked(*patterns):
    out = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True)
    return sorted(out.stdout.split())


def _python_files():
    for relative in _tracked("*.py"):
        if "/migrations/" in relative or relative in SKIP:
            continue
        yield relative, ast.parse((ROOT / relative).read_text(encoding="utf-8"))


def test_no_route_has_a_town_parameter_and_every_town_page_takes_town_slug():
    routes = list(_routes(get_resolver().url_patterns))
    assert [r for r in routes if re.search(r"<(\w+:)?town>", r)] == []
    town_routes = [r for r in routes if r.startswith("<slug:town_slug>/")]
    assert len(town_routes) > 100, "the town pages are under <slug:town_slug>/"
    match = resolve("/arnsberg/verwaltung/")
    assert match.kwargs == {"town_slug": "arnsberg"}
    assert reverse("municipalities:home", kwargs={"town_slug": "soest"}) == "/soest/"


def test_no_view_takes_town_and_no_municipality_is_called_town():
    """A view's URL parameter is ``town_slug``; a parameter annotated ``Municipality`` is ``municipality``."""
    offenders = []
    for relative, tree in _python_files():
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            names = [a.arg for a in args]
            for arg in args:
                if arg.arg != "town":
                    continue
                annotation = ast.unparse(arg.annotation) if arg.annotation else ""
                if "request" in names[:2] or re.search(r"\bMunicipality\b", annotation):
                    offenders.append(f"{relative}:{node.lineno} {node.name}")
    assert offenders == []


def test_no_reverse_or_redirect_passes_town():
    offenders = []
    for relative, tree in _python_files():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in {"reverse", "reverse_lazy", "redirect", "resolve_url"}:
                continue
            for kw in node.keywords:
                if kw.arg == "town" or (
                    kw.arg == "kwargs"
                    and isinstance(kw.value, ast.Dict)
                    and any(isinstance(k, ast.Constant) and k.value == "town" for k in kw.value.keys)
                ):
                    offenders.append(f"{relative}:{node.lineno}")
    assert offenders == []


def test_no_template_passes_town_to_url():
    offenders = []
    for relative in _tracked("*templates/*"):
        text = (ROOT / relative).read_text(encoding="utf-8", errors="replace")
        for tag in re.findall(r"\{%-?\s*url\s[^%]*?%\}", text):
            if re.search(r"\stown=", tag):
                offenders.append(f"{relative}: {tag}")
    assert offenders == []


def test_the_rename_script_finds_nothing_left_to_rename():
    """Run ``python scripts/rename_town_slug.py`` when this fails (it prints what it changed)."""
    new_texts, report = _script().plan(ROOT)
    assert sorted(new_texts) == [], "\n".join(f"{f}: {report.changes.get(f)}" for f in sorted(new_texts))
