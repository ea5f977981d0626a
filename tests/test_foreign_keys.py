"""Foreign keys in full_clean (smartcity5/relations.py): a related row the instance holds is not looked up again;
a bare id, a row being added and a deleted row are, and are refused as Django refuses them."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import ForeignKey

from municipalities.scoping import town_scope
from participation.models import Comment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def idea(town_a):
    with town_scope(town_a):
        yield factories.idea(process=factories.process(municipality=town_a))


def test_a_held_row_is_not_looked_up(idea, django_assert_num_queries):
    comment = Comment(idea=idea, municipality_id=idea.municipality_id, body="Gute Idee")
    with django_assert_num_queries(0):
        Comment._meta.get_field("idea").clean(idea.pk, comment)


def test_a_bare_id_is_looked_up_and_a_missing_row_refused(idea, django_assert_num_queries):
    field = Comment._meta.get_field("idea")
    with django_assert_num_queries(1):
        field.clean(idea.pk, Comment(idea_id=idea.pk))
    with django_assert_num_queries(1), pytest.raises(ValidationError) as refused:
        field.clean(idea.pk + 1000, Comment(idea_id=idea.pk + 1000))
    assert refused.value.code == "invalid"


def test_a_row_being_added_or_deleted_is_looked_up(idea, town_a, django_assert_num_queries):
    field = Comment._meta.get_field("idea")
    unsaved = factories.idea(process=idea.process)
    unsaved._state.adding = True  # as an object made in memory and never saved would be
    with django_assert_num_queries(1):
        field.clean(unsaved.pk, Comment(idea=unsaved))  # it does exist: allowed after the lookup
    comment = Comment(idea=idea)
    with town_scope(town_a):
        idea.delete()
    with pytest.raises(ValidationError):
        field.clean(comment.idea_id, comment)  # the held object lost its key with the row: looked up, refused


def test_every_foreign_key_of_every_model_follows_the_rule():
    missing = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.local_fields
        if isinstance(field, ForeignKey) and "validate" not in field.__dict__
    ]
    assert missing == []
