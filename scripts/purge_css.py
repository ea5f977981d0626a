"""Drop the KERN rules that nothing of ours can match: static/vendor/kern/kern.min.css → kern.purged.min.css.

    .venv/bin/python scripts/purge_css.py            # rewrite the purged file
    .venv/bin/python scripts/purge_css.py --check    # exit 1 if the committed file is not current

KERN ships every component (332 KiB raw); the portal uses a few dozen of them. The KERN class names we use are
collected from the places that write HTML: templates/, static/js/ and the Python code that emits classes
(widgets, template tags, forms, views). A name followed by a template or f-string placeholder
(``kern-badge--{{ status }}``, ``f"kern-alert--{level}"``) is a prefix and keeps every class that starts with it.

A selector is kept when each KERN class it requires is used; classes inside :not(), :is(), :where() and :has()
are not required (the selector may match without them). Element, id and attribute selectors are kept, except
exact matches on a ``data-`` attribute whose value we never write (KERN's dark theme, ``[data-kern-theme=dark]``).
@font-face, @keyframes, :root variables and the like are kept whole; @media/@supports/@layer/@container blocks
keep their matching rules and disappear when none is left. tests/test_purge_css.py fails when the committed
output is stale.
"""

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import tinycss2

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "static" / "vendor" / "kern" / "kern.min.css"
OUTPUT = ROOT / "static" / "vendor" / "kern" / "kern.purged.min.css"
# Where HTML and its class names are written. tests/ is left out: a class only a test writes needs no style.
SCAN_GLOBS = ("templates/**/*.html", "templates/**/*.txt", "static/js/**/*.js", "**/*.py")
SKIP_PARTS = {".venv", "node_modules", "tests", "migrations", "staticfiles", "static", ".git", "scripts"}
# Class names of the form kern-… ; a name ending in "-" or "_" (a placeholder follows) is a prefix.
CLASS_NAME = re.compile(r"(?<![\w-])kern-[A-Za-z0-9_-]*")
# Attribute values we write in a data-… attribute, e.g. data-kern-theme="light".
DATA_ATTRIBUTE = re.compile(r"""\b(data-[\w-]+)\s*=\s*["']?([\w-]+)""")
# Pseudo-classes whose arguments a selector does not need to match.
OPTIONAL_ARGUMENTS = {"not", "is", "where", "has", "matches", "-webkit-any", "-moz-any"}
BLOCK_AT_RULES = {"media", "supports", "layer", "container", "document"}
HEADER = (
    "/*! KERN UX (@kern-ux/native, EUPL-1.2, see LICENSE.md): the rules of kern.min.css that the portal's "
    "HTML can match. Built by scripts/purge_css.py; do not edit. */\n"
)


class Usage:
    """The KERN class names (exact and prefixes) and data-attribute values found in the sources."""

    def __init__(self, names: Iterable[str], data_values: Iterable[tuple[str, str]] = ()):
        self.exact, self.prefixes = set(), set()
        for name in names:
            (self.prefixes if name.endswith(("-", "_")) else self.exact).add(name)
        self.data_values = set(data_values)

    def has_class(self, name: str) -> bool:
        return name in self.exact or any(name.startswith(prefix) for prefix in self.prefixes)

    def has_data_value(self, attribute: str, value: str) -> bool:
        return (attribute, value) in self.data_values


def source_files(root: Path = ROOT) -> list[Path]:
    files = set()
    for pattern in SCAN_GLOBS:
        for path in root.glob(pattern):
            relative = path.relative_to(root).parts
            # static/js is scanned, the rest of static/ (vendored CSS, our CSS) is not: CSS uses classes, it
            # doesn't put them on elements.
            if pattern.startswith("static/js") or not SKIP_PARTS.intersection(relative[:-1]):
                files.add(path)
    return sorted(files)


def collect_usage(files: Iterable[Path]) -> Usage:
    names, data_values = set(), set()
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        names.update(CLASS_NAME.findall(text))
        data_values.update(DATA_ATTRIBUTE.findall(text))
    # "kern-" alone would keep everything: it only appears in prose and in names like data-kern-theme.
    names.discard("kern-")
    return Usage(names, data_values)


def _split_selectors(prelude: list) -> list[list]:
    selectors, current = [], []
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            selectors.append(current)
            current = []
        else:
            current.append(token)
    selectors.append(current)
    return selectors


def selector_can_match(tokens: list, usage: Usage) -> bool:
    """False if the selector requires a KERN class (or a data-attribute value) that our HTML never has."""
    previous = None
    for token in tokens:
        if (
            token.type == "ident"
            and previous is not None
            and previous.type == "literal"
            and previous.value == "."
        ):
            if token.value.startswith("kern-") and not usage.has_class(token.value):
                return False
        elif token.type == "[] block":
            parts = [t for t in token.content if t.type not in ("whitespace", "comment")]
            if (
                len(parts) == 3
                and parts[0].type == "ident"
                and parts[0].value.startswith("data-")
                and parts[1].type == "literal"
                and parts[1].value == "="
                and parts[2].type in ("ident", "string")
                and not usage.has_data_value(parts[0].value, parts[2].value)
            ):
                return False
        elif token.type == "function" and token.lower_name not in OPTIONAL_ARGUMENTS:
            # :nth-child(2 of .x) and the like: rare in KERN; be conservative and look no further inside.
            pass
        previous = token
    return True


def _purge_rules(rules: list, usage: Usage) -> list[str]:
    out = []
    for rule in rules:
        if rule.type == "qualified-rule":
            kept = [
                tinycss2.serialize(selector).strip()
                for selector in _split_selectors(rule.prelude)
                if selector_can_match(selector, usage)
            ]
            if kept:
                out.append(",".join(kept) + "{" + tinycss2.serialize(rule.content).strip() + "}")
        elif rule.type == "at-rule":
            if rule.lower_at_keyword in BLOCK_AT_RULES and rule.content is not None:
                inner = _purge_rules(
                    tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True), usage
                )
                if inner:
                    out.append(
                        f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude).rstrip()}{{{''.join(inner)}}}"
                    )
            else:
                out.append(rule.serialize().strip())
    return out


def purge(css: str, usage: Usage) -> str:
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    body = _purge_rules(rules, usage)
    charset = [r for r in body if r.startswith("@charset")]
    return "".join(charset[:1]) + HEADER + "".join(r for r in body if not r.startswith("@charset")) + "\n"


def build(root: Path = ROOT) -> str:
    return purge(SOURCE.read_text(encoding="utf-8"), collect_usage(source_files(root)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed output is not current")
    args = parser.parse_args()
    result = build()
    if args.check:
        if not OUTPUT.is_file() or OUTPUT.read_text(encoding="utf-8") != result:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run scripts/purge_css.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(result, encoding="utf-8")
    print(
        f"{OUTPUT.relative_to(ROOT)}: {len(result.encode()) / 1024:.1f} KiB "
        f"(from {len(SOURCE.read_bytes()) / 1024:.1f} KiB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
