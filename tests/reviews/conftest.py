import pytest

from tests import factories


@pytest.fixture
def editor_b(town_b):
    return factories.staff_member(municipality=town_b, role="editor", email="editor-b@example.org")
