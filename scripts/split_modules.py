"""Split large modules by concern, deterministically and re-runnably (issue 17, item 6).

    python scripts/split_modules.py            # split and rewrite every reference, then ruff --fix / format
    python scripts/split_modules.py --check    # say what would be done; exit 1 if anything would change

The split is data (SPLITS below): for each source module, every top-level definition (function, class, constant,
type variable, private helper) is assigned to a target module. The script

* reads the source with ``ast`` and writes each target with the definitions assigned to it, in their original
  order with the comments above them, and only the imports they use (the source's own import lines, cut down to
  the names used, relative imports made absolute; definitions of a sibling target are imported from it);
* fails with a clear list when a top-level name of the source is not in the spec (a function another branch
  added: add it to the spec), when the spec names something the source no longer defines, and when the targets
  would import each other in a cycle;
* rewrites every reference to a moved name across the tree: ``from S import name``, ``from pkg import S`` with
  ``S.name`` (the module is then imported per target: ``from participation.services import ideas as
  ideas_services``), and dotted mentions ``S.name`` in strings, comments, docstrings and the Markdown documents.
  Migrations are left alone (they refer to models by app label; ``participation.models`` re-exports every name,
  ``_image_path`` included, for the migrations that name it);
* is idempotent: once a source is split (its file is gone), a second run only re-checks the references and
  changes nothing.

Packages whose ``__init__`` re-exports (``reexport=True``) keep their callers as they are: Django finds models
through ``participation.models``. Services and selectors are imported from their submodules instead
(docs/ARCHITECTURE.md, "Apps' inner shape").
"""

from __future__ import annotations

import argparse
import ast
import itertools
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".git", ".venv", "node_modules", "migrations", "__pycache__", ".mypy_cache", "staticfiles"}
TEXT_SUFFIXES = {".md", ".toml", ".txt", ".cfg", ".ini", ".yml", ".yaml", ".html"}
THIS = Path(__file__).resolve()


@dataclass
class Split:
    source: str  # dotted module name, e.g. "participation.services"
    # target module -> (docstring of a new target, or None for an existing module; names moved there)
    targets: dict[str, tuple[str | None, list[str]]]
    reexport: bool = False  # the package's __init__ re-exports every name (callers unchanged)
    # preferred local name for a target module where a caller used ``S.name`` (default: see alias_for)
    aliases: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------------------
# The spec. A name another branch adds to a source module must be added here (the script says which).
# --------------------------------------------------------------------------------------------------------------

SPLITS: list[Split] = [
    Split(
        source="participation.models",
        reexport=True,
        targets={
            "participation.models.processes": (
                "Processes with their settings, phases and partner towns.",
                [
                    "PROCESS_TOWNS",
                    "ModerationMode",
                    "ParticipationSettings",
                    "Phase",
                    "PHASE_ORDER",
                    "INTERACTION_PHASES",
                    "COMMENT_PHASES",
                    "Process",
                    "ProcessPartner",
                    "ProcessPhase",
                ],
            ),
            "participation.models.moderation": (
                "What every moderated contribution shares: its moderation state and the ``visible()`` rule.",
                ["Moderation", "ModeratedQuerySet", "ModeratedManager", "Moderated"],
            ),
            "participation.models.ideas": (
                "Ideas (with place and image) and the town's official answers to them.",
                ["IDEA_TOWNS", "_image_path", "IdeaStatus", "Idea", "OfficialAnswer"],
            ),
            "participation.models.contributions": (
                "Comments, supports and the vote on a shortlist (ballots and their votes).",
                ["Comment", "Support", "Ballot", "Vote"],
            ),
            "participation.models.flags": (
                "Flags: a person reports an idea or a comment to the moderators.",
                ["FlagReason", "ContentFlag"],
            ),
            "participation.models.history": (
                "The history of every decision in a process.",
                ["ParticipationEvent"],
            ),
        },
    ),
    Split(
        source="participation.services",
        targets={
            "participation.services.common": (
                "What the participation services share: the actor, labels, row locks, the rights checks and the "
                "stored versions and counts.",
                [
                    "_M",
                    "RECORDED_TEXT",
                    "Kind",
                    "_actor",
                    "RECOUNTED",
                    "touch_processes",
                    "require_answer_right",
                    "require_moderation_right",
                    "_label",
                    "_locked",
                ],
            ),
            "participation.services.processes": (
                "Processes: settings, creation and change with phases and partner towns.",
                [
                    "PROCESS_FIELDS",
                    "SETTINGS_FIELDS",
                    "RESERVED_PROCESS_SLUGS",
                    "_process_with_phases",
                    "settings_for",
                    "settings_change",
                    "_check_phases",
                    "_phases_snapshot",
                    "_set_phases",
                    "_set_partners",
                    "_process_extra",
                    "process_create",
                    "process_for_change",
                    "process_change",
                    "processes_of_person",
                    "project_status_changed",
                ],
            ),
            "participation.services.ideas": (
                "Ideas: submitted online or entered from paper, linked to a project, shortlisted, retitled.",
                [
                    "IDEA_FIELDS",
                    "_check_place",
                    "_fill_idea",
                    "idea_submit",
                    "idea_enter_offline",
                    "idea_link_project",
                    "idea_set_shortlisted",
                    "idea_edit_title",
                ],
            ),
            "participation.services.answers": (
                "Official answers: the status workflow of an idea with the town's answer.",
                ["idea_answer"],
            ),
            "participation.services.privacy": (
                "Removing what a person wrote, for privacy, with its traces in the history.",
                ["REMOVED_FOR_PRIVACY", "privacy_edit", "_scrub_history"],
            ),
            "participation.services.comments": (
                "Comments and the notifications they send.",
                ["_notification_keys", "_refresh_notifications", "comment_post"],
            ),
            # Modules added after the split (issue 18): nothing moves there, callers already import them.
            "participation.services.budget": (None, []),
            "participation.services.codes": (None, []),
            "participation.services.supports": (
                "Supports of ideas and the stored counts of ideas and processes.",
                [
                    "_support_open",
                    "refresh_counts",
                    "idea_facts_refresh_all",
                    "support_add",
                    "support_withdraw",
                ],
            ),
            "participation.services.flags": (
                "Flags: a person reports an idea or a comment to the moderators.",
                ["_target_town", "_subject", "_target_kwargs", "flag_submit"],
            ),
            "participation.services.moderation": (
                "Moderation: approving and hiding ideas and comments.",
                ["moderation_approve", "moderation_hide", "moderation_act"],
            ),
            "participation.services.ballots": (
                "The vote on a shortlist: casting a ballot and counting them.",
                ["_process_of", "ballot_cast", "ballot_total"],
            ),
        },
    ),
    Split(
        source="projects.selectors",
        targets={
            "projects.selectors.common": (
                "What the projects' reads share: the cache time and the stored version of the region's towns.",
                ["CACHE_SECONDS", "towns_version"],
            ),
            "projects.selectors.progress": (
                "Derived progress and the facts the lists show, computed in SQL and stored on the project.",
                [
                    "_own_progress",
                    "_weighted_mean",
                    "progress_expression",
                    "derived_facts",
                    "projects_with_stale_facts",
                    "with_list_facts",
                    "bundles_with_progress",
                ],
            ),
            "projects.selectors.lists": (
                "Project lists with filters, single projects and what their pages show.",
                [
                    "ProjectFilters",
                    "filter_projects",
                    "_scope_town",
                    "scope_projects",
                    "_TOWN_PROJECT_CHANGES",
                    "public_project_changes",
                    "project_list",
                    "SEARCH_COLUMNS",
                    "_tagged",
                    "_joined",
                    "LIST_ORDER",
                    "project_pages",
                    "region_project_list",
                    "project_get",
                    "project_for",
                    "project_detail_related",
                    "project_updates",
                    "project_indicators",
                    "project_history",
                    "indicator_get",
                    "update_get",
                    "file_get",
                    "parent_choices",
                    "strategy_for",
                    "joint_strategy",
                    "fields_of_action",
                ],
            ),
            "projects.selectors.dashboard": (
                "The staff dashboard's figures: status counts, stale projects, activity in a period, fields.",
                ["status_counts", "stale_projects", "period_activity", "field_counts"],
            ),
            "projects.selectors.similarity": (
                "Similar projects in other towns (full-text search with a word-overlap fallback) and the "
                "catalogue of transferable projects.",
                [
                    "SIMILAR_LIMIT",
                    "SIMILAR_FIELD_WEIGHT",
                    "SIMILAR_TAG_WEIGHT",
                    "SIMILAR_TEXT_WEIGHT",
                    "SIMILAR_TEXT_MIN",
                    "SIMILAR_RANK_SCALE",
                    "SIMILAR_QUERY_WORDS",
                    "SIMILAR_FALLBACK_CANDIDATES",
                    "SIMILAR_SEARCH_CANDIDATES",
                    "_WORD",
                    "_STOP_WORDS",
                    "SimilarProject",
                    "_project_text",
                    "_query_words",
                    "_stem",
                    "_stems",
                    "_other_towns_candidates",
                    "_shared_count",
                    "similar_projects",
                    "_similar_projects",
                    "_similar_by_search",
                    "_similar_by_word_overlap",
                    "CatalogueFilters",
                    "TRANSFERABLE",
                    "transfer_catalogue",
                ],
            ),
        },
    ),
    Split(
        source="participation.selectors",
        targets={
            "participation.selectors.facts": (
                "The stored facts of ideas and processes (counts, latest answer) and how each is derived.",
                [
                    "_count",
                    "SHOWN_COMMENTS",
                    "count_expressions",
                    "answered_at",
                    "answered",
                    "idea_facts",
                    "ideas_with_stale_facts",
                    "_published_idea_count",
                    "shown_idea_count",
                ],
            ),
            "participation.selectors.processes": (
                "Processes: lists, choices, single processes, their phases, history and the scope's freshness.",
                [
                    "_phases",
                    "with_phases",
                    "process_list",
                    "ScopeFreshness",
                    "_FRESHNESS_FIELDS",
                    "_scope_processes",
                    "scope_freshness",
                    "process_choices",
                    "running_processes",
                    "process_get",
                    "process_for",
                    "published_process_ids",
                    "process_history",
                ],
            ),
            "participation.selectors.ideas": (
                "Idea lists with filters, sorts and pages, and single ideas as a person may see them.",
                [
                    "SORTS",
                    "IdeaFilters",
                    "SEARCH_COLUMNS",
                    "filter_ideas",
                    "idea_list",
                    "SORT_KEYS",
                    "_EPOCH",
                    "_MICROSECOND",
                    "IdeaPages",
                    "CARD_FIELDS",
                    "idea_cards",
                    "is_unfiltered",
                    "stored_total",
                    "staff_idea_list",
                    "idea_get",
                    "idea_for",
                    "ideas_for_project",
                    "idea_history",
                ],
            ),
            "participation.selectors.idea_page": (
                "What an idea's page shows besides the idea: comments, the viewer's state, merge and project "
                "choices.",
                [
                    "comment_parent",
                    "comments_of",
                    "STAFF_WAITING_SHOWN",
                    "STAFF_LATEST_SHOWN",
                    "STAFF_COMMENTS_PER_PAGE",
                    "StaffComments",
                    "staff_comments",
                    "_IDEA_ID",
                    "_USER_ID",
                    "_viewer_state",
                    "idea_page_related",
                    "merge_candidates",
                    "MERGE_CHOICES_SHOWN",
                    "merge_choices",
                    "project_choices",
                    "PROJECT_CHOICES_SHOWN",
                    "project_link_choices",
                ],
            ),
            "participation.selectors.moderation": (
                "What waits for the moderators, and what a visitor may report to them.",
                [
                    "flag_target_idea",
                    "flag_target_comment",
                    "moderation_comment",
                    "_flag_count",
                    "_AnyOf",
                    "waiting_for_moderation",
                    "_owning_towns",
                    "moderation_queue",
                    "moderation_count",
                ],
            ),
            "participation.selectors.ballots": (
                "The vote on a shortlist or a participatory budget: what is on the ballot, a person's votes, paper "
                "ballots, the results and a budget's winners; the voting codes ordered for a process.",
                [
                    "shortlist",
                    "ballot_ideas",
                    "ballot_votes",
                    "paper_ballot_count",
                    "BUDGET_RULE",
                    "budget_winners",
                    "votes_of_the_idea",
                    "vote_results",
                    "voting_code_batches",
                ],
            ),
            "participation.selectors.people": (
                "A person's own contributions in every town.",
                ["user_contributions"],
            ),
            "participation.selectors.figures": (
                "The participation figures of a town in a period (the quarterly review's and the reports').",
                ["period_figures"],
            ),
        },
    ),
    # One API module per domain: the read serializers and views of projects and participation leave the mixed
    # api/serializers.py and api/views.py.
    Split(
        source="api.serializers",
        targets={
            "api.towns": (
                "The towns through the API (read only), and the JSON 404 under /api/.",
                ["TownSerializer"],
            ),
            "api.projects": (
                "Projects through the API (read only): fields of action, lists, details, updates and indicators.",
                [
                    "ProjectSerializer",
                    "ProjectDetailSerializer",
                    "FieldOfActionSerializer",
                    "ProgressUpdateSerializer",
                    "MeasurementSerializer",
                    "IndicatorSerializer",
                ],
            ),
            "api.participation": (
                None,
                ["PhaseSerializer", "ProcessSerializer", "IdeaImageSerializer", "IdeaSerializer"],
            ),
            "api.schema": (None, ["ErrorSerializer", "FieldErrorsSerializer"]),
        },
    ),
    Split(
        source="api.views",
        targets={
            "api.towns": (None, ["TownList", "not_found"]),
            "api.projects": (
                None,
                [
                    "FieldOfActionList",
                    "ProjectList",
                    "_project",
                    "ProjectDetail",
                    "ProjectUpdates",
                    "ProjectIndicators",
                ],
            ),
            "api.participation": (None, ["ProcessList", "IdeaList", "IdeaDetail"]),
        },
    ),
]


class SplitError(Exception):
    pass


# --------------------------------------------------------------------------------------------------------------
# Paths and modules
# --------------------------------------------------------------------------------------------------------------


def module_path(module: str) -> Path:
    return ROOT.joinpath(*module.split(".")).with_suffix(".py")


def package_init(module: str) -> Path:
    return ROOT.joinpath(*module.split("."), "__init__.py")


def existing_path(module: str) -> Path | None:
    for path in (module_path(module), package_init(module)):
        if path.exists():
            return path
    return None


def module_of(path: Path) -> tuple[str, str]:
    """(module name, package the relative imports start from)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


def resolve(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".") if package else []
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def tree_files(suffixes: set[str]) -> list[Path]:
    found = []
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT).parts
        if SKIP_DIRS.intersection(rel) or not path.is_file() or path.suffix not in suffixes:
            continue
        if path.resolve() == THIS:
            continue
        found.append(path)
    return found


# --------------------------------------------------------------------------------------------------------------
# Reading a source module
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Definition:
    names: list[str]
    node: ast.stmt
    text: str  # the statement's lines with the comments above it
    uses: set[str]
    first_line: int = 0  # line number of the statement's first line (decorators included) in the source
    prefix_lines: int = 0  # comment lines above it in ``text``

    def rewritten(self, selves: set[str], renames: dict[str, str], package: str) -> Definition:
        """This definition as its new module needs it, in one pass over the original positions:

        * ``self.name`` becomes ``name`` for each local name in ``selves`` (the module the text moves into);
        * the names in ``renames`` are written as the new module already calls them;
        * relative imports inside functions become absolute (``package`` is the source's), since the new module
          may sit one level deeper."""
        lines = self.text.split("\n")
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line.encode()) + 1)
        raw = self.text.encode()

        def at(lineno: int, col: int) -> int:
            return offsets[lineno - self.first_line + self.prefix_lines] + col

        spots: list[tuple[int, int, str]] = []
        for n in ast.walk(self.node):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in selves:
                spots.append(
                    (at(n.lineno, n.col_offset), at(n.end_lineno or n.lineno, n.end_col_offset or 0), n.attr)
                )
            elif isinstance(n, ast.Name) and n.id in renames:
                spots.append(
                    (
                        at(n.lineno, n.col_offset),
                        at(n.end_lineno or n.lineno, n.end_col_offset or 0),
                        renames[n.id],
                    )
                )
            elif isinstance(n, ast.ImportFrom) and n.level:
                absolute = ast.ImportFrom(module=resolve(n, package), names=n.names, level=0)
                spots.append(
                    (
                        at(n.lineno, n.col_offset),
                        at(n.end_lineno or n.lineno, n.end_col_offset or 0),
                        ast.unparse(absolute),
                    )
                )
        for start, end, new in sorted(spots, reverse=True):
            raw = raw[:start] + new.encode() + raw[end:]
        uses = (self.uses - selves - set(renames)) | {renames[n] for n in self.uses if n in renames}
        return Definition(self.names, self.node, raw.decode(), uses, self.first_line, self.prefix_lines)


@dataclass
class Binding:
    """One name bound by an import of the source: how to import it again."""

    module: str  # absolute module ("" for ``import x``)
    name: str  # imported name (or the dotted module for ``import x``)
    asname: str | None

    def line(self) -> str:
        if not self.module:
            return f"import {self.name}" + (f" as {self.asname}" if self.asname else "")
        return f"from {self.module} import {self.name}" + (f" as {self.asname}" if self.asname else "")


@dataclass
class Source:
    module: str
    path: Path
    docstring: str | None
    future: bool
    bindings: dict[str, Binding]  # local name -> import
    checking: dict[str, Binding]  # names imported under ``if TYPE_CHECKING:``
    definitions: list[Definition]
    package: str  # the package its relative imports start from
    relative: bool  # imports its own package's modules relatively (``from .base import ...``)


def _annotation_names(node: ast.AST) -> set[str]:
    """Names inside string annotations ("Idea", "QuerySet[Idea]")."""
    found: set[str] = set()
    annotations: list[ast.AST] = []
    for child in ast.walk(node):
        if isinstance(child, ast.arg) and child.annotation is not None:
            annotations.append(child.annotation)
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and child.returns is not None:
            annotations.append(child.returns)
        elif isinstance(child, ast.AnnAssign):
            annotations.append(child.annotation)
    for annotation in annotations:
        for sub in ast.walk(annotation):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                try:
                    parsed = ast.parse(sub.value, mode="eval")
                except SyntaxError:
                    continue
                found |= {n.id for n in ast.walk(parsed) if isinstance(n, ast.Name)}
    return found


def _bindings(node: ast.Import | ast.ImportFrom, package: str) -> dict[str, Binding]:
    found = {}
    if isinstance(node, ast.Import):
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            found[local] = Binding("", alias.name, alias.asname)
    else:
        module = resolve(node, package)
        for alias in node.names:
            found[alias.asname or alias.name] = Binding(module, alias.name, alias.asname)
    return found


def _is_type_checking(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING"
    )


def read_source(module: str, path: Path) -> Source:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    tree = ast.parse(text)
    _, package = module_of(path)
    body = list(tree.body)
    docstring = None
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        docstring = ast.get_source_segment(text, body[0])
    bindings: dict[str, Binding] = {}
    checking: dict[str, Binding] = {}
    definitions: list[Definition] = []
    future = False
    unknown: list[str] = []
    previous_end = body[0].end_lineno if docstring else 0
    for node in body[1:] if docstring else body:
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        before = "\n".join(lines[previous_end : start - 1]).strip("\n")
        comments = before if before.strip() else ""
        previous_end = node.end_lineno or node.lineno
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            future = True
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            bindings.update(_bindings(node, package))
            continue
        if isinstance(node, ast.If) and _is_type_checking(node):
            subs = [n for n in node.body if isinstance(n, ast.Import | ast.ImportFrom)]
            if len(subs) == len(node.body) and not node.orelse:
                for sub in subs:
                    checking.update(_bindings(sub, package))
                continue
        names: list[str] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names = [node.name]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                elts = target.elts if isinstance(target, ast.Tuple | ast.List) else [target]
                if not all(isinstance(e, ast.Name) for e in elts):
                    names = []
                    break
                names += [e.id for e in elts]  # type: ignore[attr-defined]
        if not names:
            unknown.append(
                f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node).splitlines()[0][:80]}"
            )
            continue
        if comments and comments.lstrip().startswith(("'", '"')):
            comments = ""
        statement = "\n".join(lines[start - 1 : node.end_lineno])
        uses = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | _annotation_names(node)
        prefix = comments + "\n" if comments else ""
        definitions.append(Definition(names, node, prefix + statement, uses, start, prefix.count("\n")))
    if unknown:
        raise SplitError(
            "top-level statements that are neither imports nor definitions (move them by hand):\n  "
            + "\n  ".join(unknown)
        )
    relative = any(isinstance(n, ast.ImportFrom) and n.level for n in body)
    return Source(module, path, docstring, future, bindings, checking, definitions, package, relative)


# --------------------------------------------------------------------------------------------------------------
# Planning: which target gets what, and what it imports
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Plan:
    split: Split
    source: Source
    target_of: dict[str, str]  # moved name -> target module
    package: bool  # the source becomes a package (its targets are its submodules)


def plan(split: Split, source: Source) -> Plan:
    target_of: dict[str, str] = {}
    doubled = []
    for target, (_, names) in split.targets.items():
        for name in names:
            if name in target_of:
                doubled.append(f"{name} ({target_of[name]} and {target})")
            target_of[name] = target
    defined = [name for d in source.definitions for name in d.names]
    missing = [name for name in defined if name not in target_of]
    stale = sorted(set(target_of) - set(defined))
    problems = []
    if missing:
        problems.append(
            f"{split.source}: top-level names not in the spec (add each to a target in SPLITS):\n    "
            + "\n    ".join(missing)
        )
    if stale:
        problems.append(
            f"{split.source}: the spec names what the module no longer defines:\n    " + "\n    ".join(stale)
        )
    if doubled:
        problems.append(f"{split.source}: names given two targets:\n    " + "\n    ".join(doubled))
    for d in source.definitions:
        if len({target_of.get(n) for n in d.names}) > 1:
            problems.append(f"{split.source}: {', '.join(d.names)} are set together and need one target")
    if problems:
        raise SplitError("\n".join(problems))
    package = any(t.startswith(split.source + ".") for t in split.targets)
    if package and not all(t.startswith(split.source + ".") for t in split.targets):
        raise SplitError(f"{split.source}: targets are either all submodules or all other modules")
    # Cycles between targets.
    edges: dict[str, dict[str, set[str]]] = {t: {} for t in split.targets}
    for d in source.definitions:
        own = target_of[d.names[0]]
        for used in d.uses:
            other = target_of.get(used)
            if other and other != own:
                edges[own].setdefault(other, set()).add(f"{d.names[0]} uses {used}")
    cycle = _find_cycle({t: set(e) for t, e in edges.items()})
    if cycle:
        steps = []
        for a, b in itertools.pairwise(cycle):
            steps.append(f"{a} -> {b}: " + "; ".join(sorted(edges[a][b])))
        raise SplitError(
            f"{split.source}: the targets would import each other in a cycle:\n    " + "\n    ".join(steps)
        )
    return Plan(split, source, target_of, package)


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _import_lines(bindings: list[Binding]) -> list[str]:
    """``from m import a, b`` per module, in the order first seen."""
    grouped: dict[str, list[str]] = {}
    plain = []
    for b in bindings:
        if not b.module:
            plain.append(b.line())
        else:
            grouped.setdefault(b.module, []).append(b.name + (f" as {b.asname}" if b.asname else ""))
    return plain + [f"from {m} import {', '.join(names)}" for m, names in grouped.items()]


def target_contents(
    p: Plan, target: str, renames: dict[str, str] | None = None
) -> tuple[list[Binding], list[Binding], list[Definition]]:
    """(imports, TYPE_CHECKING imports, definitions as the target needs them) of one target; ``renames``: names
    the target already imports under another name."""
    src = p.source
    mine = [d for d in src.definitions if p.target_of[d.names[0]] == target]
    uses = set().union(*(d.uses for d in mine)) if mine else set()
    own = {n for d in mine for n in d.names}
    imports: list[Binding] = []
    for local, binding in src.bindings.items():
        if local in uses and local not in own:
            imports.append(binding)
    for d in src.definitions:
        other = p.target_of[d.names[0]]
        if other != target:
            imports += [Binding(other, n, None) for n in d.names if n in uses]
    selves = set()
    for local, binding in list(src.bindings.items()):
        if binding.module and f"{binding.module}.{binding.name}" == target and binding in imports:
            imports.remove(binding)  # the target itself: ``target.name`` becomes ``name``
            selves.add(local)
    if renames:
        imports = [b for b in imports if (b.asname or b.name) not in renames]
    mine = [d.rewritten(selves, renames or {}, src.package) for d in mine]
    checking = [b for local, b in src.checking.items() if local in uses and local not in src.bindings]
    if checking and "TYPE_CHECKING" not in {b.asname or b.name for b in imports}:
        imports.append(Binding("typing", "TYPE_CHECKING", None))
    return imports, checking, mine


def new_module_text(p: Plan, target: str) -> str:
    doc, _ = p.split.targets[target]
    imports, checking, mine = target_contents(p, target)
    parts = [f'"""{doc}"""' if doc else '"""' + target + '."""']
    if p.source.future:
        parts.append("from __future__ import annotations")
    package = target.rsplit(".", 1)[0]
    if p.source.relative and not p.package:  # a new module beside the source: the source's import style
        imports = [
            Binding("." + b.module[len(package) + 1 :], b.name, b.asname)
            if b.module == package or b.module.startswith(package + ".")
            else b
            for b in imports
        ]
    if imports:
        parts.append("\n".join(_import_lines(imports)))
    if checking:
        parts.append("if TYPE_CHECKING:\n" + "\n".join("    " + line for line in _import_lines(checking)))
    head = "\n\n".join(parts)
    return head + "\n\n\n" + "\n\n\n".join(d.text for d in mine) + "\n"


def merged_module_text(p: Plan, target: str, path: Path) -> str:
    """An existing module with the moved definitions: imports after its imports, definitions before the first
    statement that uses one of them (else at the end)."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    tree = ast.parse(text)
    _, package = module_of(path)
    imports, checking, mine = target_contents(p, target)
    moved = {n for d in mine for n in d.names}
    bound: dict[str, Binding | None] = {}
    last_import = 0
    first_use = None
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom) and not (
            isinstance(node, ast.ImportFrom) and node.module == "__future__"
        ):
            bound.update(_bindings(node, package))
            last_import = node.end_lineno or node.lineno
            continue
        for name in _defined_names(node):
            bound[name] = None
        if first_use is None and moved & {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}:
            first_use = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            while first_use > 1 and lines[first_use - 2].startswith("#"):
                first_use -= 1
    if checking:
        raise SplitError(f"{target}: moving TYPE_CHECKING imports into an existing module is not supported")
    clash = sorted(n for n in moved if n in bound)
    if clash:
        raise SplitError(f"{target} already defines or imports {', '.join(clash)}")
    # What the module already imports under another name is called by that name in the moved code.
    by_origin = {(b.module, b.name): local for local, b in bound.items() if b is not None}
    renames = {}
    for b in imports:
        local = b.asname or (b.name.split(".")[0] if not b.module else b.name)
        other = by_origin.get((b.module, b.name))
        if b.module and other and other != local:
            renames[local] = other
    if renames:
        imports, checking, mine = target_contents(p, target, renames)
    relative = any(isinstance(n, ast.ImportFrom) and n.level for n in tree.body)
    needed = []
    for b in imports:
        local = b.asname or (b.name.split(".")[0] if not b.module else b.name)
        if local in bound:
            have = bound[local]
            if have is None or (have.module, have.name) != (b.module, b.name):
                raise SplitError(
                    f"{target}: {local!r} means something else there than in {p.source.module} ({b.line()})"
                )
            continue
        if b.module == target or f"{b.module}.{b.name}" == target:
            continue
        if relative and package and (b.module == package or b.module.startswith(package + ".")):
            b = Binding("." + b.module[len(package) + 1 :], b.name, b.asname)
        needed.append(b)
    block = "\n\n\n".join(d.text for d in mine)
    if first_use is None:
        out = lines + ["", "", *block.splitlines()]
    else:
        out = lines[: first_use - 1] + block.splitlines() + ["", ""] + lines[first_use - 1 :]
    if needed:
        out = out[:last_import] + _import_lines(needed) + out[last_import:]
    return "\n".join(out) + "\n"


def _defined_names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return []


def init_text(p: Plan) -> str:
    doc = p.source.docstring or f'"""{p.split.source}."""'
    if not p.split.reexport:
        submodules = ", ".join(t.rsplit(".", 1)[1] for t in p.split.targets)
        note = textwrap.wrap(
            f"The functions live in the submodules ({submodules}); callers import the submodule they need "
            '(docs/ARCHITECTURE.md, "Apps\' inner shape").',
            width=110,
            initial_indent="# ",
            subsequent_indent="# ",
        )
        return doc + "\n\n" + "\n".join(note) + "\n"
    lines = [doc, ""]
    names: list[str] = []
    for target, (_, moved) in p.split.targets.items():
        leaf = target.rsplit(".", 1)[1]
        lines.append(f"from .{leaf} import {', '.join(moved)}")
        names += moved
    lines += ["", "__all__ = [", *(f'    "{n}",' for n in sorted(names)), "]"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------------------
# Rewriting the references across the tree
# --------------------------------------------------------------------------------------------------------------


def alias_for(split: Split, target: str) -> str:
    if target in split.aliases:
        return split.aliases[target]
    leaf = target.rsplit(".", 1)[1]
    if target.startswith(split.source + "."):
        return f"{leaf}_{split.source.rsplit('.', 1)[1]}"
    return leaf


class FileRewrite:
    def __init__(self, path: Path, split: Split, target_of: dict[str, str]):
        self.path = path
        self.split = split
        self.target_of = target_of
        self.text = path.read_text(encoding="utf-8")
        self.tree = ast.parse(self.text)
        self.module, self.package = module_of(path)
        self.lines = self.text.split("\n")
        self.offsets = [0]
        for line in self.lines:
            self.offsets.append(self.offsets[-1] + len(line) + 1)
        self.edits: list[tuple[int, int, str]] = []
        self.errors: list[str] = []
        self.bound = self._all_bound_names()

    def pos(self, line: int, col: int) -> int:
        return self.offsets[line - 1] + len(self.lines[line - 1].encode()[:col].decode())

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.pos(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        return start, self.pos(node.end_lineno or 0, node.end_col_offset or 0)  # type: ignore[attr-defined]

    def where(self, node: ast.AST) -> str:
        return f"{self.path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"

    def _all_bound_names(self) -> set[str]:
        names = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names |= set(_bindings(node, self.package))
        return names

    def _module_import_of(self, target: str) -> str | None:
        """The name under which this file already imports the module ``target`` at its top level."""
        for node in self.tree.body:
            if isinstance(node, ast.ImportFrom):
                module = resolve(node, self.package)
                for alias in node.names:
                    if f"{module}.{alias.name}" == target:
                        return alias.asname or alias.name
        return None

    def from_clause(self, module: str, relative: bool) -> str:
        if relative and self.package and (module == self.package or module.startswith(self.package + ".")):
            return "." + module[len(self.package) + 1 :] if module != self.package else "."
        return module

    def run(self) -> str | None:
        source = self.split.source
        parent, leaf = source.rsplit(".", 1)
        # (local name bound to the source module, scope node) -> list of attribute nodes
        self._visit(self.tree, {}, None)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    moved_from = alias.name == source or alias.name.startswith(source + ".")
                    if moved_from and alias.name not in self.target_of.values():
                        self.errors.append(f"{self.where(node)}: 'import {alias.name}': rewrite by hand")
            if not isinstance(node, ast.ImportFrom):
                continue
            module = resolve(node, self.package)
            relative = node.level > 0
            if module == source:
                self._rewrite_from_source(node, relative)
            elif module == parent and any(a.name == leaf for a in node.names):
                self._rewrite_module_import(node, relative)
        if self.errors:
            raise SplitError("\n".join(self.errors))
        if not self.edits:
            return None
        text = self.text
        for start, end, new in sorted(self.edits, reverse=True):
            text = text[:start] + new + text[end:]
        return text

    # ``from S import a, b``
    def _rewrite_from_source(self, node: ast.ImportFrom, relative: bool) -> None:
        submodules = {
            t.rsplit(".", 1)[1] for t in self.split.targets if t.startswith(self.split.source + ".")
        }
        groups: dict[str, list[str]] = {}
        keep = []
        for alias in node.names:
            text = alias.name + (f" as {alias.asname}" if alias.asname else "")
            if alias.name in submodules:
                keep.append(text)
                continue
            target = self.target_of.get(alias.name)
            if target is None:
                self.errors.append(
                    f"{self.where(node)}: imports {alias.name} from {self.split.source}: not in the spec"
                )
                continue
            if target == self.module:
                continue  # now defined here
            groups.setdefault(target, []).append(text)
        if not groups and len(keep) == len(node.names):
            return
        statements = [
            f"from {self.from_clause(t, relative)} import {', '.join(names)}" for t, names in groups.items()
        ]
        if keep:
            statements.insert(
                0, f"from {self.from_clause(self.split.source, relative)} import {', '.join(keep)}"
            )
        self._replace_statement(node, statements)

    def _replace_statement(self, node: ast.stmt, statements: list[str]) -> None:
        start, end = self.span(node)
        indent = " " * node.col_offset
        if not statements:
            # an emptied import: remove its whole line(s)
            line_start = self.offsets[node.lineno - 1]
            last = node.end_lineno or node.lineno
            line_end = self.offsets[last] if last < len(self.offsets) else len(self.text)
            only = self.text[line_start:start].strip() == "" and self.text[end:line_end].strip() == ""
            if only:
                self.edits.append((line_start, line_end, ""))
            else:
                self.edits.append((start, end, "pass"))
            return
        self.edits.append((start, end, ("\n" + indent).join(statements)))

    # ``from pkg import S [as x]`` and the ``x.name`` uses in its scope
    def _rewrite_module_import(self, node: ast.ImportFrom, relative: bool) -> None:
        leaf = self.split.source.rsplit(".", 1)[1]
        uses = self.module_uses.get(id(node), [])
        needed: dict[str, None] = {}
        for attr in uses:
            target = self.target_of[attr.attr]
            if target != self.module:
                needed[target] = None
        keep = [a.name + (f" as {a.asname}" if a.asname else "") for a in node.names if a.name != leaf]
        statements = []
        if keep:
            statements.append(
                f"from {self.from_clause(resolve(node, self.package), relative)} import {', '.join(keep)}"
            )
        names_for: dict[str, str] = {}
        for target in needed:
            existing = self._module_import_of(target) if node in self.tree.body else None
            if existing:
                names_for[target] = existing
                continue
            name = alias_for(self.split, target)
            if name in self.bound:
                self.errors.append(
                    f"{self.where(node)}: would import {target} as {name!r}, which the file already uses; "
                    f"give Split(aliases={{{target!r}: ...}})"
                )
                continue
            names_for[target] = name
            t_parent, t_leaf = target.rsplit(".", 1)
            statements.append(
                f"from {self.from_clause(t_parent, relative)} import {t_leaf}"
                + (f" as {name}" if name != t_leaf else "")
            )
        for attr in uses:
            target = self.target_of[attr.attr]
            start, end = self.span(attr)
            if target == self.module:
                self.edits.append((start, end, attr.attr))
            elif target in names_for:
                value_start, value_end = self.span(attr.value)
                self.edits.append((value_start, value_end, names_for[target]))
        self._replace_statement(node, statements)

    def _visit(self, node: ast.AST, env: dict[str, ast.ImportFrom], _scope: ast.AST | None) -> None:
        if not hasattr(self, "module_uses"):
            self.module_uses: dict[int, list[ast.Attribute]] = {}
        source = self.split.source
        parent, leaf = source.rsplit(".", 1)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef):
            env = dict(env)
            stack: list[ast.AST] = list(node.body) if isinstance(node, ast.Module) else list(ast.walk(node))
            for child in stack:
                if isinstance(child, ast.Import | ast.ImportFrom) and (
                    isinstance(node, ast.Module) or _innermost_function(node, child)
                ):
                    for local, binding in _bindings(child, self.package).items():
                        if (
                            isinstance(child, ast.ImportFrom)
                            and binding.module == parent
                            and binding.name == leaf
                        ):
                            env[local] = child
                        else:
                            env.pop(local, None)
            if isinstance(node, ast.Module):
                # module-level imports inside ``if``/``try`` blocks
                for inner in ast.walk(node):
                    if (
                        isinstance(inner, ast.ImportFrom)
                        and inner not in node.body
                        and _top_level(node, inner)
                    ):
                        for local, binding in _bindings(inner, self.package).items():
                            if binding.module == parent and binding.name == leaf:
                                env[local] = inner
        for child in ast.iter_child_nodes(node):
            if (
                isinstance(child, ast.Attribute)
                and isinstance(child.value, ast.Name)
                and child.value.id in env
            ):
                imp = env[child.value.id]
                if child.attr not in self.target_of:
                    if child.attr not in {t.rsplit(".", 1)[1] for t in self.split.targets}:
                        self.errors.append(
                            f"{self.where(child)}: {child.value.id}.{child.attr}: {child.attr} is not in the spec of {source}"
                        )
                else:
                    self.module_uses.setdefault(id(imp), []).append(child)
                continue
            if isinstance(child, ast.Name) and child.id in env and not isinstance(child.ctx, ast.Store):
                self.errors.append(
                    f"{self.where(child)}: {child.id} ({source}) is used other than as {child.id}.name: rewrite by hand"
                )
            self._visit(child, env, _scope)


def _innermost_function(function: ast.AST, node: ast.AST) -> bool:
    """Whether ``node`` is in ``function`` and not in a function nested in it."""
    for child in ast.iter_child_nodes(function):
        if child is node:
            return True
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if _innermost_function(child, node):
            return True
    return False


def _top_level(module: ast.Module, node: ast.AST) -> bool:
    return _innermost_function(module, node)


def rewrite_text(text: str, split: Split, target_of: dict[str, str]) -> str:
    """Dotted mentions ``S.name`` (strings, comments, docstrings, documents) become ``T.name``."""
    pattern = re.compile(r"(?<![\w.])" + re.escape(split.source) + r"\.([A-Za-z_]\w*)")

    def replace(match: re.Match[str]) -> str:
        target = target_of.get(match.group(1))
        return f"{target}.{match.group(1)}" if target else match.group(0)

    return pattern.sub(replace, text)


def rewrite_pyproject(text: str, split: Split) -> str:
    """A package's submodules join the source's entries in the mypy module lists."""
    pattern = re.compile(r'"' + re.escape(split.source) + r'"(?!, "' + re.escape(split.source) + r'\.\*")')
    return pattern.sub(f'"{split.source}", "{split.source}.*"', text)


# --------------------------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------------------------


def run_split(split: Split, writes: dict[Path, str | None]) -> None:
    """Collect the file writes of one split in ``writes`` (None: delete) and apply them."""
    path = module_path(split.source)
    package_dir = ROOT.joinpath(*split.source.split("."))
    target_of = {n: t for t, (_, names) in split.targets.items() for n in names}
    local: dict[Path, str | None] = {}
    if path.exists():
        if (package_dir / "__init__.py").exists():
            raise SplitError(f"{split.source}: both {path.name} and the package {package_dir.name}/ exist")
        source = read_source(split.source, path)
        p = plan(split, source)
    else:
        p = None
    if not split.reexport:
        # references first, so that a target module that used ``S.name`` reads ``name`` before it gets it
        for file in tree_files({".py"}):
            if file == path:
                continue
            rewrite = FileRewrite(file, split, target_of)
            new = rewrite.run()
            new = rewrite_text(new if new is not None else rewrite.text, split, target_of)
            if new != rewrite.text:
                local[file] = new
        for file in tree_files(TEXT_SUFFIXES):
            text = file.read_text(encoding="utf-8")
            new = rewrite_text(text, split, target_of)
            if file.name == "pyproject.toml" and p is not None and p.package:
                new = rewrite_pyproject(new, split)
            if new != text:
                local[file] = new
    elif p is not None and p.package:
        pyproject = ROOT / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        new = rewrite_pyproject(text, split)
        if new != text:
            local[pyproject] = new
    apply(local)
    writes.update(local)
    if p is None:
        return
    local = {}
    for target in split.targets:
        target_path = existing_path(target)
        if p.package:
            target_path = package_dir / (target.rsplit(".", 1)[1] + ".py")
            if target_path.exists():
                raise SplitError(f"{target_path.relative_to(ROOT)} exists already")
            local[target_path] = new_module_text(p, target)
        elif target_path is None:
            local[module_path(target)] = new_module_text(p, target)
        else:
            local[target_path] = merged_module_text(p, target, target_path)
        apply({k: v for k, v in local.items() if k.exists() or v is not None})
    if p.package:
        local[package_dir / "__init__.py"] = init_text(p)
    local[path] = None
    apply(local)
    writes.update(local)


def apply(writes: dict[Path, str | None]) -> None:
    for path, text in writes.items():
        if text is None:
            if path.exists():
                path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


def ruff(paths: list[Path]) -> None:
    exe = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    files = [str(p) for p in paths if p.suffix == ".py" and p.exists()]
    if not files:
        return
    subprocess.run(
        [exe, "check", "--fix", "--select", "I,F401,RUF022", "--quiet", *files], cwd=ROOT, check=False
    )
    subprocess.run([exe, "format", "--quiet", *files], cwd=ROOT, check=True)


def mentions_of_files() -> list[str]:
    """Paths of split modules still named in documents (``participation/services.py``): for a person to adjust."""
    found = []
    for split in SPLITS:
        name = "/".join(split.source.split(".")) + ".py"
        for file in tree_files(TEXT_SUFFIXES | {".py"}):
            for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
                if name in line:
                    found.append(f"{file.relative_to(ROOT)}:{number}: {name}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a run would change files"
    )
    args = parser.parse_args()
    if args.check:
        # run on a copy of the files it may touch would be costly; the check mode reads the state instead
        pending = [s.source for s in SPLITS if module_path(s.source).exists()]
        if pending:
            print("not split yet: " + ", ".join(pending))
            return 1
        print("every module is split")
        return 0
    writes: dict[Path, str | None] = {}
    try:
        # Every spec is checked against its source before anything is written.
        problems = []
        for split in SPLITS:
            if module_path(split.source).exists():
                try:
                    plan(split, read_source(split.source, module_path(split.source)))
                except SplitError as error:
                    problems.append(str(error))
        if problems:
            raise SplitError("nothing written:\n" + "\n".join(problems))
        for split in SPLITS:
            run_split(split, writes)
    except SplitError as error:
        print(f"split_modules: {error}", file=sys.stderr)
        if writes:
            print(
                "(files written by the splits before stay; `git checkout .` to start again)", file=sys.stderr
            )
        return 2
    ruff(sorted(p for p, t in writes.items() if t is not None))
    for path in sorted(writes):
        print(("deleted " if writes[path] is None else "wrote   ") + str(path.relative_to(ROOT)))
    if not writes:
        print("nothing to do: every module is split and every reference is up to date")
    for line in mentions_of_files():
        print("mention of a split module's file (adjust by hand): " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
