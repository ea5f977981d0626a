"""``field__any_of=ids`` (smartcity5.lookups): the same rows as ``__in``, with the ids sent as one parameter."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from municipalities.models import Municipality

pytestmark = pytest.mark.django_db


def test_any_of_finds_the_rows_of_the_ids_as_in_does(town_a, town_b, town_c):
    ids = [town_a.pk, town_c.pk, 10**9]  # an id that no row has
    with CaptureQueriesContext(connection) as queries:
        found = set(Municipality.objects.filter(pk__any_of=ids).values_list("slug", flat=True))
    assert found == set(Municipality.objects.filter(pk__in=ids).values_list("slug", flat=True))
    assert found == {town_a.slug, "olpe"}
    (query,) = queries.captured_queries
    assert str(10**9) in query["sql"] and query["sql"].count(str(town_a.pk)) >= 1
    # Excluded and combined like any lookup.
    assert set(Municipality.objects.exclude(pk__any_of=ids).values_list("slug", flat=True)) == {town_b.slug}


def test_any_of_sends_one_parameter_however_many_ids():
    ids = list(range(1, 2001))
    sql, params = Municipality.objects.filter(pk__any_of=ids).query.sql_with_params()
    if connection.vendor in ("postgresql", "sqlite"):
        assert len(params) == 1, (sql, len(params))


def test_any_of_no_id_finds_nothing_without_an_error(town_a):
    assert list(Municipality.objects.filter(pk__any_of=[])) == []


@pytest.mark.parametrize("bad", [["1"], [1.5], [True], [None]])
def test_any_of_takes_ids_only(bad):
    with pytest.raises(ValueError, match="ids"):
        Municipality.objects.filter(pk__any_of=bad)
