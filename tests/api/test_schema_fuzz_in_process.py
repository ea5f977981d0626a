"""schemathesis over the whole API schema, anonymous and in-process: no 5xx, and every answer matches the schema.
The same with an editor's token against a live server: tests/api/test_schema_fuzz.py."""

import pytest
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from tests import factories
from tests.conftest import FAST_PASSWORD_HASHERS

from .fuzz import CHECKS, UNCOMPRESSED, each_operation, examples, keep_connection

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(keep_connection.__name__, "towns_with_content")]


@pytest.fixture(scope="module")
def towns_with_content(django_db_setup, django_db_blocker):
    """Two towns with public and internal projects and an idea each, made once for the ~50 tests of this module
    (a quarter of a second each time) in a transaction that each test's own savepoint (``db``) runs in, rolled back
    after the module's last test, as the demo is (tests/conftest.py). Every test here uses it and none is
    transactional, so no other test ever runs inside that transaction: pytest ends a module's fixtures before it
    starts a test of another module."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS),
        transaction.atomic(),
    ):
        for name, slug in (("Arnsberg", "arnsberg"), ("Soest", "soest")):
            town = factories.MunicipalityFactory(name=name, slug=slug, is_lead=slug == "arnsberg")
            factories.project(municipality=town)
            factories.project(municipality=town, visibility="internal")
            factories.idea(process=factories.process(municipality=town))
        # The deferred foreign keys, checked once here: a check made in a test's savepoint is undone with it.
        connection.check_constraints()
        yield
        transaction.set_rollback(True)


@each_operation
@examples(25, 200)
@given(data=st.data())
def test_api(operation, data):
    case = data.draw(operation.as_strategy())
    case.call_and_validate(headers=UNCOMPRESSED, checks=CHECKS)


def test_the_lists_the_fuzz_reads_have_rows(client):
    """The module's content is what each test sees (its savepoint inside the module's transaction): the lists'
    answers carry rows whose items the schema checks."""
    towns = client.get("/api/v1/towns/", HTTP_ACCEPT_ENCODING="identity").json()
    assert {town["slug"] for town in towns["results"]} == {"arnsberg", "soest"}
    projects = client.get("/api/v1/towns/arnsberg/projects/").json()
    assert projects["count"] == 1  # the public one; the internal project is not listed
