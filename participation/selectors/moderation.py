"""What waits for the moderators, and what a visitor may report to them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import BooleanField, Count, F, Func, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from participation.models import Comment, ContentFlag, Idea, Moderation, Process
from participation.selectors.ideas import idea_for

if TYPE_CHECKING:
    from accounts.permissions import AnyUser


def flag_target_idea(*, pk: int, user: AnyUser) -> Idea:
    """An idea a visitor may report to the moderators: a published one they can reach (``idea_for``). Raises
    ``Idea.DoesNotExist`` otherwise. The report page and the API use this."""
    idea = idea_for(pk=pk, user=user)
    if not idea.is_visible:
        raise Idea.DoesNotExist
    return idea


def flag_target_comment(*, pk: int, user: AnyUser) -> Comment:
    """A published comment on an idea the visitor can reach; raises ``Comment.DoesNotExist`` otherwise."""
    comment = Comment.objects.visible().filter(pk=pk).first()
    if comment is None:
        raise Comment.DoesNotExist
    try:
        comment.idea = idea_for(pk=comment.idea_id, user=user)
    except Idea.DoesNotExist:
        raise Comment.DoesNotExist from None
    return comment


def moderation_comment(*, pk: int) -> Comment:
    """A comment of the scope in any moderation state, with its idea, for the moderators' actions."""
    return Comment.objects.select_related("idea", "idea__process").get(pk=pk)


# --- Moderation ------------------------------------------------------------------------------------------
def _flag_count(field: str) -> Coalesce:
    rows = (
        ContentFlag._base_manager.filter(**{field: OuterRef("pk")}, resolved_at__isnull=True)
        .order_by()
        .values(field)
        .annotate(n=Count("reporter", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


class _AnyOf(Func):
    """``value = ANY(array)`` (PostgreSQL)."""

    output_field = BooleanField()
    arg_joiner = " = ANY("
    template = "(%(expressions)s))"


def waiting_for_moderation(model: type[Idea] | type[Comment], *, reported_in_sql: bool = False) -> Q:
    """Wartet auf Moderation: the one definition of what waits for a moderator's decision, for ideas and
    comments alike. A contribution waits while it is held for pre-moderation, while it is hidden after
    reports, and while it is still visible but has open reports (one report below the town's threshold is a complaint a
    moderator must see). The queue, the town's staff pages, the Agentur's dashboard, the town report and the
    API all count with this condition."""
    field = "idea" if model is Idea else "comment"
    open_reports = ContentFlag._base_manager.filter(resolved_at__isnull=True, **{f"{field}__isnull": False})
    if reported_in_sql:
        # For SQL that is compiled once and run again (the key figures, ``agentur.figures.compiled_rows``): the
        # ids read by the query itself, never frozen into its parameters. On PostgreSQL as ``id = ANY(ARRAY(…))``,
        # one array read first, which an index answers beside the waiting states (``IN (SELECT …)`` under the OR
        # made it test every comment of the town: 6 ms at 10,000).
        reported_ids = open_reports.order_by().values(field)
        if connection.vendor == "postgresql":
            from django.contrib.postgres.expressions import ArraySubquery

            return Q(moderation__in=(Moderation.PENDING, Moderation.REPORTED)) | Q(
                _AnyOf(F("pk"), ArraySubquery(reported_ids))
            )
        return Q(moderation__in=(Moderation.PENDING, Moderation.REPORTED)) | Q(pk__in=reported_ids)
    # The ids with open reports first (one query over the few open reports), so that the condition is two index
    # lookups (the waiting states, the ids) instead of a subquery for every idea or comment of the scope: the
    # moderation queue went from scanning the town's 300,000 comments to reading a handful. The base manager, as
    # the subquery before it: the ids only select rows that the scoped outer query admits.
    reported = list(open_reports.order_by().values_list(field, flat=True).distinct())
    return Q(moderation__in=(Moderation.PENDING, Moderation.REPORTED)) | Q(pk__in=reported)


def _owning_towns() -> list[int]:
    """The towns whose contributions the current scope can hold: the towns of its processes (its own town, and
    the lead towns of the joint processes it takes part in). A condition on an indexed column that the scope's
    own (``municipality = <town> OR EXISTS …``) implies, so adding it changes no result; it keeps the count of
    waiting items from testing the shared path of every other town's waiting comment (722 region-wide at 50 towns:
    60 ms)."""
    return sorted(set(Process.objects.order_by().values_list("municipality_id", flat=True)))


def moderation_queue() -> dict[str, Any]:
    """What moderators look at (:func:`waiting_for_moderation`), oldest first; ``count`` is all of it, even
    beyond the 200 of each kind that the page lists."""
    owners = _owning_towns()
    ideas: list[Any] = list(
        Idea.objects.filter(waiting_for_moderation(Idea), municipality_id__in=owners)
        .annotate(open_flags=_flag_count("idea"))
        .select_related("author", "process")
        .order_by("created_at", "pk")[:200]
    )
    comments: list[Any] = list(
        Comment.objects.filter(waiting_for_moderation(Comment), municipality_id__in=owners)
        .annotate(open_flags=_flag_count("comment"))
        .select_related("author", "idea", "idea__process")
        .order_by("created_at", "pk")[:200]
    )
    reports: dict[tuple[str, int | None], list[ContentFlag]] = {}
    ids = [i.pk for i in ideas]
    comment_ids = [c.pk for c in comments]
    for report in (
        ContentFlag.objects.filter(resolved_at__isnull=True)
        .filter(Q(idea__in=ids) | Q(comment__in=comment_ids))
        .order_by("created_at")
    ):
        key = ("idea", report.idea_id) if report.idea_id else ("comment", report.comment_id)
        reports.setdefault(key, []).append(report)
    for item in ideas:
        item.open_flag_list = reports.get(("idea", item.pk), [])
    for item in comments:
        item.open_flag_list = reports.get(("comment", item.pk), [])
    count = len(ideas) + len(comments)
    if len(ideas) == 200 or len(comments) == 200:
        count = moderation_count()
    return {"ideas": ideas, "comments": comments, "count": count}


def moderation_count() -> int:
    """How many contributions of the scope wait for a moderator (:func:`waiting_for_moderation`)."""
    owners = _owning_towns()
    return (
        Idea.objects.filter(waiting_for_moderation(Idea), municipality_id__in=owners).count()
        + Comment.objects.filter(waiting_for_moderation(Comment), municipality_id__in=owners).count()
    )
