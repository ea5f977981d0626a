"""Line breaks are refused in every single-line field (smartcity5.single_line) and never reach a mail header
(smartcity5.mail). The form test enumerates every form class of the project, so a new form is covered."""

import importlib
import json
import pkgutil

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.db import models
from django.urls import reverse

from municipalities.scoping import scopes_disabled, town_scope
from notifications.models import Notification
from notifications.services import notify
from notifications.tasks import notification_email_send
from participation.models import Idea
from smartcity5.single_line import is_single_line, validate_single_line
from tests import factories

BROKEN = "a\r\nb"
PROJECT_PACKAGES = [
    "smartcity5",
    "municipalities",
    "accounts",
    "projects",
    "participation",
    "funding",
    "notifications",
    "knowledge",
    "reviews",
    "reports",
    "api",
]


def _project_form_classes() -> list[type]:
    for package in PROJECT_PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".migrations" in info.name or ".tests" in info.name or info.name.endswith(".settings"):
                continue
            importlib.import_module(info.name)
    found, todo = set(), [forms.BaseForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in PROJECT_PACKAGES:
                found.add(sub)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


FORM_CLASSES = _project_form_classes()


def test_the_enumeration_finds_the_forms():
    names = {c.__name__ for c in FORM_CLASSES}
    assert {"IdeaForm", "CommentForm", "ProjectFileForm", "HoneypotForm"} <= names and len(names) > 30


@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_single_line_field_of_every_form_refuses_a_line_break(form_class):
    # BaseForm's own __init__: the form's fields as declared, without the arguments each form's __init__ wants.
    form = form_class.__new__(form_class)
    forms.BaseForm.__init__(form, data={})
    assert form.renderer.bound_field_class is not None, "the form must use the project's renderer"
    checked = 0
    for name, field in form.fields.items():
        if not is_single_line(field):
            continue
        form[name]
        with pytest.raises(forms.ValidationError) as refused:
            field.clean(BROKEN)
        assert "line_break" in {error.code for error in refused.value.error_list}, (name, refused.value)
        assert "line_break" not in _codes(field, "a b")
        checked += 1
    for name, field in form.fields.items():
        if isinstance(field, forms.CharField) and isinstance(field.widget, forms.Textarea):
            form[name]
            assert "line_break" not in _codes(field, BROKEN), name  # multi-line text keeps its line breaks


def _codes(field, value) -> set[str | None]:
    try:
        field.clean(value)
    except forms.ValidationError as error:
        return {e.code for e in error.error_list}
    return set()


def test_every_model_char_field_refuses_a_line_break():
    checked = [
        field
        for model in apps.get_models()
        for field in model._meta.local_fields
        if isinstance(field, models.CharField)
    ]
    assert len(checked) > 50
    for field in checked:
        assert validate_single_line in field.validators, field
    text_fields = [
        field
        for model in apps.get_models()
        for field in model._meta.local_fields
        if isinstance(field, models.TextField)
    ]
    assert text_fields and all(validate_single_line not in f.validators for f in text_fields)


# --- End to end -------------------------------------------------------------------------------------------


@pytest.fixture
def process(town_a, catalogue):
    return factories.process(municipality=town_a)


@pytest.mark.django_db
def test_an_idea_title_with_a_line_break_is_refused_on_the_page_and_in_the_api(client, process, citizen):
    client.force_login(citizen)
    page = reverse(
        "participation:idea-create", kwargs={"town_slug": process.municipality.slug, "slug": process.slug}
    )
    response = client.post(
        page,
        {
            "title": "Trinkbrunnen\r\nBcc: alle@example.org",
            "body": "Wasser.",
            "consent": "on",
            "homepage": "",
        },
    )
    assert response.status_code == 400
    assert "Zeile" in " ".join(response.context["form"].errors["title"])
    api = reverse("api:process-ideas", kwargs={"town_slug": process.municipality.slug, "slug": process.slug})
    response = client.post(
        api,
        json.dumps({"title": "Trinkbrunnen\nam Markt", "body": "Wasser.", "consent": True}),
        content_type="application/json",
    )
    assert response.status_code == 400 and "title" in response.json()
    with scopes_disabled():
        assert not Idea.objects.exists()


@pytest.mark.django_db
def test_a_moderator_cannot_retitle_with_a_line_break_through_the_api(client, town_a, process, staff_factory):
    from accounts.models import Role

    idea = factories.idea(process=process, title="Bank am Markt")
    admin = staff_factory(town_a, Role.ADMIN)
    client.force_login(admin)
    url = reverse("api:moderate-idea", kwargs={"town_slug": town_a.slug, "pk": idea.pk})
    response = client.post(
        url,
        json.dumps({"action": "retitle", "title": "Bank\r\nam Markt", "reason": "Name"}),
        content_type="application/json",
    )
    assert response.status_code == 400 and "title" in response.json(), response.content
    with town_scope(town_a):
        assert Idea.objects.get(pk=idea.pk).title == "Bank am Markt"


@pytest.mark.django_db
def test_a_title_stored_with_a_line_break_before_this_rule_still_gets_its_mail(town_a, editor_a):
    with town_scope(town_a):
        created = notify(
            municipality=town_a,
            recipients=[editor_a],
            kind="funding.deadline",
            key="t:1",
            title="Frist",
            url="/arnsberg/",
            email=False,
        )[0]
        Notification.objects.filter(pk=created.pk).update(title="Frist\r\nBcc: alle@example.org")
    assert notification_email_send.delay(municipality_id=town_a.pk, notification_id=created.pk).get() is True
    (sent,) = mail.outbox
    assert sent.subject == "Arnsberg: Frist Bcc: alle@example.org"
    assert "\n" not in sent.message().as_string().split("Subject:", 1)[1].split("\n", 1)[0]


def test_the_setting_names_the_renderer():
    assert settings.FORM_RENDERER == "smartcity5.forms.KernFormRenderer"
