"""The PDF reports as pages (issue 15, item 12): every report kind, built from the demo data through the report
task as the staff pages ask for it, must keep its text on the page, show Markdown rendered and never leave a
heading alone at the foot of a page.

Read with poppler: ``pdftotext -bbox`` gives every word with its box, ``pdftohtml -xml`` the document outline (the
headings and table captions, each with its page). The demo is loaded once per run (the session
fixture ``demo`` in tests/conftest.py, inside a transaction that is rolled back at the end), because loading it takes
most of a minute."""

import html
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import translation

from funding import selectors as funding_selectors
from funding.models import Grant
from municipalities.models import Municipality
from municipalities.scoping import town_scope
from projects import services as project_services
from projects.models import Strategy
from reports import services
from reports.models import ReportRequest
from reports.selectors import report_lead_town
from smartcity5.templatetags.formats import pct
from tests.conftest import need

pytestmark = pytest.mark.django_db

MM = 72 / 25.4
#: The page box's margins (templates/reports/pdf/base.html): the body's text stays inside them; only the running
#: header and footer are set in the top and bottom margin.
TOP, RIGHT, BOTTOM, LEFT = 24 * MM, 18 * MM, 22 * MM, 20 * MM
#: No word at all, header and footer included, comes nearer to the paper's edge than this (what printers leave).
EDGE = 7 * MM
#: Rounding in the text boxes.
SLACK = 1.0
TOWNS = ("arnsberg", "bad-berleburg", "menden", "olpe", "soest")

MARKDOWN_LEFTOVERS = [
    (re.compile(r"\*\*|__"), "bold markers"),
    (re.compile(r"^\s*[-*+] \S", re.MULTILINE), "a list item's marker"),
    (re.compile(r"^\s*#{1,6} \S", re.MULTILINE), "a heading's marker"),
    (re.compile(r"\]\((?:https?:|mailto:|/)"), "a link's brackets"),
    (re.compile(r"^\s*\|.*\|\s*$", re.MULTILINE), "a table row's pipes"),
]


@dataclass
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Page:
    number: int
    width: float
    height: float
    words: list[Word]


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def pdf_pages(path) -> list[Page]:
    """Every page with its size and its words' boxes (``pdftotext -bbox``; PDF points, origin top left)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = []
    for number, match in enumerate(
        re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.DOTALL), start=1
    ):
        words = [
            Word(html.unescape(m[5]), *(float(m[i]) for i in range(1, 5)))
            for m in re.finditer(
                r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>',
                match[3],
            )
        ]
        pages.append(Page(number, float(match[1]), float(match[2]), words))
    return pages


def pdf_outline(path) -> list[tuple[int, str]]:
    """The document outline in order: (page, title) of every heading and table caption."""
    out = subprocess.run(
        ["pdftohtml", "-xml", "-i", "-q", "-stdout", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return [
        (int(m[1]), _norm(html.unescape(re.sub(r"<[^>]+>", "", m[2]))))
        for m in re.finditer(r'<item page="(\d+)">(.*?)</item>', out, re.DOTALL)
    ]


def _outside(page: Page, word: Word) -> bool:
    if word.x0 < EDGE or word.y0 < EDGE or word.x1 > page.width - EDGE or word.y1 > page.height - EDGE:
        return True
    in_body = word.y1 > TOP and word.y0 < page.height - BOTTOM
    return in_body and (word.x0 < LEFT - SLACK or word.x1 > page.width - RIGHT + SLACK)


def words_outside_the_page(pages: list[Page]) -> list[str]:
    """Words off the paper (or at its very edge), and words of the body in the left or right margin."""
    return [
        f"page {page.number}: {word.text!r} at x {word.x0:.0f}–{word.x1:.0f}, y {word.y0:.0f}–{word.y1:.0f} "
        f"outside the page box ({page.width:.0f} × {page.height:.0f})"
        for page in pages
        for word in page.words
        if _outside(page, word)
    ]


def markdown_leftovers(text: str) -> list[str]:
    return [
        f"{what}: {text[max(0, m.start() - 30) : m.end() + 30]!r}"
        for pattern, what in MARKDOWN_LEFTOVERS
        for m in pattern.finditer(text)
    ]


def _find(words: list[Word], tokens: list[str], start: int) -> int | None:
    for i in range(start, len(words) - len(tokens) + 1):
        if all(_norm(words[i + k].text) == tokens[k] for k in range(len(tokens))):
            return i
    return None


def headings_left_alone(pages: list[Page], outline: list[tuple[int, str]]) -> list[str]:
    """Headings (and table captions) with nothing below them on their page but the running footer. Each is looked
    up among its page's words in document order, from where the previous one was found."""
    problems, cursor = [], {}
    for number, title in outline:
        page = pages[number - 1]
        tokens = title.split()
        at = _find(page.words, tokens, cursor.get(number, 0))
        if at is None:
            at = _find(page.words, tokens, 0)
        if at is None:
            problems.append(f"page {number}: heading {title!r} not found on its page")
            continue
        cursor[number] = at + len(tokens)
        bottom = max(word.y1 for word in page.words[at : at + len(tokens)])
        body_end = page.height - BOTTOM
        if not any(word.y0 > bottom and word.y1 <= body_end for word in page.words):
            problems.append(f"page {number}: heading {title!r} is the last line of the page")
    return problems


def build(kind: str, slug: str | None, capture) -> bytes:
    """Ask for the report as the staff pages do; the report task builds it (inline here) and stores the file."""
    if kind == "region":
        with capture(execute=True):
            report, _created = services.region_report_request(lead_town=report_lead_town(), format="pdf")  # type: ignore[arg-type]
        town = report_lead_town()
    else:
        town = Municipality.objects.get(slug=slug)
        with town_scope(town), capture(execute=True):
            grant = Grant.objects.order_by("pk").first() if kind == "funding" else None
            report, _created = services.report_request(
                municipality=town, kind=kind, format="pdf", by=None, grant=grant
            )
    report = ReportRequest.objects.with_scope(municipality=town.pk).get(pk=report.pk)
    assert report.status == ReportRequest.Status.DONE, report.error
    with report.file.open("rb") as handle:
        return handle.read()


def check_pages(content: bytes, tmp_path) -> tuple[list[Page], str]:
    """Fail on text outside the page box, Markdown markers and headings left alone; return the pages and text."""
    need(
        shutil.which("pdftotext") is not None and shutil.which("pdftohtml") is not None,
        "pdftotext and pdftohtml (poppler-utils) are not installed",
    )
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    pages = pdf_pages(path)
    assert pages and all(page.words for page in pages), "an empty page"
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    outline = pdf_outline(path)
    assert outline, "the PDF has no outline (headings)"
    problems = [
        *words_outside_the_page(pages),
        *markdown_leftovers(text),
        *headings_left_alone(pages, outline),
    ]
    assert not problems, "\n".join(problems)
    return pages, text


CASES = [*(("town", slug) for slug in TOWNS), *(("funding", slug) for slug in TOWNS), ("region", None)]


@pytest.mark.parametrize(("kind", "slug"), CASES, ids=[f"{kind}-{slug or 'all'}" for kind, slug in CASES])
def test_every_report_fits_its_pages(demo, kind, slug, tmp_path, django_capture_on_commit_callbacks):
    _pages, text = check_pages(build(kind, slug, django_capture_on_commit_callbacks), tmp_path)
    flow = " ".join(text.split())
    if kind == "funding":
        # The year table's last column, the absorption rate, is there for every year and the total.
        municipality = Municipality.objects.get(slug=slug)
        with town_scope(municipality):
            figures = funding_selectors.grant_figures(Grant.objects.order_by("pk").first())
        assert "Mittelabflussquote" in flow
        with translation.override("de"):
            shares = [pct(year.absorption) for year in figures.years if year.absorption is not None]
        assert shares and all(share in flow for share in shares), shares
    if kind == "town" and slug == "arnsberg":
        # The strategy's Markdown list is a list: its items carry bullets, not hyphens.
        assert "• lebendige Innenstädte und Stadtlabore" in text


def test_a_strategy_in_full_markdown_prints_as_text(demo, tmp_path, django_capture_on_commit_callbacks):
    """Every Markdown feature the portal renders, long words and a long link included, printed as formatted text."""
    municipality = Municipality.objects.get(slug="menden")
    with town_scope(municipality):
        strategy = Strategy.objects.get(municipality=municipality, kind=Strategy.Kind.TOWN)
        project_services.strategy_save(
            municipality=municipality,
            kind=Strategy.Kind.TOWN,
            fields={
                "title": strategy.title,
                "adopted_on": strategy.adopted_on,
                "resolution_url": "",
                "summary": (
                    "**Neu 2026:** Die Strategie wurde __fortgeschrieben__ und *ergänzt*.\n\n"
                    "# Ziele\n\n- Erstens\n- Zweitens mit **Betonung**\n\n1. Schritt eins\n2. Schritt zwei\n\n"
                    "## Kennzahlen\n\n| Ziel | Wert |\n| --- | --- |\n| Sensoren | 120 |\n\n"
                    "> Ein Zitat aus dem Ratsbeschluss.\n\n"
                    "Mehr unter [der Beschlussvorlage](https://www.menden.de/rathaus-politik/ratsinformationssystem/"
                    "beschlussvorlagen/2026/smart-city-strategie-fortschreibung-vorlage-nummer-123456789).\n\n"
                    "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichenherstellungsverordnungsbegründung."
                ),
            },
            fields_of_action=list(strategy.fields_of_action.all()),
        )
    _pages, text = check_pages(build("town", "menden", django_capture_on_commit_callbacks), tmp_path)
    flow = " ".join(text.split())
    assert "Neu 2026: Die Strategie wurde fortgeschrieben und ergänzt." in flow
    assert "• Erstens" in text and "Schritt zwei" in flow and "Sensoren 120" in flow
    assert "Ein Zitat aus dem Ratsbeschluss." in flow and "der Beschlussvorlage" in flow


def test_long_entries_wrap_inside_the_funding_report(demo, tmp_path, django_capture_on_commit_callbacks):
    """The longest values the forms allow, without a space to break at, wrap inside their column."""
    from funding import services as funding_services

    municipality = Municipality.objects.get(slug="olpe")
    word = "Breitbandausbauförderrichtlinienumsetzungsbegleitungsdienstleistungsvertragsverlängerung"
    with town_scope(municipality):
        grant = Grant.objects.order_by("pk").first()
        funding_services.spending_record(
            grant=grant,
            by=None,
            fields={
                "spent_on": grant.period_start,
                "cost_type": "external",
                "amount": Decimal("98765.43"),
                "description": f"{word} {word}"[:200],
                "payee": (word * 3)[:200],
                "voucher": "X" * 60,
            },
        )
    _pages, text = check_pages(build("funding", "olpe", django_capture_on_commit_callbacks), tmp_path)
    flow = "".join(text.split()).replace("‐", "").replace("-", "")
    assert "X" * 60 in flow and "98.765,43€" in flow


def test_the_checks_find_what_they_look_for():
    """The three checks on made-up pages: each finds its fault and passes the page without it."""
    width, height = 595.28, 841.89
    footer = Word("Seite", 500, 806, 530, 815)
    cut_off = Page(
        1,
        width,
        height,
        [Word("Jahr", 62, 619, 80, 629), Word("Mittelabflussquot", 528, 619, 597, 629), footer],
    )
    in_margin = Page(2, width, height, [Word("84,8", 560, 640, 576, 650), footer])
    fine = Page(3, width, height, [Word("84,8", 500, 640, 520, 650), footer])
    assert [
        p.split(":")[1].strip().split()[0] for p in words_outside_the_page([cut_off, in_margin, fine])
    ] == ["'Mittelabflussquot'", "'84,8'"]

    assert (
        len(
            markdown_leftovers("**Neu 2026:** Text\n- Punkt\n## Ziele\n[Vorlage](https://example.org)\n| a |")
        )
        == 6
    )
    assert (
        markdown_leftovers(
            "Neu 2026: Text\n• Punkt\nZiele – 2025 bis 2030\n3 - 2 = 1\nVorlage (https://x.de)"
        )
        == []
    )

    caption = [Word("Alle", 57, 740, 75, 750), Word("Projekte", 77, 740, 110, 750)]
    alone = Page(1, width, height, [Word("Text", 57, 700, 80, 710), *caption, footer])
    followed = Page(2, width, height, [*caption, Word("Projekt", 57, 760, 90, 770), footer])
    assert headings_left_alone([alone, followed], [(1, "Alle Projekte"), (2, "Alle Projekte")]) == [
        "page 1: heading 'Alle Projekte' is the last line of the page"
    ]
