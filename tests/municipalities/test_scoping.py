"""Tenant scoping fails loudly outside a scope, filters inside one, and audits cross-town reads."""

import pytest
from django.apps import apps
from django.db import models

from accounts.models import Membership
from municipalities.models import AccessibilityFeedback, AuditEntry, Municipality
from municipalities.scoping import ScopeError, TownOwnedModel, cross_town_scope, town_scope
from tests import factories

pytestmark = pytest.mark.django_db

TOWN_OWNED = [m for m in apps.get_models() if issubclass(m, TownOwnedModel)]


def test_there_are_town_owned_models():
    assert Membership in TOWN_OWNED and AccessibilityFeedback in TOWN_OWNED


@pytest.mark.parametrize("model", TOWN_OWNED, ids=lambda m: m._meta.label)
def test_every_town_owned_model_refuses_queries_outside_a_scope(model, town_a):
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.filter(municipality=town_a).count()
    with pytest.raises(ScopeError):
        model.objects.get(pk=1)


def test_every_model_that_points_at_a_town_is_town_owned():
    """A new model with a municipality field must use the scoped base class, or scoping is bypassed."""
    allowed = {"municipalities.Municipality"}
    offenders = []
    for model in apps.get_models():
        if model._meta.label in allowed or issubclass(model, TownOwnedModel):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.ForeignKey) and field.related_model is Municipality:
                offenders.append(f"{model._meta.label}.{field.name}")
    assert offenders == []


def test_town_scope_shows_only_that_towns_rows(town_a, town_b):
    factories.feedback(municipality=town_a, message="A")
    factories.feedback(municipality=town_b, message="B")
    with town_scope(town_a):
        assert [f.message for f in AccessibilityFeedback.objects.all()] == ["A"]
        # Even an explicit filter for the other town finds nothing.
        assert not AccessibilityFeedback.objects.filter(municipality=town_b).exists()
    with town_scope(town_b):
        assert [f.message for f in AccessibilityFeedback.objects.all()] == ["B"]


def test_scope_ends_with_the_block(town_a):
    with town_scope(town_a):
        AccessibilityFeedback.objects.count()
    with pytest.raises(ScopeError):
        AccessibilityFeedback.objects.count()


def test_cross_town_scope_reads_all_towns_and_writes_an_audit_entry(town_a, town_b, moderator):
    factories.feedback(municipality=town_a)
    factories.feedback(municipality=town_b)
    with cross_town_scope(purpose="test:overview", user=moderator, path="/agentur/"):
        assert AccessibilityFeedback.objects.count() == 2
    entry = AuditEntry.objects.get()
    assert entry.user == moderator
    assert entry.purpose == "test:overview"
    assert entry.path == "/agentur/"
    assert sorted(entry.municipality_slugs) == ["arnsberg", "soest"]


def test_cross_town_scope_limited_to_given_towns(town_a, town_b):
    factories.feedback(municipality=town_a)
    factories.feedback(municipality=town_b)
    with cross_town_scope(purpose="job:test", municipalities=[town_b]):
        assert AccessibilityFeedback.objects.count() == 1
    assert AuditEntry.objects.get().user is None


def test_a_request_runs_in_its_towns_scope(client, town_a, town_b, editor_a):
    factories.feedback(municipality=town_a, message="Nur in Arnsberg")
    factories.feedback(municipality=town_b, message="Nur in Soest")
    client.force_login(editor_a)
    response = client.get("/arnsberg/verwaltung/barrierefreiheit/")
    assert response.status_code == 200
    assert "Nur in Arnsberg" in response.text
    assert "Nur in Soest" not in response.text


def test_view_outside_a_town_cannot_query_town_data(rf, town_a):
    """Pages outside /<town>/ run without a scope: a forgotten filter raises instead of leaking."""
    from municipalities.middleware import MunicipalityScopeMiddleware

    seen = {}

    def view(request):
        try:
            AccessibilityFeedback.objects.count()
        except ScopeError:
            seen["raised"] = True
        return None

    MunicipalityScopeMiddleware(view)(rf.get("/konto/"))
    assert seen == {"raised": True}


def test_a_shared_row_is_seen_once_and_the_town_filter_is_a_condition_on_the_row(town_a, town_b, town_c):
    """A joint process's rows in a scope of the lead and the partner town: each once, counts not multiplied. The
    filter is the row's own town or an EXISTS for that one row, not ``pk IN (every visible row)``, so that a
    lookup by idea or process can use its own index (bench/README.md, "Query shapes at 100× the data")."""
    from django.db.models import Count

    from participation.models import Comment, Idea

    joint = factories.process(municipality=town_a, partners=[town_b], title="Gemeinsam")
    idea = factories.idea(process=joint, title="Radweg zwischen den Städten")
    factories.comment(idea=idea)
    factories.comment(idea=idea)
    alone = factories.process(municipality=town_c, title="Olpe allein")
    factories.comment(idea=factories.idea(process=alone, title="Nur in Olpe"))
    with cross_town_scope(purpose="test:shared", municipalities=[town_a, town_b]):
        assert Comment.objects.count() == 2
        assert list(Idea.objects.annotate(n=Count("comments")).values_list("title", "n")) == [
            ("Radweg zwischen den Städten", 2)
        ]
    with town_scope(town_b):  # the partner town owns none of these rows
        assert Comment.objects.filter(idea=idea).count() == 2
        sql = str(Comment.objects.filter(idea=idea).query).upper()
        assert "EXISTS" in sql and "IN (SELECT" not in sql
    with town_scope(town_c):
        assert not Comment.objects.filter(idea=idea).exists()
