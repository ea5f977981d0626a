"""Editor Markdown: sanitised HTML only, safe links, headings below the heading above the text and never skipping a
level, tables kept."""

from html.parser import HTMLParser

from django.template import Context, Template
from django.utils.safestring import SafeString

from smartcity5.markdown import render_markdown


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(html) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(str(html))
    return parser.elements


def tags(html) -> set[str]:
    return {tag for tag, _ in elements(html)}


def test_result_is_safe_html():
    html = render_markdown("Hello **world** and *you*")
    assert isinstance(html, SafeString)
    assert html == "<p>Hello <strong>world</strong> and <em>you</em></p>"


def test_empty_text():
    assert render_markdown("") == ""
    assert isinstance(render_markdown(""), SafeString)


def test_script_is_removed_with_its_content():
    html = render_markdown("Before\n\n<script>alert('x')</script>\n\nAfter <script>steal()</script>")
    assert "script" not in html.lower()
    assert "alert" not in html and "steal" not in html
    assert "Before" in html and "After" in html


def test_javascript_links_lose_their_target():
    for link in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java&#x09;script:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
    ):
        html = render_markdown(f'[click]({link}) <a href="{link}">raw</a>')
        hrefs = [attrs.get("href") for tag, attrs in elements(html) if tag == "a"]
        assert hrefs and all(href is None for href in hrefs), (link, html)
        assert "javascript" not in html.lower()


def test_event_handler_attributes_are_removed():
    html = render_markdown(
        'Look <img src="x" onerror="alert(1)"> and <a href="https://a.de" onclick="x()">a</a>'
        '\n\n<p onmouseover="x()">p</p>'
    )
    assert "onerror" not in html and "onclick" not in html and "onmouseover" not in html
    assert "img" not in tags(html)


def test_raw_html_outside_the_allowlist_is_removed():
    html = render_markdown(
        '<div class="x" style="color:red">Text</div>\n\n<iframe src="https://evil.example">inner</iframe>'
        '\n\n<style>p { display: none }</style>\n\n<form action="/x"><input name="a"></form>\n\n<h1>Big</h1>'
    )
    assert tags(html) <= {"p"}
    assert "Text" in html and "Big" in html
    assert "inner" not in html and "display" not in html
    assert "style" not in html and "class" not in html


def test_links_get_rel_and_keep_safe_schemes():
    html = render_markdown(
        '[Web](https://example.org "Site") [Mail](mailto:rathaus@example.org) [Page](/projekte/)'
        " [Plain](http://example.org)"
    )
    links = [attrs for tag, attrs in elements(html) if tag == "a"]
    assert [a["href"] for a in links] == [
        "https://example.org",
        "mailto:rathaus@example.org",
        "/projekte/",
        "http://example.org",
    ]
    assert all(a["rel"] == "noopener nofollow ugc" for a in links)
    assert links[0]["title"] == "Site"


def test_headings_are_demoted_below_h2():
    html = render_markdown(
        "# One\n\n## Two\n\n### Three\n\n#### Four\n\n###### Six\n\nSetext\n======\n\nSub\n---"
    )
    assert [tag for tag, _ in elements(html)] == ["h3", "h4", "h5", "h6", "h6", "h3", "h4"]
    assert "h1" not in tags(html) and "h2" not in tags(html)


def test_tables_lists_quotes_and_code_are_kept():
    html = render_markdown(
        "| Stadt | Busse |\n|:--|--:|\n| Arnsberg | 12 |\n\n"
        "* a\n* b\n\n1. x\n2. y\n\n> Zitat\n\n---\n\n```\n<b>code</b>\n```\n\nInline `x < y`"
    )
    expected = {"table", "thead", "tbody", "tr", "th", "td", "ul", "ol", "li", "blockquote", "hr", "pre"}
    expected.add("code")
    assert expected <= tags(html)
    assert "&lt;b&gt;code&lt;/b&gt;" in html
    assert "x &lt; y" in html
    # Alignment comes as a style attribute, which the allowlist drops.
    assert "style" not in html


def test_images_are_dropped():
    html = render_markdown("![Logo](https://example.org/logo.png)")
    assert "img" not in tags(html)


def test_template_filter():
    template = Template("{{ text|markdown }}")
    html = template.render(Context({"text": "# Title\n\n<script>x</script>\n\n**bold** & <b>x</b>"}))
    assert html.startswith("<h3>Title</h3>")
    assert html.endswith("<p><strong>bold</strong> &amp; x</p>")
    assert "script" not in html
    assert template.render(Context({"text": None})) == ""


def test_headings_never_skip_a_level():
    # An editor starting at "###" under the section's <h2>: the text's top heading is <h3>, the next level <h4>.
    html = render_markdown(
        "### Ziele\n\nText\n\n##### Mobilität\n\n###### Busse\n\n### Finanzen\n\n#### Mittel"
    )
    assert [tag for tag, _ in elements(html) if tag.startswith("h")] == ["h3", "h4", "h5", "h3", "h4"]


def test_headings_follow_the_heading_above_the_text():
    # Right under the page's <h1> (an idea, a note): the top heading is <h2>; under an <h3> (an update) <h4>.
    assert [tag for tag, _ in elements(render_markdown("## A\n\n#### B", under=1))] == ["h2", "h3"]
    assert [tag for tag, _ in elements(render_markdown("# A\n\n## B", under=3))] == ["h4", "h5"]
    template = Template("{{ text|markdown:1 }}")
    assert template.render(Context({"text": "### Titel"})) == "<h2>Titel</h2>"
    # Raw HTML headings stay outside the allowlist as before.
    assert "h2" not in tags(render_markdown("<h2>Roh</h2>"))


def test_comments_render_the_same_safe_markdown_as_ideas(client, town_a):
    """The comment form offers Markdown; the idea page renders it with the ideas' allowlist (no raw HTML)."""
    from municipalities.scoping import town_scope
    from participation.models import Process
    from tests import factories

    process = factories.process(municipality=town_a)
    with town_scope(town_a):
        process = Process.objects.get(pk=process.pk)
    idea = factories.idea(process=process, body="Die **Idee** selbst.")
    body = "Das ist **fett** und *kursiv*:\n\n- eins\n- zwei\n\n[Link](javascript:alert(1)) <script>steal()</script>"
    factories.comment(idea=idea, body=body)
    page = client.get(idea.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    comment = page[page.index('class="sc5-comment') :]
    assert "<strong>fett</strong>" in comment and "<em>kursiv</em>" in comment and "**fett**" not in comment
    assert "<li>eins</li>" in comment
    assert "steal()" not in page and "javascript:" not in page
    assert render_markdown(body) in comment  # the one renderer and allowlist of ideas
