"""How every form reads (smartcity5.forms, components/*.html): the error summary with links to the fields, "Fehler: "
before the page title, one "– optional" at most and none where a field is needed in some cases, the empty choice
"Bitte wählen", legends and headings in order, named header forms."""

import itertools
import re
from html.parser import HTMLParser

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse

from municipalities.scoping import town_scope
from participation.forms import AnswerForm, BallotForm, IdeaForm
from participation.models import Process
from participation.services import ideas as ideas_services
from participation.services import processes as processes_services
from reviews.forms import DecisionForm
from smartcity5.forms import error_summary_entries, is_marked_optional, needed_sometimes
from tests import factories, helpers

pytestmark = pytest.mark.django_db


class _Page(HTMLParser):
    """The parts of a page these tests read: title, labels and legends (as text), links, headings, elements."""

    def __init__(self):
        super().__init__()
        self.title = ""
        self.labels: list[str] = []
        self.headings: list[int] = []
        self.elements: list[tuple[str, dict]] = []
        self._open: list[str] = []
        self._text: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag in ("title", "label", "legend"):
            self._open.append(tag)
            self._text[tag] = []

    def handle_endtag(self, tag):
        if self._open and self._open[-1] == tag:
            self._open.pop()
            text = re.sub(r"\s+", " ", "".join(self._text.pop(tag))).strip()
            if tag == "title":
                self.title = text
            else:
                self.labels.append(text)

    def handle_data(self, data):
        for tag in self._open:
            self._text[tag].append(data)

    def ids(self) -> set[str]:
        return {attrs["id"] for _tag, attrs in self.elements if attrs.get("id")}

    def summary_links(self) -> list[str]:
        return [
            attrs["href"]
            for tag, attrs in self.elements
            if tag == "a" and attrs.get("href", "").startswith("#") and attrs["href"] not in ("#main",)
        ]


def page(response) -> _Page:
    parser = _Page()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def arnsberg(town_a):
    return town_a


@pytest.fixture
def process(arnsberg):
    return factories.process(municipality=arnsberg, title="Ideen für Arnsberg")


def _url(name, municipality, **kwargs):
    return reverse(name, kwargs={"town_slug": municipality.slug, **kwargs})


def _assert_summary(response, targets: list[str]):
    """The page has one error summary at the top of the form, focused on load, whose links go to ``targets``,
    each an element of the page; and the title says "Fehler: " first."""
    html = response.content.decode()
    parsed = page(response)
    summaries = [attrs for _tag, attrs in parsed.elements if "data-sc5-error-summary" in attrs]
    assert len(summaries) == 1, html
    summary = summaries[0]
    assert summary["tabindex"] == "-1" and "autofocus" in summary
    assert summary["aria-labelledby"] in parsed.ids()
    links = [href for href in parsed.summary_links() if href != "#"]
    for target in targets:
        assert f"#{target}" in links, (target, links)
    assert all(href[1:] in parsed.ids() for href in links), links
    assert parsed.title.startswith("Fehler: "), parsed.title
    # The summary comes before the first field of the form.
    assert html.index("data-sc5-error-summary") < html.index(f'id="{targets[0]}"')


# --- The error summary and the title -----------------------------------------------------------------------------


def test_idea_form_errors_are_summarised_with_links_to_the_fields(client, process, arnsberg, citizen):
    client.force_login(citizen)
    url = _url("participation:idea-create", arnsberg, slug=process.slug)
    fresh = client.get(url)
    assert "data-sc5-error-summary" not in fresh.content.decode()
    assert not page(fresh).title.startswith("Fehler")
    response = client.post(url, {"title": "", "body": "", "latitude": "51,4"})
    assert response.status_code == 400
    # Both coordinates or none: the error sits on the longitude; the consent checkbox is required.
    _assert_summary(response, ["id_title", "id_body", "id_longitude", "id_consent"])
    text = re.sub(r"\s+", " ", response.content.decode())
    assert "Bitte prüfen Sie Ihre Eingaben." in text
    # Each link names its field.
    assert re.search(r'<a href="#id_title">Titel: [^<]+</a>', text), text
    # The inline error is still tied to its field.
    assert 'aria-describedby="id_title_error"' in text


def test_process_editor_summary_includes_the_phases(client, arnsberg, editor_a):
    client.force_login(editor_a)
    url = _url("participation:staff-process-create", arnsberg)
    data = {
        "title": "",
        "summary": "Ideen.",
        "description": "",
        "votes_per_person": "3",
        "votes_per_idea": "1",
        "phase-TOTAL_FORMS": "6",
        "phase-INITIAL_FORMS": "6",
        "phase-MIN_NUM_FORMS": "6",
        "phase-MAX_NUM_FORMS": "6",
    }
    for number, kind in enumerate(["information", "survey", "ideas", "evaluation", "vote", "results"]):
        data[f"phase-{number}-kind"] = kind
    data |= {
        "phase-2-use": "on",
        "phase-2-ends_on": "2027-03-31",
    }  # the idea collection without its first day
    response = client.post(url, data)
    assert response.status_code == 400
    _assert_summary(response, ["id_title", "id_phase-2-starts_on"])
    text = re.sub(r"\s+", " ", response.content.decode())
    assert re.search(r'<a href="#id_phase-2-starts_on">Ideensammlung – Von: [^<]+</a>', text), text


def test_non_field_errors_are_in_the_summary_too(client, arnsberg, citizen):
    today = helpers.today()
    process = factories.process(municipality=arnsberg, votes_per_person=1)
    ideas = [factories.idea(process=process, title=f"Vorschlag {n}") for n in range(2)]
    with town_scope(arnsberg):
        for idea in ideas:
            ideas_services.idea_set_shortlisted(idea=idea, shortlisted=True, by=None, acting_town=arnsberg)
        processes_services.process_change(
            process=Process.objects.get(pk=process.pk),
            by=None,
            acting_town=arnsberg,
            fields={},
            phases=[{"kind": "vote", "starts_on": today, "ends_on": today}],
        )
    client.force_login(citizen)
    response = client.post(
        _url("participation:vote", arnsberg, slug=process.slug), {f"idea_{i.pk}": "on" for i in ideas}
    )
    assert response.status_code == 400
    parsed = page(response)
    assert parsed.title.startswith("Fehler: ")
    summary = response.content.decode().split("data-sc5-error-summary", 1)[1].split("</div>\n</div>", 1)[0]
    assert "<li" in summary


def test_allauth_forms_get_the_summary_and_the_title(client):
    response = client.post(reverse("account_login"), {"login": "niemand@example.org", "password": "falsch"})
    assert response.status_code == 200
    parsed = page(response)
    assert parsed.title.startswith("Fehler: ")
    assert "data-sc5-error-summary" in response.content.decode()


def test_summary_entries_skip_what_cannot_be_focused():
    class Form(forms.Form):
        name = forms.CharField(label="Name")
        kind = forms.ChoiceField(label="Art", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
        ref = forms.IntegerField(widget=forms.HiddenInput)

        def clean(self):
            raise forms.ValidationError("Alles falsch.")

    form = Form({"ref": "x"})
    assert not form.is_valid()
    entries = error_summary_entries(form)
    assert entries[0] == ("", "Alles falsch.")
    targets = [target for target, _text in entries]
    assert "id_name" in targets and "id_kind_0" in targets  # a radio group: its first choice
    assert ("", "Enter a whole number.") in entries or any(t == "" and "Zahl" in x for t, x in entries)
    assert error_summary_entries(Form()) == []  # an unbound form has nothing to say


# --- Optional marks, the empty choice ----------------------------------------------------------------------------


def _label_marks(parsed: _Page) -> list[str]:
    return [label for label in parsed.labels if label.count("optional") > 1]


def test_no_doubled_optional_marks_and_no_dashes_on_the_main_forms(
    client, process, arnsberg, citizen, editor_a
):
    client.force_login(editor_a)
    pages = {
        "idea": _url("participation:idea-create", arnsberg, slug=process.slug),
        "project": _url("projects:staff-create", arnsberg),
        "process": _url("participation:staff-process-create", arnsberg),
        "feedback": _url("municipalities:accessibility", arnsberg),
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        html = response.content.decode()
        assert "---------" not in html, name
        assert _label_marks(page(response)) == [], name
    project = client.get(pages["project"]).content.decode()
    assert re.search(r"<option value=\"\"[^>]*>Bitte wählen</option>", project)
    feedback = page(client.get(pages["feedback"]))
    assert "Betroffene Seite – optional" in feedback.labels
    assert "Ihre E-Mail-Adresse für eine Antwort – optional" in feedback.labels


def test_idea_form_marks(client, process, arnsberg, citizen):
    client.force_login(citizen)
    parsed = page(client.get(_url("participation:idea-create", arnsberg, slug=process.slug)))
    # The groups are not marked, their optional fields are; the image description is needed with an image only.
    assert "Ort" in parsed.labels and "Bild" in parsed.labels
    assert "Bilddatei – optional" in parsed.labels
    assert "Bildbeschreibung" in " ".join(parsed.labels)
    assert not [
        label for label in parsed.labels if label.startswith("Bildbeschreibung") and "optional" in label
    ]
    html = client.get(_url("participation:idea-create", arnsberg, slug=process.slug)).content.decode()
    assert "Nötig, wenn Sie ein Bild hinzufügen" in html
    # A checkbox is never "optional": leaving it unticked is an answer.
    assert not [
        label for label in parsed.labels if label.startswith("Ich bin einverstanden") and "optional" in label
    ]


def test_the_rule_for_optional_marks(arnsberg, process):
    idea = factories.idea(process=process)
    ballot = BallotForm(ideas=[idea], process=process, current={})
    assert not is_marked_optional(ballot[f"idea_{idea.pk}"])  # a ballot marks nothing
    many = Process(votes_per_idea=3)
    numbers = BallotForm(ideas=[idea], process=many, current={})
    assert not is_marked_optional(numbers[f"idea_{idea.pk}"])
    form = IdeaForm(process=process, municipality=arnsberg)
    assert is_marked_optional(form["location_label"]) and is_marked_optional(form["image_upload"])
    assert not is_marked_optional(form["image_alt"]) and not is_marked_optional(form["consent"])
    assert not is_marked_optional(form["title"])
    decision = DecisionForm()
    assert not is_marked_optional(decision["remarks"])  # needed when the report is returned
    with town_scope(arnsberg):
        answer = AnswerForm(idea=idea)
    assert not is_marked_optional(answer["body"]) and not is_marked_optional(answer["merged_into"])

    class Labelled(forms.Form):
        name = forms.CharField()
        note = forms.CharField(label="Notiz (optional)", required=False)
        reason = needed_sometimes(forms.CharField(label="Grund", required=False))

    labelled = Labelled()
    assert not is_marked_optional(labelled["note"]) and not is_marked_optional(labelled["reason"])


def test_vote_page_has_no_optional_marks(client, arnsberg, citizen):
    today = helpers.today()
    process = factories.process(municipality=arnsberg, votes_per_person=2)
    idea = factories.idea(process=process, title="Vorschlag")
    with town_scope(arnsberg):
        ideas_services.idea_set_shortlisted(idea=idea, shortlisted=True, by=None, acting_town=arnsberg)
        processes_services.process_change(
            process=Process.objects.get(pk=process.pk),
            by=None,
            acting_town=arnsberg,
            fields={},
            phases=[{"kind": "vote", "starts_on": today, "ends_on": today}],
        )
    client.force_login(citizen)
    parsed = page(client.get(_url("participation:vote", arnsberg, slug=process.slug)))
    assert "Vorschlag" in parsed.labels


def test_every_empty_choice_reads_bitte_waehlen():
    class Form(forms.Form):
        colour = forms.ChoiceField(choices=[("", "---------"), ("r", "Rot")], required=False)
        kind = forms.TypedChoiceField(choices=[("", "Alle"), ("a", "A")], required=False)

    html = Template("{{ form }}").render(Context({"form": Form()}))
    assert "---------" not in html and ">Bitte wählen</option>" in html
    assert ">Alle</option>" in html  # a label of its own stays


# --- Headings, the header's forms ----------------------------------------------------------------------------------


def _skips(levels: list[int]) -> list[tuple[int, int]]:
    return [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]


def test_process_lists_do_not_skip_heading_levels(client, process, arnsberg):
    for url in (_url("participation:processes", arnsberg), reverse("region-processes")):
        parsed = page(client.get(url))
        assert 3 not in parsed.headings[:3], parsed.headings
        assert _skips(parsed.headings) == [], (url, parsed.headings)


def test_strategy_text_headings_follow_the_page(client, arnsberg, admin_a):
    from projects.models import Strategy

    with town_scope(arnsberg):
        Strategy.objects.create(
            municipality=arnsberg,
            kind=Strategy.Kind.TOWN,
            title="Smart-City-Strategie",
            summary="### Ziele\n\nText\n\n##### Mobilität\n\nMehr Busse.",
        )
    parsed = page(client.get(_url("projects:strategy", arnsberg)))
    assert 5 not in parsed.headings
    assert _skips(parsed.headings) == [], parsed.headings


def test_header_forms_have_names(client, citizen):
    client.force_login(citizen)
    parsed = page(client.get(reverse("region-home")))
    named = {attrs.get("aria-label") for tag, attrs in parsed.elements if tag == "form"}
    assert {"Abmelden", "Sprachauswahl"} <= named
