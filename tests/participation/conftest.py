"""Fixtures of the participation tests: Arnsberg with its map area, and a process of it. Modules that need the
process inside a town scope, or with other vote rules, define their own ``process``."""

import pytest

from tests import factories


@pytest.fixture
def arnsberg(town_a):
    town_a.map_south, town_a.map_west, town_a.map_north, town_a.map_east = 51.30, 7.95, 51.50, 8.20
    town_a.save()
    return town_a


@pytest.fixture
def process(arnsberg):
    return factories.process(municipality=arnsberg, title="Ideen für Arnsberg")
