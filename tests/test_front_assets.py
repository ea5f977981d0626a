"""What a phone downloads: the purged KERN stylesheet, the class names of the templates, the Latin font subsets,
htmx only where it is used, and compressed HTML (bench/README.md has the Lighthouse numbers)."""

import gzip
import itertools
import re
import sys
from pathlib import Path

import pytest
import tinycss2
from django.test import Client
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import purge_css  # noqa: E402

TEMPLATES = ROOT / "templates"
FONTS = ROOT / "static" / "vendor" / "kern" / "fonts"

# Classes on our HTML that no stylesheet needs to define, each with its reason.
CLASS_ALLOW_LIST = {
    # Hooks for scripts, tests and the page's own <style nonce> (no rule in a stylesheet).
    "sc5-map-consent": "static/js/place-picker.js finds the consent box by it",
    "sc5-map-status": "the live region of the map; styled by KERN's body text",
    "sc5-map-list": "the list of places under the map; a hook for tests",
    "sc5-report": "the report row that htmx polls (reports/_report.html)",
    "sc5-brand": "wraps the header's brand link; only its children are styled",
    "sc5-count": "the unread count in the user menu; a hook for tests",
    "sc5-details": "a <details> block; styled as an element",
    "sc5-notifications": "the notification list; a hook for tests",
    "sc5-project-card": "project cards are sc5-card; this names the kind for tests",
    "sc5-town--": "per-town colour class, defined by base.html's <style nonce> for each member town",
    "sc5-timeline__item--": "phase state (done/at_risk/future) for tests; the styled state is aria-current",
    # KERN structure classes that KERN styles only in variants the portal does not use.
    "kern-table__body": "KERN styles it only inside kern-table--striped",
}
# Templates that are not pages of the portal and bring their own CSS (PDF reports, the data export).
OWN_CSS_TEMPLATES = ("reports/pdf/", "participation/letters/", "accounts/export/", "email/", "api/")

PLACEHOLDER = "\x00"  # {{ … }}: a dynamic part of a class name
TAG = "\x01"  # {% … %}: a template tag between class names (or inside one)


def test_purged_kern_css_is_current():
    expected = purge_css.build()
    committed = purge_css.OUTPUT.read_text(encoding="utf-8")
    assert committed == expected, (
        "static/vendor/kern/kern.purged.min.css is stale (a class was added to or removed from the templates, "
        "static/js or Python code): run `.venv/bin/python scripts/purge_css.py` and commit the result"
    )


def test_base_template_uses_the_purged_css():
    base = (TEMPLATES / "base.html").read_text()
    assert "vendor/kern/kern.purged.min.css" in base
    assert "vendor/kern/kern.min.css" not in base


# --- The purge itself -------------------------------------------------------------------------------------------


def _purge(css: str, *names: str, data=()) -> str:
    return purge_css.purge(css, purge_css.Usage(names, data)).split("*/\n", 1)[1].strip()


def test_purge_keeps_used_classes_and_drops_the_others():
    css = ".kern-btn{color:red}.kern-card{color:blue}.kern-btn .kern-icon{margin:0}"
    assert _purge(css, "kern-btn") == ".kern-btn{color:red}"
    assert _purge(css, "kern-btn", "kern-icon") == ".kern-btn{color:red}.kern-btn .kern-icon{margin:0}"


def test_purge_keeps_only_the_matching_selectors_of_a_list():
    assert _purge(".kern-a,.kern-b,p{x:y}", "kern-b") == ".kern-b,p{x:y}"


def test_purge_keeps_elements_ids_attributes_root_and_font_faces():
    css = (
        ":root{--kern-x:1px}html{margin:0}#main{x:y}[hidden]{display:none}input[type=checkbox]{x:y}"
        '@font-face{font-family:"F";src:url(f.woff2)}@keyframes spin{to{transform:rotate(1turn)}}'
    )
    out = _purge(css)
    for part in (
        ":root{--kern-x:1px}",
        "html{margin:0}",
        "#main{x:y}",
        "[hidden]{display:none}",
        "input[type=checkbox]{x:y}",
        "@font-face",
        "@keyframes spin",
    ):
        assert part in out


def test_purge_treats_placeholders_as_prefixes():
    usage = purge_css.collect_usage([])
    usage = purge_css.Usage(purge_css.CLASS_NAME.findall('<b class="kern-badge kern-badge--{{ tone }}">'))
    css = ".kern-badge--success{c:green}.kern-badge--danger{c:red}.kern-alert--info{c:blue}"
    assert purge_css.purge(css, usage).endswith(".kern-badge--success{c:green}.kern-badge--danger{c:red}\n")


def test_purge_ignores_classes_a_selector_does_not_need():
    css = ".kern-btn:not(.kern-btn--block){w:auto}body:has(.kern-dialog[open]){overflow:hidden}"
    assert _purge(css, "kern-btn") == css


def test_purge_drops_empty_media_blocks_and_keeps_the_matching_rules_inside():
    css = "@media (min-width:576px){.kern-a{x:y}.kern-b{x:z}}@media print{.kern-c{x:y}}"
    assert _purge(css, "kern-a") == "@media (min-width:576px){.kern-a{x:y}}"


def test_purge_drops_data_attribute_values_we_never_write():
    css = "[data-kern-theme=light]{c:#fff}[data-kern-theme=dark]{c:#000}"
    assert _purge(css, data=[("data-kern-theme", "light")]) == "[data-kern-theme=light]{c:#fff}"


def test_purge_scans_python_code_that_emits_classes():
    files = purge_css.source_files()
    assert ROOT / "smartcity5" / "forms.py" in files
    assert ROOT / "static" / "js" / "project-map.js" in files
    assert not any("tests" in path.relative_to(ROOT).parts for path in files)
    assert not any(path.name.endswith(".css") for path in files)


def test_purge_output_is_valid_css_and_much_smaller():
    purged = purge_css.OUTPUT.read_text(encoding="utf-8")
    errors = [r for r in tinycss2.parse_stylesheet(purged) if r.type == "error"]
    assert errors == []
    assert len(purged) < len(purge_css.SOURCE.read_text(encoding="utf-8")) / 2
    selectors = [
        tinycss2.serialize(selector).strip()
        for rule in tinycss2.parse_stylesheet(purged, skip_comments=True, skip_whitespace=True)
        if rule.type == "qualified-rule"
        for selector in purge_css._split_selectors(rule.prelude)
    ]
    assert "[data-kern-theme=dark]" not in selectors  # the dark theme's own variables


# --- Every class of the templates is styled, or on the allow-list ---------------------------------------------------


def _defined_classes() -> set[str]:
    names = set()
    for css in (ROOT / "static" / "css").glob("*.css"):
        names.update(_selector_classes(css.read_text(encoding="utf-8")))
    names.update(_selector_classes(purge_css.OUTPUT.read_text(encoding="utf-8")))
    names.update(_selector_classes((ROOT / "static" / "vendor" / "leaflet" / "leaflet.css").read_text()))
    return names


def _selector_classes(css: str) -> set[str]:
    names = set()

    def walk(rules):
        for rule in rules:
            if rule.type == "qualified-rule":
                tokens = list(rule.prelude)
                for previous, token in itertools.pairwise(tokens):
                    if previous.type == "literal" and previous.value == "." and token.type == "ident":
                        names.add(token.value)
                    # .x inside :not()/:is() is part of a function block
                for token in tokens:
                    if token.type == "function":
                        names.update(_selector_classes(tinycss2.serialize(token.arguments) + "{}"))
            elif rule.type == "at-rule" and rule.content is not None and rule.lower_at_keyword != "font-face":
                walk(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True))

    walk(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
    return names


def template_classes(text: str) -> set[str]:
    """Class names of class="…" attributes; a name with a {{ placeholder }} comes back as its prefix + "*"."""
    found = set()
    for _, value in re.findall(r"""\bclass=(["'])(.*?)\1""", text, flags=re.S):
        value = re.sub(r"\{\{.*?\}\}", PLACEHOLDER, value, flags=re.S)
        value = re.sub(r"\{%.*?%\}", TAG, value, flags=re.S)
        for word in value.split():
            pieces = word.split(TAG)
            if len(pieces) > 1 and pieces[0].endswith(("-", "_")):
                found.add(pieces[0] + "*")  # kern-alert--{% if … %}danger{% else %}{{ level }}{% endif %}
                continue
            for piece in pieces:
                if PLACEHOLDER in piece:
                    prefix = piece.split(PLACEHOLDER)[0]
                    if prefix:
                        found.add(prefix + "*")
                elif piece:
                    found.add(piece)
    return found


def test_template_classes_parser():
    text = (
        '<p class="kern-btn {% if x %}kern-btn--primary{% endif %} kern-badge--{{ tone }} {{ extra }}">'
        '<div class="kern-alert--{% if e %}danger{% else %}{{ level }}{% endif %}">'
    )
    assert template_classes(text) == {"kern-btn", "kern-btn--primary", "kern-badge--*", "kern-alert--*"}


def test_every_class_in_the_templates_is_styled_or_allowed():
    defined = _defined_classes()
    missing = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        relative = path.relative_to(TEMPLATES).as_posix()
        if relative.startswith(OWN_CSS_TEMPLATES):
            continue
        for name in template_classes(path.read_text(encoding="utf-8")):
            if name.endswith("*"):
                prefix = name[:-1]
                if prefix in CLASS_ALLOW_LIST or any(d.startswith(prefix) for d in defined):
                    continue
            elif name in defined or name in CLASS_ALLOW_LIST:
                continue
            missing.setdefault(name, relative)
    assert missing == {}, (
        "classes in templates that no stylesheet defines: add a rule (static/css/smartcity5.css), re-run "
        "scripts/purge_css.py for KERN classes, or put the class on CLASS_ALLOW_LIST with its reason"
    )


# --- Fonts ------------------------------------------------------------------------------------------------------

GERMAN_AND_ENGLISH = "ÄÖÜäöüßẞ„“”‚‘’–—…€§\u00a0«»‹›·•°²³×÷éèêàçñøå"
NAMES = "ŞşĞğıİŁłŃńŚśŹźŻżČčŘřŠšŽžĚěŮůŐőŰű"


@pytest.mark.parametrize("path", sorted((FONTS / "fira-sans").glob("*.woff2")), ids=lambda p: p.name)
def test_fira_sans_subsets_cover_german_english_and_names_and_keep_their_licence(path):
    font = TTFont(path)
    cmap = font.getBestCmap()
    missing = [
        c for c in GERMAN_AND_ENGLISH + NAMES + "".join(map(chr, range(0x20, 0x7F))) if ord(c) not in cmap
    ]
    assert missing == []
    assert ord("Ж") not in cmap  # a Latin subset
    assert path.stat().st_size < 30 * 1024
    names = {record.nameID: str(record) for record in font["name"].names if record.platformID == 3}
    assert "Mozilla Foundation" in names[0]
    assert "Open Font License" in names[13]


def test_font_faces_swap_and_declare_their_range():
    css = (FONTS / "fira-sans.css").read_text()
    assert css.count("@font-face") == css.count("font-display: swap;") == css.count("unicode-range:") == 10
    base = (TEMPLATES / "base.html").read_text()
    preloads = re.findall(r'<link rel="preload"[^>]*>', base)
    assert len(preloads) == 1
    assert "FiraSans-Regular.woff2" in preloads[0] and 'as="font"' in preloads[0]
    assert 'type="font/woff2"' in preloads[0] and "crossorigin" in preloads[0]


# --- htmx only where used -------------------------------------------------------------------------------------------

INCLUDE = re.compile(r"""\{%\s*include\s+["']([^"']+)["']""")


def _uses_htmx(name: str, seen=None) -> bool:
    seen = seen if seen is not None else set()
    if name in seen or not (TEMPLATES / name).is_file():
        return False
    seen.add(name)
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    return bool(re.search(r"\shx-(get|post|put|patch|delete|trigger|target|swap)\b", text)) or any(
        _uses_htmx(child, seen) for child in INCLUDE.findall(text)
    )


def test_pages_with_hx_attributes_load_htmx_and_the_others_do_not():
    pages = [
        p.relative_to(TEMPLATES).as_posix()
        for p in TEMPLATES.rglob("*.html")
        if '{% extends "base.html" %}' in p.read_text(encoding="utf-8")
    ]
    loads = {page for page in pages if 'include "components/htmx.html"' in (TEMPLATES / page).read_text()}
    needs = {page for page in pages if _uses_htmx(page)}
    assert needs == loads
    assert "participation/idea_detail.html" in needs


@pytest.mark.django_db
def test_town_page_has_no_htmx_and_an_idea_page_has_it(demo):
    from django_scopes import scopes_disabled

    from participation.models import Idea

    client = Client()
    town = client.get("/arnsberg/")
    assert town.status_code == 200
    assert b"htmx.min" not in town.content and b"forms.js" not in town.content
    with scopes_disabled():
        idea = (
            Idea.objects.filter(municipality__slug="arnsberg", pk=29).first()
            or Idea.objects.filter(municipality__slug="arnsberg").first()
        )
    page = client.get(idea.get_absolute_url())
    assert page.status_code == 200
    assert b"htmx.min" in page.content and b"defer" in page.content


# --- Compressed HTML ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_html_is_gzipped_for_clients_that_accept_it(demo):
    client = Client()
    plain = client.get("/arnsberg/")
    packed = client.get("/arnsberg/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    body = gzip.decompress(packed.content)
    assert b"<html" in body
    assert len(packed.content) < len(plain.content) / 2
    # The security headers are still there (the middleware sits inside SecurityHeadersMiddleware's answer).
    assert "Content-Security-Policy" in packed


def test_binary_and_streamed_answers_are_not_gzipped():
    from django.http import HttpResponse, StreamingHttpResponse
    from django.test import RequestFactory

    from smartcity5.middleware import TextGZipMiddleware

    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    pdf = HttpResponse(b"%PDF-1.7 " + b"x" * 5000, content_type="application/pdf")
    assert not TextGZipMiddleware(lambda r: pdf)(request).has_header("Content-Encoding")
    csv = HttpResponse(b"a;b\n" * 2000, content_type="text/csv; charset=utf-8")
    assert TextGZipMiddleware(lambda r: csv)(request)["Content-Encoding"] == "gzip"
    download = StreamingHttpResponse(iter([b"a;b\n" * 2000]), content_type="text/csv")
    assert not TextGZipMiddleware(lambda r: download)(request).has_header("Content-Encoding")


def test_leaflet_is_named_on_the_page_but_fetched_only_when_a_map_opens(settings, rf):
    from django.template import Context, Template

    settings.MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    points = [{"title": "A", "url": "/a/", "lat": 51.4, "lon": 8.0, "place": "", "meta": ""}]
    html = Template("{% load maps %}{% project_map points %}").render(
        Context({"points": points, "request": rf.get("/")})
    )
    assert 'data-leaflet-js="/static/vendor/leaflet/leaflet.js"' in html
    assert 'data-leaflet-css="/static/vendor/leaflet/leaflet.css"' in html
    assert not re.search(r'<script src="[^"]*leaflet\.js"', html)
    assert '<link rel="stylesheet" href="/static/vendor/leaflet' not in html
