"""Rename the town's URL parameter ``town`` to ``town_slug`` and variables holding a ``Municipality`` named
``town`` to ``municipality`` (issue 17, item 7) — deterministic, idempotent, re-runnable on any tree.

    python scripts/rename_town_slug.py            # rewrite the tree, print a summary, run ruff format on changed files
    python scripts/rename_town_slug.py --check    # change nothing; exit 1 if anything would change
    python scripts/rename_town_slug.py --root DIR --no-format

What it rewrites (Python through ``ast`` positions, templates through regexes limited to template tags):

* URL routes: ``<slug:town>`` (and ``<str:town>``) in any string → ``<slug:town_slug>``.
* The URL kwargs: ``X.kwargs["town"]``, ``X.kwargs.get("town")``, ``"town" in X.kwargs`` (the middleware, tests'
  ``resolver_match``), ``X.converters["town"]``, and comparisons with ``"town"`` in a comprehension over
  ``X.converters``.
* ``reverse``/``reverse_lazy``/``redirect``/``resolve_url``: the key ``"town"`` of a literal ``kwargs={…}`` dict,
  ``kwargs=dict(town=…)``, and a ``town=`` keyword.
* Views (a function whose first parameter, after ``self``/``cls``, is ``request``) with a parameter ``town`` that
  is unannotated or ``str``: the parameter becomes ``town_slug`` and its uses follow; a view that rebinds ``town``
  at its top level (``town = request.municipality``) calls the object ``municipality`` from there on.
* Parameters ``town`` annotated with ``Municipality`` (or unannotated but read as ``town.slug``/``.pk``/…) →
  ``municipality``, with the keyword ``town=`` at every call of a function of that name (only where every
  definition of that name is renamed; otherwise the name is listed for hand work).
* Local variables ``town`` that only ever hold a Municipality (``request.municipality``, ``x.municipality``,
  ``getattr(x, "municipality", None)``, ``context["municipality"]``, ``resolve_town(…)``,
  ``Municipality.objects…``) → ``municipality``.
* ``fragments.render("…", town=….slug)`` → ``town_slug=``, and in that template ``{{ town }}`` and the bare
  ``town`` value of ``{% url %}``.
* Templates: ``{% url … town=… %}`` → ``town_slug=…`` (only inside ``{% url %}`` tags; ``blocktranslate``'s
  ``town=`` is text and stays).
* A few exact sentences of docs/ARCHITECTURE.md and one test helper (``TARGETED`` below).

Never renamed: dict keys and field names of the public API, exports, message placeholders (``%(town)s``), query
parameters, attributes, and anything a function could not be renamed in safely — those are printed as
"left for hand work". A rename to ``municipality`` is skipped where the scope already uses that name.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

OLD = "town"
SLUG = "town_slug"
OBJ = "municipality"

REVERSERS = {"reverse", "reverse_lazy", "redirect", "resolve_url"}
#: Attributes of a Municipality: a parameter ``town`` read as ``town.<one of these>`` holds the object.
MUNICIPALITY_ATTRS = {
    "slug",
    "pk",
    "id",
    "name",
    "official_name",
    "consortium",
    "consortium_id",
    "content_version",
    "is_active",
    "get_absolute_url",
}
#: Files the script never touches: itself, its tests and the guard test (they spell the old names on purpose),
#: and migrations (history).
SELF = {"scripts/rename_town_slug.py", "tests/test_rename_town_slug.py", "tests/test_naming.py"}
#: Where variables holding a Municipality are not renamed (load-generating tools and the seed, which call their
#: own town records ``town`` too); their URL parameters are still renamed.
NO_OBJECT_RENAME = ("bench/", "sampledata/seed/", "scripts/")

#: Exact rewrites that no rule covers: (path, old, new). Applied where ``old`` occurs; reported when neither
#: ``old`` nor ``new`` is found.
TARGETED: list[tuple[str, str, str]] = [
    (
        "tests/security/test_tenant_matrix.py",
        'given, values = values, {"town": ',
        'given, values = values, {"town_slug": ',
    ),
    # The API's routes have had a ``town_slug`` parameter all along: the middleware takes the town pages by their
    # route, or it would answer the API's unknown towns with its HTML 404 and enter a second scope.
    (
        "municipalities/middleware.py",
        '        if "town_slug" in match.kwargs:\n',
        "        # Town pages only: the API (/api/v1/towns/<town_slug>/…) enters its scope itself (api.base).\n"
        '        if match.route.startswith("<slug:town_slug>/"):\n',
    ),
    (
        "docs/ARCHITECTURE.md",
        "If the route has a `town` parameter\n(`/<town>/…`), it loads",
        "If the route lies under `<slug:town_slug>/`\n(`/<town_slug>/…`), it loads",
    ),
    (
        "docs/ARCHITECTURE.md",
        "URLs run **without any scope**.\n",
        "URLs run **without any scope**. Names: the URL parameter is `town_slug` (`<slug:town_slug>`, views,\n"
        "`reverse`, `{% url %}`), an object holding a town is `municipality` (`tests/test_naming.py`).\n",
    ),
]

_ROUTE = re.compile(r"<(slug|str):town>")


@dataclass
class Report:
    changes: dict[str, list[str]] = field(default_factory=dict)
    hand: list[str] = field(default_factory=list)

    def add(self, path: str, what: str) -> None:
        self.changes.setdefault(path, []).append(what)


# --- Python ------------------------------------------------------------------------------------------------


class Source:
    """A file's text with edits at ast positions (line numbers, UTF-8 byte columns)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        self.edits: dict[int, tuple[int, str, str]] = {}

    def offset(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1]
        return self.starts[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8"))

    def replace_at(self, lineno: int, col: int, old: str, new: str) -> bool:
        start = self.offset(lineno, col)
        if self.text[start : start + len(old)] != old:
            return False
        self.edits[start] = (start + len(old), new, old)
        return True

    def result(self) -> str:
        out, last = [], 0
        for start in sorted(self.edits):
            end, new, _old = self.edits[start]
            out.append(self.text[last:start])
            out.append(new)
            last = end
        out.append(self.text[last:])
        return "".join(out)


def _func_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _is_town_const(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value == OLD


def _attr_is(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == name


def _const_rename(src: Source, node: ast.AST | None) -> bool:
    if not _is_town_const(node):
        return False
    assert isinstance(node, ast.Constant)
    start = src.offset(node.lineno, node.col_offset)
    quote = src.text[start]
    if quote not in "'\"":
        return False
    return src.replace_at(node.lineno, node.col_offset, f"{quote}{OLD}{quote}", f"{quote}{SLUG}{quote}")


def _keyword_rename(src: Source, kw: ast.keyword, new: str) -> bool:
    return src.replace_at(kw.lineno, kw.col_offset, f"{OLD}=", f"{new}=")


def _all_args(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[ast.arg]:
    a = fn.args
    out = [*a.posonlyargs, *a.args, *a.kwonlyargs]
    if a.vararg:
        out.append(a.vararg)
    if a.kwarg:
        out.append(a.kwarg)
    return out


def _is_view(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    names = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
    if names[:1] == ["request"]:
        return True
    return names[:1] in (["self"], ["cls"]) and names[1:2] == ["request"]


_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def _binds_town(scope: ast.AST) -> bool:
    """Whether a nested scope binds its own ``town`` (parameter, comprehension target, assignment)."""
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and any(
        a.arg == OLD for a in _all_args(scope)
    ):
        return True
    if isinstance(scope, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        for gen in scope.generators:
            if any(isinstance(n, ast.Name) and n.id == OLD for n in ast.walk(gen.target)):
                return True
        return False
    body = scope.body if isinstance(scope.body, list) else [scope.body]  # type: ignore[attr-defined]
    for stmt in body:
        for node in _walk_scope(stmt):
            if isinstance(node, ast.Name) and node.id == OLD and isinstance(node.ctx, ast.Store):
                return True
    return False


def _walk_scope(node: ast.AST):
    """Nodes of ``node`` without descending into nested function scopes (comprehensions included)."""
    yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, _SCOPES):
            continue
        yield from _walk_scope(child)


@dataclass
class ScopeInfo:
    names: list[ast.Name]  # every Name ``town`` of the function, nested scopes included
    nested_binding: bool  # a nested scope binds its own ``town``
    other_names: set[str]  # every other Name/arg name in the function
    has_global: bool


def _scope_info(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> ScopeInfo:
    names: list[ast.Name] = []
    nested = False
    other: set[str] = set()
    has_global = False
    for node in ast.walk(fn):
        if node is not fn and isinstance(node, _SCOPES) and _binds_town(node):
            nested = True
        if isinstance(node, ast.Name):
            if node.id == OLD:
                names.append(node)
            else:
                other.add(node.id)
        elif isinstance(node, ast.arg):
            if node.arg != OLD:
                other.add(node.arg)
        elif isinstance(node, (ast.Global, ast.Nonlocal)) and OLD in node.names:
            has_global = True
    return ScopeInfo(names, nested, other, has_global)


def _holds_municipality(value: ast.AST) -> bool:
    """An expression that evaluates to a Municipality (by its shape)."""
    if _attr_is(value, "municipality") or (isinstance(value, ast.Name) and value.id == OBJ):
        return True
    if (
        isinstance(value, ast.Subscript)
        and isinstance(value.slice, ast.Constant)
        and value.slice.value == OBJ
    ):
        return True  # context["municipality"]
    if isinstance(value, ast.Call):
        name = _func_name(value)
        if name == "getattr" and len(value.args) >= 2 and isinstance(value.args[1], ast.Constant):
            return value.args[1].value == OBJ  # getattr(request, "municipality", None)
        if name in ("resolve_town", "municipality_get", "lead_town"):
            return True
        # Municipality.objects….get()/first()/last(), get_object_or_404(Municipality, …)
        if name == "get_object_or_404":
            first = value.args[0] if value.args else None
            return isinstance(first, ast.Name) and first.id == "Municipality"
        if name in ("get", "first", "last"):
            base: ast.AST = value.func
            while isinstance(base, (ast.Attribute, ast.Call)):
                base = base.func if isinstance(base, ast.Call) else base.value
            return isinstance(base, ast.Name) and base.id == "Municipality"
    return False


def _passed_as_municipality(fn: ast.AST, names: list[ast.Name]) -> bool:
    """``town`` given as ``municipality=town`` or to ``town_scope(town)``: it holds a Municipality."""
    ids = {id(n) for n in names}
    for node in ast.walk(fn):
        if isinstance(node, ast.keyword) and node.arg == OBJ and id(node.value) in ids:
            return True
        if (
            isinstance(node, ast.Call)
            and _func_name(node) == "town_scope"
            and node.args
            and id(node.args[0]) in ids
        ):
            return True
    return False


def _attributes_read(fn: ast.AST, names: list[ast.Name]) -> set[str]:
    ids = {id(n) for n in names}
    return {
        node.attr
        for node in ast.walk(fn)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and id(node.value) in ids
    }


class PythonFile:
    def __init__(self, path: str, text: str, report: Report) -> None:
        self.path = path
        self.src = Source(text)
        self.tree = ast.parse(text)
        self.report = report
        self.notes: list[str] = []

    def _note(self, what: str) -> None:
        self.notes.append(what)

    def _hand(self, node: ast.AST, what: str) -> None:
        self.report.hand.append(f"{self.path}:{getattr(node, 'lineno', '?')}: {what}")

    # URL kwargs ----------------------------------------------------------------------------------------------

    def url_kwargs(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                name = _func_name(node)
                if name in REVERSERS:
                    for kw in node.keywords:
                        if kw.arg == "kwargs":
                            self._kwargs_value(kw.value, name)
                        elif (
                            kw.arg == OLD
                            and name in ("redirect", "resolve_url")
                            and _keyword_rename(self.src, kw, SLUG)
                        ):
                            self._note(f"{name}(town=) → town_slug=")
                # X.kwargs.get("town") / pop
                if (
                    isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("get", "pop", "setdefault")
                    and _attr_is(node.func.value, "kwargs")
                    and node.args
                    and _const_rename(self.src, node.args[0])
                ):
                    self._note('kwargs.get("town") → "town_slug"')
            elif (
                isinstance(node, ast.Subscript)
                and (_attr_is(node.value, "kwargs") or _attr_is(node.value, "converters"))
                and _const_rename(self.src, node.slice)
            ):
                self._note('.kwargs["town"] → "town_slug"')
            elif (
                isinstance(node, ast.Compare)
                and len(node.ops) == 1
                and isinstance(node.ops[0], (ast.In, ast.NotIn))
                and (_attr_is(node.comparators[0], "kwargs") or _attr_is(node.comparators[0], "converters"))
                and _const_rename(self.src, node.left)
            ):
                self._note('"town" in ….kwargs → "town_slug"')
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
                over_converters = any(_attr_is(g.iter, "converters") for g in node.generators)
                if over_converters:
                    for cond in (c for g in node.generators for c in g.ifs):
                        for sub in ast.walk(cond):
                            if isinstance(sub, ast.Compare):
                                for operand in [sub.left, *sub.comparators]:
                                    if _const_rename(self.src, operand):
                                        self._note('comparison with "town" over ….converters → "town_slug"')

    def _kwargs_value(self, value: ast.AST, name: str) -> None:
        if isinstance(value, ast.Dict):
            for key in value.keys:
                if _const_rename(self.src, key):
                    self._note(f'{name}(kwargs={{"town": …}}) → "town_slug"')
        elif isinstance(value, ast.Call) and _func_name(value) == "dict":
            for kw in value.keywords:
                if kw.arg == OLD and _keyword_rename(self.src, kw, SLUG):
                    self._note(f"{name}(kwargs=dict(town=…)) → town_slug=")

    def fragments(self) -> set[str]:
        """``fragments.render("template", town=….slug)``: the keyword → ``town_slug``; the templates returned."""
        templates: set[str] = set()
        for node in ast.walk(self.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "render"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "fragments"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                for kw in node.keywords:
                    if kw.arg == OLD and _attr_is(kw.value, "slug") and _keyword_rename(self.src, kw, SLUG):
                        templates.add(node.args[0].value)
                        self._note(f"fragments.render({node.args[0].value!r}, town=) → town_slug=")
        return templates

    # Functions -----------------------------------------------------------------------------------------------

    def functions(self) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        return [
            n
            for n in ast.walk(self.tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and any(a.arg == OLD for a in _all_args(n))
        ]

    def classify(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        """``view`` (the URL parameter: a slug), ``object`` (a Municipality), or ``other``."""
        arg = next(a for a in _all_args(fn) if a.arg == OLD)
        annotation = ast.unparse(arg.annotation) if arg.annotation else ""
        if _is_view(fn) and annotation in ("", "str"):
            return "view"
        if re.search(r"\bMunicipality\b", annotation):
            return "object"
        if not annotation and not self.path.startswith(NO_OBJECT_RENAME):
            info = _scope_info(fn)
            if _attributes_read(fn, info.names) & MUNICIPALITY_ATTRS or _passed_as_municipality(
                fn, info.names
            ):
                return "object"
        return "other"

    def rename_view(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        info = _scope_info(fn)
        if info.nested_binding or info.has_global:
            self._hand(fn, f"view {fn.name}: a nested scope binds `town`; rename its parameter by hand")
            return
        stores = [n for n in info.names if isinstance(n.ctx, ast.Store)]
        first_store = None
        if stores:
            first = min(stores, key=lambda n: (n.lineno, n.col_offset))
            top = [s for s in fn.body if isinstance(s, ast.Assign) and any(t is first for t in s.targets)]
            if not top or len(top[0].targets) != 1 or OBJ in info.other_names:
                self._hand(fn, f"view {fn.name}: rebinds `town` in a way the script does not rename")
                return
            first_store = top[0]
        arg = next(a for a in _all_args(fn) if a.arg == OLD)
        edits: list[tuple[int, int, str]] = [(arg.lineno, arg.col_offset, SLUG)]
        for name in info.names:
            before = first_store is None or (name.lineno, name.col_offset) < (
                first_store.targets[0].lineno,
                first_store.targets[0].col_offset,
            )
            # The right-hand side of the first assignment still reads the parameter.
            if first_store is not None and _inside(name, first_store.value):
                before = True
            edits.append((name.lineno, name.col_offset, SLUG if before else OBJ))
        if all(self.src.replace_at(line, col, OLD, new) for line, col, new in edits):
            self._note(
                f"view {fn.name}: parameter town → town_slug" + (", object → municipality" if stores else "")
            )
        else:
            self._hand(fn, f"view {fn.name}: positions did not match the text")

    def rename_object_param(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        info = _scope_info(fn)
        if info.nested_binding or info.has_global or OBJ in info.other_names:
            self._hand(
                fn, f"{fn.name}: parameter `town` (a Municipality) kept: `municipality` is taken or rebound"
            )
            return False
        arg = next(a for a in _all_args(fn) if a.arg == OLD)
        edits = [(arg.lineno, arg.col_offset)] + [(n.lineno, n.col_offset) for n in info.names]
        if all(self.src.replace_at(line, col, OLD, OBJ) for line, col in edits):
            self._note(f"{fn.name}: parameter town → municipality")
            self._docstring(fn)
            return True
        self._hand(fn, f"{fn.name}: positions did not match the text")
        return False

    def _docstring(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """``town`` in the docstring of a function whose parameter became ``municipality``."""
        first = fn.body[0] if fn.body else None
        if not (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            return
        node = first.value
        start = self.src.offset(node.lineno, node.col_offset)
        end = self.src.offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
        old = self.src.text[start:end]
        new = old.replace(f"``{OLD}``", f"``{OBJ}``")
        if new != old:
            self.src.edits[start] = (end, new, old)

    def rename_keywords(self, names: set[str]) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and _func_name(node) in names:
                for kw in node.keywords:
                    if kw.arg == OLD and _keyword_rename(self.src, kw, OBJ):
                        self._note(f"{_func_name(node)}(town=) → municipality=")

    def rename_locals(self, handled: set[int]) -> None:
        """Functions without a ``town`` parameter whose ``town`` only ever holds a Municipality."""
        if self.path.startswith(NO_OBJECT_RENAME):
            return
        for fn in ast.walk(self.tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or id(fn) in handled:
                continue
            if any(a.arg == OLD for a in _all_args(fn)):
                continue
            own = [
                n for stmt in fn.body for n in _walk_scope(stmt) if isinstance(n, ast.Name) and n.id == OLD
            ]
            stores = [n for n in own if isinstance(n.ctx, ast.Store)]
            if not stores:
                continue
            info = _scope_info(fn)
            if info.nested_binding or info.has_global:
                self._hand(fn, f"{fn.name}: local `town` in nested scopes; not renamed")
                continue
            values = []
            for stmt in (n for s in fn.body for n in _walk_scope(s)):
                if isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == OLD for t in stmt.targets
                ):
                    values.append(stmt.value if len(stmt.targets) == 1 else None)
                elif isinstance(
                    stmt, (ast.For, ast.AsyncFor, ast.With, ast.AugAssign, ast.AnnAssign, ast.NamedExpr)
                ):
                    target = getattr(stmt, "target", None)
                    if target is not None and any(
                        isinstance(n, ast.Name) and n.id == OLD for n in ast.walk(target)
                    ):
                        values.append(None)
                elif isinstance(stmt, ast.Assign):
                    for t in stmt.targets:
                        if not isinstance(t, ast.Name) and any(
                            isinstance(n, ast.Name) and n.id == OLD for n in ast.walk(t)
                        ):
                            values.append(None)
            if len(values) < len(stores) or not all(v is not None and _holds_municipality(v) for v in values):
                continue  # not provably a Municipality: left alone
            if OBJ in info.other_names:
                self._hand(fn, f"{fn.name}: local `town` holds a Municipality but `municipality` is taken")
                continue
            if all(self.src.replace_at(n.lineno, n.col_offset, OLD, OBJ) for n in info.names):
                self._note(f"{fn.name}: local town → municipality")
            else:
                self._hand(fn, f"{fn.name}: positions did not match the text")


def _inside(node: ast.AST, container: ast.AST) -> bool:
    return any(n is node for n in ast.walk(container))


# --- Templates ---------------------------------------------------------------------------------------------

_URL_TAG = re.compile(r"\{%-?\s*url\s[^%]*?%\}")
_VAR = re.compile(r"\{\{[^}]*\}\}")
_BLOCKTRANS = re.compile(r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S)


def rewrite_template(text: str, fragment: bool) -> tuple[str, list[str]]:
    notes: list[str] = []
    protected = [(m.start(), m.end()) for m in _BLOCKTRANS.finditer(text)]

    def is_protected(pos: int) -> bool:
        return any(a <= pos < b for a, b in protected)

    def url(m: re.Match) -> str:
        tag = m.group(0)
        new = re.sub(r"(?<=\s)town=", f"{SLUG}=", tag)
        if fragment:
            new = re.sub(r"=town(?=[\s|%])", f"={SLUG}", new)
        if new != tag:
            notes.append("{% url … town=… %} → town_slug=")
        return new

    def var(m: re.Match) -> str:
        if not fragment or is_protected(m.start()):
            return m.group(0)
        new = re.sub(r"(?<![\w.])town(?![\w])", SLUG, m.group(0))
        if new != m.group(0):
            notes.append("{{ town }} (a slug) → town_slug")
        return new

    text = _URL_TAG.sub(url, text)
    text = _VAR.sub(var, text)
    return text, notes


# --- Driver ------------------------------------------------------------------------------------------------


def _files(root: Path) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    return sorted(out)


def plan(root: Path) -> tuple[dict[str, str], Report]:
    """The new text of every file that changes, and the report. Changes nothing on disk."""
    report = Report()
    files = _files(root)
    py = [f for f in files if f.endswith(".py") and f not in SELF and "/migrations/" not in f]
    texts = {f: (root / f).read_text(encoding="utf-8") for f in py if (root / f).exists()}
    parsed: dict[str, PythonFile] = {}
    for f, text in texts.items():
        try:
            parsed[f] = PythonFile(f, _ROUTE.sub(r"<\1:town_slug>", text), report)
        except SyntaxError:
            report.hand.append(f"{f}: not parsed")
            continue
        if _ROUTE.search(text):
            parsed[f].notes.append("<slug:town> → <slug:town_slug>")

    # Which functions get which rename; a name is only renamed at call sites when all its definitions agree.
    kinds: dict[str, set[str]] = {}
    per_file: dict[str, list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]]] = {}
    for f, pf in parsed.items():
        for fn in pf.functions():
            kind = pf.classify(fn)
            per_file.setdefault(f, []).append((fn, kind))
            kinds.setdefault(fn.name, set()).add(kind)
    ambiguous = {name for name, k in kinds.items() if len(k) > 1 and "object" in k}
    for name in sorted(ambiguous):
        report.hand.append(
            f"functions named {name!r}: some take a Municipality `town`, some not; left as they are"
        )

    renamed: set[str] = set()
    handled: dict[str, set[int]] = {}
    for f, items in per_file.items():
        pf = parsed[f]
        for fn, kind in items:
            handled.setdefault(f, set()).add(id(fn))
            if kind == "view":
                pf.rename_view(fn)
            elif kind == "object" and fn.name not in ambiguous:
                if pf.rename_object_param(fn):
                    renamed.add(fn.name)
            elif kind == "other" and not f.startswith(NO_OBJECT_RENAME):
                pf._hand(
                    fn, f"{fn.name}: parameter `town` kept (not known to hold a Municipality, or not a view)"
                )
    blocked = {name for name, k in kinds.items() if "object" in k} - renamed
    renamed -= blocked

    templates: set[str] = set()
    for f, pf in parsed.items():
        pf.url_kwargs()
        templates |= pf.fragments()
        if renamed:
            pf.rename_keywords(renamed)
        pf.rename_locals(handled.get(f, set()))

    new_texts: dict[str, str] = {}
    for f, pf in parsed.items():
        result = pf.src.result()
        if result != texts[f]:
            new_texts[f] = result
            for note in pf.notes:
                report.add(f, note)

    for f in files:
        if not (f.endswith((".html", ".txt", ".xml")) and ("templates/" in f)):
            continue
        path = root / f
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        fragment = any(f.endswith("templates/" + t) for t in templates)
        new, notes = rewrite_template(text, fragment)
        if new != text:
            new_texts[f] = new
            for note in notes:
                report.add(f, note)

    for f, old, new in TARGETED:
        path = root / f
        text = new_texts.get(f) or (path.read_text(encoding="utf-8") if path.exists() else "")
        if new in text:
            continue
        if old in text:
            new_texts[f] = text.replace(old, new)
            report.add(f, "targeted rewrite")
        else:
            report.hand.append(f"{f}: targeted rewrite not applied (text changed): {old[:60]!r}")

    return new_texts, report


def _summary(report: Report) -> str:
    lines = []
    total = 0
    for f in sorted(report.changes):
        counts: dict[str, int] = {}
        for what in report.changes[f]:
            counts[what] = counts.get(what, 0) + 1
        total += len(report.changes[f])
        lines.append(f"{f}: {len(report.changes[f])} change(s)")
        lines.extend(f"    {n} × {what}" for what, n in sorted(counts.items()))
    lines.append(f"{len(report.changes)} file(s), {total} change(s)")
    if report.hand:
        lines.append("Left for hand work:")
        lines.extend(f"    {h}" for h in sorted(set(report.hand)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if anything would change"
    )
    parser.add_argument("--no-format", action="store_true", help="do not run ruff format on changed files")
    args = parser.parse_args(argv)
    root = Path(args.root)
    new_texts, report = plan(root)
    print(_summary(report))
    if args.check:
        return 1 if new_texts else 0
    for f, text in new_texts.items():
        (root / f).write_text(text, encoding="utf-8")
    changed_py = [f for f in new_texts if f.endswith(".py")]
    if changed_py and not args.no_format:
        ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
        if ruff:
            subprocess.run([ruff, "format", "--quiet", *changed_py], cwd=root, check=True)
        else:
            print("ruff not found: run `ruff format` on the changed files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
