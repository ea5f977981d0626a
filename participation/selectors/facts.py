"""The stored facts of ideas and processes (counts, latest answer) and how each is derived."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, DateTimeField, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from participation.models import Comment, Idea, Moderation, OfficialAnswer, Support

if TYPE_CHECKING:
    from django.db.models import Model


def _count(model: type[Model], *conditions: Q, **filters: Any) -> Coalesce:
    """A correlated count of rows hanging off the outer idea. The base manager is used on purpose: the
    subquery only reaches rows of ideas that the scoped outer query admitted."""
    rows = (
        model._base_manager.filter(*conditions, idea=OuterRef("pk"), **filters)
        .order_by()
        .values("idea")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


#: The comments the idea page shows: published ones, and replies only under a published comment.
SHOWN_COMMENTS = Q(moderation=Moderation.PUBLISHED) & (
    Q(parent__isnull=True) | Q(parent__moderation=Moderation.PUBLISHED)
)


def count_expressions() -> dict[str, Any]:
    """How an idea's stored counts are computed (``services.refresh_counts``): all supports, and the comments
    its page shows."""
    return {"support_count": _count(Support), "comment_count": _count(Comment, SHOWN_COMMENTS)}


def answered_at() -> Subquery:
    """How ``Idea.answered_at`` is derived: the moment of the idea's latest official answer, ``NULL`` while it has
    none. ``services.idea_answer`` stores it with each answer; ``manage.py idea_facts_refresh`` checks and
    repairs it (and the data migration that added the column filled it the same way)."""
    latest = (
        OfficialAnswer._base_manager.filter(idea=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values("created_at")
    )
    return Subquery(latest[:1], output_field=DateTimeField())


def answered(yes: bool = True) -> Q:
    """The one rule for "this idea has an official answer" (``yes``) or has none, wherever ideas are listed,
    counted or filtered (the lists, their capped counts and maps, the API, the key figures): the stored
    ``Idea.answered_at``, a column of the row, instead of looking for an answer row per idea."""
    return Q(answered_at__isnull=not yes)


def idea_facts() -> dict[str, Any]:
    """Every stored fact of an idea and how it is derived: the counts and the latest answer."""
    return {**count_expressions(), "answered_at": answered_at()}


def ideas_with_stale_facts(qs: QuerySet[Idea]) -> list[int]:
    """The ids of the ideas of ``qs`` whose stored facts differ from :func:`idea_facts` (none while every write
    goes through the services; ``manage.py idea_facts_refresh --check``)."""
    derived = idea_facts()
    rows = (
        qs.order_by("pk")
        .annotate(**{f"derived_{name}": expression for name, expression in derived.items()})
        .values_list("pk", *derived, *(f"derived_{name}" for name in derived))
    )
    width = len(derived)
    return [row[0] for row in rows if row[1 : 1 + width] != row[1 + width :]]


# --- Processes -------------------------------------------------------------------------------------------
def _published_idea_count() -> Coalesce:
    ideas = (
        Idea._base_manager.filter(process=OuterRef("pk"), moderation=Moderation.PUBLISHED)
        .order_by()
        .values("process")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(ideas, output_field=IntegerField()), Value(0))


def shown_idea_count() -> Coalesce:
    """How ``Process.shown_idea_count`` is computed (``services.touch_processes``): its published ideas."""
    return _published_idea_count()
