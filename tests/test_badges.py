"""The one status badge ({% badge %}, smartcity5.templatetags.badges): the markup every page showed before, for
every status of every kind, and the tone filters that choose its variant."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation

from funding.models import DisbursementRequest, Milestone
from funding.templatetags.funding_tags import STATES
from participation.models import IdeaStatus, Moderation, Phase
from projects.models import Project
from reviews.models import ProgressReport


def old_markup(tone: str, label: str) -> str:
    """What each of the 59 template copies wrote before the tag."""
    return (
        f'<span class="kern-badge kern-badge--{tone}"><span class="kern-label kern-label--small">{label}</span>'
        "</span>"
    )


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


# (library, tone filter, states, the variant each state had in the templates)
KINDS = [
    (
        "project_tags",
        "status_tone",
        Project.Status,
        {
            "idea": "info",
            "planned": "info",
            "in_progress": "warning",
            "paused": "warning",
            "completed": "success",
            "cancelled": "danger",
        },
    ),
    ("project_tags", "visibility_tone", Project.Visibility, {"public": "success", "internal": "warning"}),
    (
        "project_tags",
        "transferability_tone",
        Project.Transferability,
        {"not_assessed": "info", "yes": "success", "partly": "info", "no": "info"},
    ),
    (
        "participation_tags",
        "idea_tone",
        IdeaStatus,
        {
            "submitted": "info",
            "under_review": "warning",
            "accepted": "success",
            "rejected": "danger",
            "implemented": "success",
            "merged": "info",
        },
    ),
    (
        "participation_tags",
        "moderation_tone",
        Moderation,
        {"published": "success", "pending": "warning", "reported": "danger", "hidden": "danger"},
    ),
    (
        "participation_tags",
        "phase_tone",
        Phase,
        {
            "information": "info",
            "survey": "success",
            "ideas": "success",
            "evaluation": "info",
            "vote": "success",
            "results": "info",
        },
    ),
    (
        "review_tags",
        "report_tone",
        ProgressReport.Status,
        {"draft": "info", "submitted": "warning", "accepted": "success", "returned": "danger"},
    ),
    (
        "funding_tags",
        "state_tone",
        DisbursementRequest.Status,
        {"draft": "info", "submitted": "info", "paid": "success", "rejected": "danger"},
    ),
    ("funding_tags", "state_tone", Milestone.Status, {"open": "info", "done": "success", "waived": "info"}),
]


@pytest.mark.parametrize(("library", "tone_filter", "choices", "tones"), KINDS, ids=[k[1] for k in KINDS])
def test_every_status_renders_the_badge_it_had_before(library, tone_filter, choices, tones):
    assert set(tones) == set(choices.values), "a status without a tested badge"
    source = f"{{% load {library} %}}{{% badge value|{tone_filter} %}}{{{{ label }}}}{{% endbadge %}}"
    with translation.override("de"):
        for value, label in choices.choices:
            assert render(source, value=value, label=label) == old_markup(tones[value], str(label))


def test_every_derived_funding_state_renders_its_label_and_tone():
    source = "{% load funding_tags %}{% badge state|state_tone %}{{ state|state_label }}{% endbadge %}"
    with translation.override("de"):
        for state, (label, tone) in STATES.items():
            assert render(source, state=state) == old_markup(tone, str(label))
    assert render(source, state="something_new") == old_markup("info", "something_new")


@pytest.mark.parametrize("tone", ["info", "success", "warning", "danger"])
def test_a_literal_tone_and_translated_label(tone):
    with translation.override("de"):
        html = render(f'{{% load i18n %}}{{% badge "{tone}" %}}{{% translate "Internal" %}}{{% endbadge %}}')
    assert html == old_markup(tone, "Intern")


def test_the_label_is_escaped_once():
    html = render('{% badge "info" %}{{ label }}{% endbadge %}', label="<b>Tom & Jerry</b>")
    assert html == old_markup("info", "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;")


def test_a_plural_label():
    source = (
        '{% load i18n %}{% badge "danger" %}{% blocktranslate count counter=n %}{{ counter }} overdue'
        "{% plural %}{{ counter }} overdue{% endblocktranslate %}{% endbadge %}"
    )
    with translation.override("de"):
        assert render(source, n=2) == old_markup("danger", "2 überfällig")


def test_a_tone_kern_has_no_variant_for_is_an_error():
    with pytest.raises(TemplateSyntaxError):
        render('{% badge "sucess" %}x{% endbadge %}')
    with pytest.raises(TemplateSyntaxError):
        Template("{% badge %}x{% endbadge %}")
