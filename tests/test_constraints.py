"""Check constraints decided in Python (smartcity5.constraints): the database's verdict, without its query."""

import datetime
import itertools
import random
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from smartcity5 import constraints
from smartcity5.constraints import CheckConstraint, Undecided, verdict

pytestmark = pytest.mark.django_db

#: The project's own apps (in the working copy, not in the virtualenv).
PROJECT_APPS = {
    config.label
    for config in apps.get_app_configs()
    if Path(config.path).resolve().is_relative_to(Path(settings.BASE_DIR).resolve())
}

#: Conditions that only the database decides (a regular expression); every other one is decided in Python.
LEFT_TO_THE_DATABASE = {"municipality_brand_colour_hex", "api_token_digest_is_sha256_hex"}


def _check_constraints():
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS:
            for constraint in model._meta.constraints:
                if isinstance(constraint, models.CheckConstraint):
                    yield model, constraint


CHECKS = list(_check_constraints())


def _names(condition):
    """The fields a condition reads (its lookups' fields and the fields of its F())."""
    for child in condition.children:
        if isinstance(child, Q):
            yield from _names(child)
        else:
            yield child[0].split("__")[0]
            if isinstance(child[1], F):
                yield child[1].name


MOMENT = timezone.make_aware(datetime.datetime(2025, 6, 30, 12))


def _samples(field):
    """Values for ``field``, around every constant the project's conditions compare with, NULL included."""
    if field.choices:
        values = [value for value, _label in field.flatchoices] + ["", "unbekannt"]
    elif isinstance(field, models.FileField):
        values = ["", "nachweis.pdf"]
    elif isinstance(field, models.BooleanField):
        values = [True, False]
    elif isinstance(field, models.DecimalField):
        values = [
            Decimal("-0.01"),
            Decimal("0"),
            Decimal("0.01"),
            Decimal("1"),
            Decimal("100"),
            Decimal("100.01"),
        ]
    elif isinstance(field, models.FloatField):
        values = [-1.5, 0.0, 51.4]
    elif isinstance(field, models.IntegerField):
        values = [-1, 0, 1, 2, 4, 5, 100, 101, 5000, 5001]
    elif isinstance(field, models.DateTimeField):
        values = [MOMENT - datetime.timedelta(days=1), MOMENT, MOMENT + datetime.timedelta(seconds=1)]
    elif isinstance(field, models.DateField):
        values = [datetime.date(2025, 1, 1), datetime.date(2025, 6, 30), datetime.date(2025, 7, 1)]
    elif isinstance(field, models.ForeignKey):
        values = [1]
    elif isinstance(field, models.CharField | models.TextField):
        values = ["", "Begründung"]
    else:
        raise AssertionError(f"add samples for {field!r}")
    return [*values, None]


def _rows(model, constraint, count):
    """Up to ``count`` rows of ``model`` (unsaved), each field the condition reads set to one of its samples:
    every sample of every field at least once, the rest drawn at random (the same every run)."""
    fields = [model._meta.get_field(name) for name in dict.fromkeys(_names(constraint.condition))]
    pools = [_samples(field) for field in fields]
    combinations = list(itertools.product(*pools))
    random.Random(constraint.name).shuffle(combinations)
    chosen = combinations[:count]
    for index, pool in enumerate(pools):
        for value in pool:  # each sample once, the other fields as in the first row
            chosen.append((*chosen[0][:index], value, *chosen[0][index + 1 :]))
    for values in chosen:
        yield model(**{field.attname: value for field, value in zip(fields, values, strict=True)})


def test_every_check_constraint_of_the_project_is_decided_in_python_where_it_can_be():
    assert len(CHECKS) > 60, "the models lost their check constraints, or they were not found"
    plain = [f"{model.__name__}.{c.name}" for model, c in CHECKS if type(c) is not CheckConstraint]
    assert plain == [], "declare check constraints with smartcity5.constraints.CheckConstraint"
    undecided = set()
    for model, constraint in CHECKS:
        row = next(_rows(model, constraint, 1))
        try:
            verdict(constraint.condition, row._get_field_expression_map(meta=model._meta))
        except Undecided:
            undecided.add(constraint.name)
    assert undecided == LEFT_TO_THE_DATABASE


DECIDED_IN_PYTHON = [(model, c) for model, c in CHECKS if c.name not in LEFT_TO_THE_DATABASE]


@pytest.mark.parametrize("model,constraint", DECIDED_IN_PYTHON, ids=[c.name for _m, c in DECIDED_IN_PYTHON])
def test_python_and_the_database_give_the_same_verdict(model, constraint):
    for row in _rows(model, constraint, 24):
        against = row._get_field_expression_map(meta=model._meta)
        in_python = verdict(constraint.condition, against)
        in_the_database = Q(constraint.condition).check(against)
        assert (in_python is not False) == in_the_database, (constraint.name, against, in_python)


def test_a_violation_is_a_validation_error_with_the_constraints_message_and_no_query(
    django_assert_num_queries,
):
    from participation.models import Process

    process = Process(votes_per_idea=5, votes_per_person=3)
    constraint = next(c for c in Process._meta.constraints if c.name == "process_votes_per_idea_within_total")
    with django_assert_num_queries(0), pytest.raises(ValidationError) as error:
        constraint.validate(Process, process)
    assert error.value.messages == [constraint.get_violation_error_message()]
    process.votes_per_idea = 3
    with django_assert_num_queries(0):
        constraint.validate(Process, process)


def test_a_condition_on_an_excluded_field_is_not_validated_as_in_django():
    from participation.models import Process

    process = Process(votes_per_idea=5, votes_per_person=3)
    constraint = next(c for c in Process._meta.constraints if c.name == "process_votes_per_idea_within_total")
    constraint.validate(Process, process, exclude={"votes_per_person"})
    with pytest.raises(ValidationError):
        models.CheckConstraint.validate(
            constraint, Process, process
        )  # Django's own check agrees it is violated


def test_what_python_does_not_decide_the_database_still_does():
    from municipalities.models import Municipality

    town = Municipality(name="Arnsberg", slug="arnsberg", brand_colour="blau")
    constraint = next(c for c in Municipality._meta.constraints if c.name == "municipality_brand_colour_hex")
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError):
        constraint.validate(Municipality, town, exclude=set())
    assert any("SELECT" in query["sql"] for query in queries.captured_queries)
    town.brand_colour = "#1a2b3c"
    constraint.validate(Municipality, town)


@pytest.mark.parametrize(
    "condition,values,expected",
    [
        (Q(a__gte=F("b")), {"a": None, "b": 1}, None),  # NULL compared: unknown, the CHECK holds
        (~Q(a__gte=F("b")), {"a": None, "b": 1}, None),  # NOT unknown is unknown
        (Q(a__isnull=True) | Q(a__gte=1), {"a": None}, True),
        (Q(a=1) & Q(b__gte=1), {"a": 2, "b": None}, False),  # false AND unknown is false
        (Q(a=1) | Q(b__gte=1), {"a": 2, "b": None}, None),  # false OR unknown is unknown
        (Q(a__in=[1, None]), {"a": 1}, True),  # NULL in a list never matches (Django drops it)
        (Q(a__gt=""), {"a": ""}, False),
        (Q(a__gt=""), {"a": "x"}, True),
        (Q(a=None), {"a": None}, True),  # = None is IS NULL
    ],
)
def test_sql_three_valued_logic(condition, values, expected):
    from django.db.models import Value

    fields = {
        name: models.CharField() if isinstance(value, str) else models.IntegerField()
        for name, value in values.items()
    }
    against = {name: Value(value, fields[name]) for name, value in values.items()}
    assert verdict(condition, against) is expected


@pytest.mark.parametrize(
    "condition",
    [Q(a__regex="^x"), Q(a__gt="m"), Q(a__year=2025), Q(a=F("b") + 1), Q(a=1) ^ Q(b=1)],
    ids=["regex", "text-by-order", "transform", "expression", "xor"],
)
def test_what_is_left_to_the_database(condition):
    from django.db.models import Value

    against = {"a": Value("x", models.CharField()), "b": Value(1, models.IntegerField())}
    with pytest.raises(Undecided):
        verdict(condition, against)


def test_migrations_see_djangos_own_class():
    path, _args, kwargs = CheckConstraint(condition=Q(a__gte=1), name="x").deconstruct()
    assert path == "django.db.models.CheckConstraint" and kwargs["name"] == "x"
    assert constraints.UNKNOWN is None
