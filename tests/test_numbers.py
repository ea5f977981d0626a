"""The one number-reading rule (smartcity5.numbers): the table of inputs, every form's number fields, the API."""

import importlib
import json
from decimal import Decimal

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from municipalities.scoping import town_scope
from participation.models import Idea
from smartcity5 import numbers
from smartcity5.numbers import NumberError, PlainNumber, format_number, parse_number
from tests import factories

READ = [
    # German notation: the dot separates thousands, the comma the decimals.
    ("1.500", "1500"),
    ("1.500,5", "1500.5"),
    ("1500,5", "1500.5"),
    ("1500", "1500"),
    ("1.020", "1020"),
    ("1.500.000", "1500000"),
    ("1.500.000,25", "1500000.25"),
    ("1,5", "1.5"),
    ("1,50", "1.50"),
    ("0,500", "0.500"),
    (",5", "0.5"),
    ("1500,500", "1500.500"),
    ("-1.500", "-1500"),
    ("\u22121,5", "-1.5"),
    ("+7", "7"),
    ("1 500", "1500"),
    ("1\u00a0500,5", "1500.5"),
    ("  42  ", "42"),
    ("0", "0"),
    ("007", "7"),
    # Plain or English notation where nothing else can be meant.
    ("1500.5", "1500.5"),
    ("0.5", "0.5"),
    (".5", "0.5"),
    ("1,500.5", "1500.5"),
    ("1,500,000", "1500000"),
    ("12345.678", "12345.678"),
]

AMBIGUOUS = [
    # (input, text the German message must contain)
    ("1,500", "Bitte schreiben Sie 1.500 oder 1,5"),
    ("12,345", "Bitte schreiben Sie 12.345 oder 12,345"),
    ("-1,500", "Bitte schreiben Sie -1.500 oder -1,5"),
    ("1.50", "Meinten Sie 1,50?"),
    ("12.5", "Meinten Sie 12,5?"),
    ("1.5000", "Meinten Sie 1,5000?"),
]

INVALID = [
    "",
    "abc",
    "1.5E+3",
    "1e3",
    "NaN",
    "Infinity",
    "1500,",
    "1.",
    "1..5",
    "1.500.00",
    "1.50.000",
    "1,500,00",
    "1.500,500.5",
    "1,5,5",
    "12 34",
    "--5",
    "5-",
    "\u0663",
    "1/2",
    "0x10",
    "1_000",
]


@pytest.mark.parametrize(("text", "value"), READ)
def test_the_rule_reads(text, value):
    number = parse_number(text)
    assert number == Decimal(value) and isinstance(number, Decimal)


@pytest.mark.parametrize(("text", "message"), AMBIGUOUS)
def test_ambiguous_input_is_refused_with_a_german_message_saying_how_to_write_it(text, message):
    with translation.override("de"), pytest.raises(NumberError) as caught:
        parse_number(text)
    assert caught.value.code == "ambiguous" and message in str(caught.value.message)


@pytest.mark.parametrize("text", INVALID)
def test_what_is_no_number_is_refused(text):
    with translation.override("de"), pytest.raises(NumberError) as caught:
        parse_number(text)
    assert "Bitte geben Sie eine Zahl ein, z. B. 1.500 oder 1.500,5" in str(caught.value.message)


def test_units_are_read_only_where_the_field_allows_them():
    assert parse_number("12.500,00 €", units=("€",)) == Decimal("12500.00")
    assert parse_number("65,5 %", units=("%",)) == Decimal("65.5")
    with pytest.raises(NumberError):
        parse_number("65 %")


def test_coordinates_have_no_thousands():
    assert (
        parse_number("51.396", grouping=False) == parse_number("51,396", grouping=False) == Decimal("51.396")
    )
    with pytest.raises(NumberError):
        parse_number("51.396,5", grouping=False)


def test_json_numbers_are_machine_notation():
    assert parse_number(PlainNumber(12.5)) == Decimal("12.5")
    assert parse_number(PlainNumber(1500)) == Decimal(1500)
    with pytest.raises(NumberError):
        parse_number("12.5")  # the same text typed by a person is unclear


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (Decimal("1500.0000"), None, "1.500"),
        (Decimal("1500.5"), None, "1.500,5"),
        (Decimal("0.25"), None, "0,25"),
        (Decimal("-1234567.25"), 2, "-1.234.567,25"),
        (Decimal("12500"), 2, "12.500,00"),
        (1020, None, "1.020"),
        (Decimal("1E+3"), None, "1.000"),
    ],
)
def test_what_a_form_shows_reads_back_unchanged(value, places, text):
    assert format_number(value, decimal_places=places) == text
    assert parse_number(text) == Decimal(value)


# --- Every form ------------------------------------------------------------------------------------------------

# Hidden fields that carry a row's id, not a number a person types.
HIDDEN_IDS = {
    ("participation.forms", "CommentForm", "parent"),
    ("projects.forms", "ProjectFilterForm", "bundle"),
}
OURS = (numbers.NumberField, numbers.WholeNumberField)


def _project_forms():
    root = str(settings.BASE_DIR)
    for config in apps.get_app_configs():
        if config.path.startswith(root):
            try:
                importlib.import_module(f"{config.name}.forms")
            except ModuleNotFoundError as error:
                if error.name != f"{config.name}.forms":
                    raise
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        module = cls.__module__.split(".")[0]
        if module in {c.name for c in apps.get_app_configs() if c.path.startswith(root)} and cls not in found:
            found.append(cls)
    return found


def _number_fields():
    return [
        (form, name, field)
        for form in _project_forms()
        for name, field in form.base_fields.items()
        if isinstance(field, forms.DecimalField | forms.FloatField | forms.IntegerField)
        and (form.__module__, form.__name__, name) not in HIDDEN_IDS
    ]


def test_the_forms_are_found():
    names = {f"{form.__name__}.{name}" for form, name, _field in _number_fields()}
    assert {
        "IndicatorForm.baseline",
        "IndicatorForm.target",
        "MeasurementForm.value",
        "GrantForm.eligible_costs",
        "GrantForm.funding_rate",
        "SpendingForm.amount",
        "ProjectForm.planned_budget",
        "IdeaForm.latitude",
        "ProcessForm.votes_per_person",
        "ProgressUpdateForm.progress_percent",
    } <= names


def test_every_number_field_of_every_form_reads_by_the_rule():
    """A new form with a plain DecimalField/IntegerField fails here: use smartcity5.numbers (or a model form with
    ``formfield_callback = numbers.formfield``)."""
    stray = [
        f"{form.__module__}.{form.__name__}.{name}: {type(field).__name__}"
        for form, name, field in _number_fields()
        if not isinstance(field, OURS)
    ]
    assert stray == []


@pytest.mark.parametrize(
    ("form", "name", "field"),
    _number_fields(),
    ids=lambda v: v.__name__ if isinstance(v, type) else v if isinstance(v, str) else "",
)
def test_each_number_field_reads_german_and_refuses_what_is_ambiguous(form, name, field):
    with translation.override("de"):
        if getattr(field, "grouping", True):
            assert field.to_python("1.500") == 1500
            assert field.to_python("1.020") == 1020
            with pytest.raises(forms.ValidationError) as caught:
                field.to_python("1,500")
            assert "1.500" in caught.value.messages[0]
        else:  # coordinates
            assert field.to_python("51,396") == field.to_python("51.396") == Decimal("51.396")
        if isinstance(field, numbers.NumberField):
            assert field.to_python("1500,5") == Decimal("1500.5")
            assert field.prepare_value(Decimal("1500.5")) in ("1.500,5", "1.500,50", "1500,5")
        with pytest.raises(forms.ValidationError):
            field.to_python("1.5E+3")
        assert 'type="number"' not in str(field.widget.render(name, None))


# --- The forms through their pages and the API --------------------------------------------------------------------


def test_money_reads_the_same_rule(town_a):
    from funding.forms import GrantForm

    with translation.override("de"):
        form = GrantForm(municipality=town_a)
        assert form.fields["eligible_costs"].to_python("1.500.000,50 €") == Decimal("1500000.50")
        assert form.fields["funding_rate"].to_python("65 %") == Decimal(65)
        with pytest.raises(forms.ValidationError) as caught:
            form.fields["eligible_costs"].to_python("12.5")
        assert "Meinten Sie 12,5?" in caught.value.messages[0]
        with pytest.raises(forms.ValidationError) as caught:
            form.fields["eligible_costs"].to_python("zwölf")
        assert caught.value.messages == ["Bitte geben Sie einen Betrag in Euro ein, z. B. 12.500,00."]


@pytest.mark.django_db
def test_the_api_reads_json_numbers_as_numbers_and_text_by_the_rule(client, town_a, catalogue, citizen):
    process = factories.process(municipality=town_a)
    url = reverse("api:process-ideas", kwargs={"town_slug": town_a.slug, "slug": process.slug})
    client.force_login(citizen)
    idea = {"title": "Bank am Markt", "body": "Zum Ausruhen.", "consent": True}

    def post(**fields):
        return client.post(
            url,
            data=json.dumps({**idea, **fields}),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="de",
        )

    created = post(latitude=51.396, longitude=8.064)
    assert created.status_code == 201, created.json()
    as_text = post(title="Brunnen am Markt", latitude="51,4", longitude="8,05")
    assert as_text.status_code == 201, as_text.json()
    refused = post(title="Baum am Markt", latitude="51,396,1", longitude="8")
    assert refused.status_code == 400 and "latitude" in refused.json()
    with town_scope(town_a):
        stored = {i.title: (i.latitude, i.longitude) for i in Idea.objects.all()}
    assert stored == {
        "Bank am Markt": (Decimal("51.396"), Decimal("8.064")),
        "Brunnen am Markt": (Decimal("51.4"), Decimal("8.05")),
    }


def test_the_platform_admin_reads_numbers_by_the_rule_too():
    from django.contrib import admin

    from municipalities.models import Municipality

    model_admin = admin.site._registry[Municipality]
    population = model_admin.formfield_for_dbfield(Municipality._meta.get_field("population"), request=None)
    area = model_admin.formfield_for_dbfield(Municipality._meta.get_field("area_km2"), request=None)
    assert isinstance(population, numbers.WholeNumberField) and population.clean("74.000") == 74000
    assert isinstance(area, numbers.NumberField) and area.clean("193,4") == Decimal("193.4")
    with pytest.raises(forms.ValidationError):
        population.clean("1,500")
    assert 'type="number"' not in population.widget.render("population", 74000)


@pytest.mark.parametrize(
    ("value", "plain", "text"),
    [
        (Decimal("250.0000"), Decimal("250"), "250"),
        (Decimal("2.5000"), Decimal("2.5"), "2.5"),
        (Decimal("2E+1"), Decimal("20"), "20"),
        (Decimal("1500"), Decimal("1500"), "1500"),
        (Decimal("-0.000"), Decimal("0"), "0"),
        (Decimal("0.0000001"), Decimal("1E-7"), "0.0000001"),
        (1500.0, Decimal("1500"), "1500"),
        (2, Decimal("2"), "2"),
        (None, None, ""),
    ],
)
def test_plain_decimal_is_the_one_rule_for_showing_a_stored_number(value, plain, text):
    result = numbers.plain_decimal(value)
    assert result == plain
    if result is not None:
        assert str(result) == str(plain)
    assert numbers.plain_text(value) == text
    if value is not None:
        assert numbers.decimal_places(value) == (len(text.split(".")[1]) if "." in text else 0)
