"""What an idea's page shows besides the idea: comments, the viewer's state, merge and project choices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Q, QuerySet

from municipalities.scoping import compiled_in_scope
from participation.models import Comment, ContentFlag, Idea, OfficialAnswer, Support
from participation.selectors.moderation import _flag_count, waiting_for_moderation
from projects.models import Project

if TYPE_CHECKING:
    from accounts.models import User
    from accounts.permissions import AnyUser


def comment_parent(*, idea: Idea, pk: int | None) -> Comment | None:
    """The published comment of ``idea`` a reply answers, or None (the model refuses replies to replies)."""
    if not pk:
        return None
    return Comment.objects.visible().select_related("parent").filter(pk=pk, idea=idea).first()


def comments_of(*, idea: Idea) -> list[Comment]:
    """Published top-level comments of an idea, oldest first, with their published replies
    (``comment.replies.all()``), in one query."""
    shown = list(
        Comment.objects.visible().filter(idea=idea).select_related("author").order_by("created_at", "pk")
    )
    replies: dict[int, list[Comment]] = {}
    for comment in shown:
        if comment.parent_id is not None:
            replies.setdefault(comment.parent_id, []).append(comment)
    top = [comment for comment in shown if comment.parent_id is None]
    # Filled in as prefetch_related would, without its per-comment filter on the scoped queryset (building and
    # cloning that cost more than the rest of a page with 200 comments). A reply always belongs to its parent's
    # idea, and a reply under a comment that is not published is not shown (SHOWN_COMMENTS). The cached
    # querysets are empty ones: filtering one further yields nothing rather than rows of another scope.
    empty = Comment._base_manager.none()
    cache_name = Comment.replies.field.remote_field.cache_name
    for comment in top:
        # Also as a plain list, for the page's comment threads (participation_tags.comment_threads): asking the
        # related manager for it 200 times cost more than the query.
        comment.shown_replies = replies.get(comment.pk, [])
        own = empty._chain()  # type: ignore[attr-defined]  # a private QuerySet method, see above
        own._result_cache = comment.shown_replies
        own._prefetch_done = True
        comment._prefetched_objects_cache = {cache_name: own}
    return top


#: The staff idea page: how many of the comments that wait for moderation it lists (the queue has all of them),
#: how many of the newest others it shows before "show all", and how many a page of "show all" holds.
STAFF_WAITING_SHOWN = 50


STAFF_LATEST_SHOWN = 20


STAFF_COMMENTS_PER_PAGE = 100


@dataclass(frozen=True)
class StaffComments:
    """The comments of the staff idea page (:func:`staff_comments`): those waiting for a moderator first (oldest
    first, with their open reports; at most :data:`STAFF_WAITING_SHOWN` of ``waiting_count``), then the others
    (``others`` of them): either the newest (``latest``, newest first) or, when every comment was asked for, a page
    of them oldest first (``page``)."""

    waiting: Sequence[Comment]
    waiting_count: int
    latest: list[Comment]
    page: Page[Comment] | None
    others: int

    @property
    def total(self) -> int:
        return self.waiting_count + self.others

    @property
    def more(self) -> bool:
        """Whether some of the others are not in ``latest``."""
        return self.page is None and self.others > len(self.latest)


def staff_comments(*, idea: Idea, everything: bool = False, page: str | None = None) -> StaffComments:
    """The staff idea page's comments (:class:`StaffComments`): those that wait (:func:`waiting_for_moderation`)
    and the newest :data:`STAFF_LATEST_SHOWN` others, not every comment with its links (most of the page's time
    at 378 comments, bench/README.md); ``everything`` pages through the others. Three queries (the ids with open
    reports, the waiting ones with their open reports counted, the newest others), one more to count the others
    when there are more than shown, and one more when more wait than are shown."""
    comments = Comment.objects.filter(idea=idea)
    waiting_condition = waiting_for_moderation(Comment)
    waiting = list(
        comments.filter(waiting_condition)
        .annotate(open_flags=_flag_count("comment"))
        .select_related("author")
        .order_by("created_at", "pk")[: STAFF_WAITING_SHOWN + 1]
    )
    waiting_count = len(waiting)
    if waiting_count > STAFF_WAITING_SHOWN:
        waiting_count = comments.filter(waiting_condition).count()
        waiting = waiting[:STAFF_WAITING_SHOWN]
    others = comments.exclude(waiting_condition).select_related("author")
    if everything:
        shown = Paginator(others.order_by("created_at", "pk"), STAFF_COMMENTS_PER_PAGE).get_page(page)
        return StaffComments(
            waiting=waiting, waiting_count=waiting_count, latest=[], page=shown, others=shown.paginator.count
        )
    latest = list(others.order_by("-created_at", "-pk")[:STAFF_LATEST_SHOWN])
    count = len(latest) if len(latest) < STAFF_LATEST_SHOWN else others.count()
    return StaffComments(waiting=waiting, waiting_count=waiting_count, latest=latest, page=None, others=count)


#: Stand-ins for the idea's and the person's id in the SQL of :func:`_viewer_state` (within bigint's range, so the
#: ORM compiles them as values; no row has such an id).
_IDEA_ID, _USER_ID = 9_000_000_000_000_000_011, 9_000_000_000_000_000_013


def _viewer_state(*, idea: Idea, user: User) -> tuple[bool, list[tuple[int | None, int | None]]]:
    """Whether ``user`` supports ``idea``, and the (idea_id, comment_id) of their reports on it and its comments
    (SQL compiled once per scope: building the two scoped queries cost more than running them)."""
    compiled = compiled_in_scope(
        "participation.viewer_state",
        lambda: [
            Support.objects.filter(idea_id=_IDEA_ID, user_id=_USER_ID).order_by().values("pk")[:1],
            ContentFlag.objects.filter(reporter_id=_USER_ID)
            .filter(Q(idea_id=_IDEA_ID) | Q(comment__idea_id=_IDEA_ID))
            .order_by()
            .values_list("idea_id", "comment_id"),
        ],
    )
    ids = {_IDEA_ID: idea.pk, _USER_ID: user.pk}
    results = []
    with connection.cursor() as cursor:
        for sql, params in compiled:
            cursor.execute(sql, tuple(ids.get(p, p) if isinstance(p, int) else p for p in params))
            results.append(cursor.fetchall())
    return bool(results[0]), [tuple(row) for row in results[1]]


def idea_page_related(*, idea: Idea, user: AnyUser) -> dict[str, Any]:
    """What the idea page shows besides the idea: published comments with their published replies, the
    official answers, and the visitor's own support and reports."""
    comments = comments_of(idea=idea)
    answers = list(
        OfficialAnswer.objects.filter(idea=idea).select_related("answering_town").order_by("created_at", "pk")
    )
    supported = reported_idea = False
    reported_comments: set[int] = set()
    if user.is_authenticated:
        supported, reports = _viewer_state(idea=idea, user=user)
        for idea_id, comment_id in reports:
            if comment_id:
                reported_comments.add(comment_id)
            elif idea_id:
                reported_idea = True
    return {
        "comments": comments,
        "answers": answers,
        "supported": supported,
        "reported_idea": reported_idea,
        "reported_comments": reported_comments,
        "comment_total": sum(1 + len(c.shown_replies) for c in comments),  # type: ignore[attr-defined,misc]  # set by comments_of
    }


def merge_candidates(*, idea: Idea) -> QuerySet[Idea]:
    """Ideas the idea can be merged into: other published ideas of its process that were not merged themselves."""
    return (
        Idea.objects.visible()
        .filter(process=idea.process)
        .exclude(pk=idea.pk)
        .exclude(status=Idea.Status.MERGED)
        .order_by("title")
    )


#: How many merge targets the staff idea page offers at once; a search finds the others (a process can hold
#: thousands of open ideas, and a select of all of them was most of the page's weight and time).
MERGE_CHOICES_SHOWN = 30


def merge_choices(*, idea: Idea, query: str = "", keep: int | str | None = None) -> list[Idea]:
    """The merge targets offered on the staff idea page: those matching ``query`` (the idea's number, or every word
    in its title), else the most supported; at most :data:`MERGE_CHOICES_SHOWN`, plus ``keep`` (the pk already
    chosen) so that a page shown again keeps the choice. Validation still accepts every merge candidate."""
    candidates = merge_candidates(idea=idea).only("pk", "title", "support_count")
    query = query.strip()
    if query.isdigit():
        shown = candidates.filter(pk=int(query))
    else:
        shown = candidates
        for word in query.split()[:8]:
            shown = shown.filter(title__icontains=word)
    rows = list(shown.order_by("-support_count", "title", "pk")[:MERGE_CHOICES_SHOWN])
    if keep and str(keep).isdigit() and all(row.pk != int(keep) for row in rows):
        rows += list(candidates.filter(pk=int(keep)))
    return rows


def project_choices(*, idea: Idea) -> QuerySet[Project]:
    """Projects of the towns that run the idea's process."""
    towns = [idea.process.municipality_id, *idea.process.partner_towns.values_list("pk", flat=True)]
    return Project.objects.filter(municipality__in=towns).order_by("title")


#: How many projects the staff idea page's project link offers at once; a search finds the others (a town can run
#: hundreds of projects, and a select of all of them was most of the page's rendering time).
PROJECT_CHOICES_SHOWN = 30


def project_link_choices(
    *, idea: Idea, query: str = "", keep: object = None, candidates: QuerySet[Project] | None = None
) -> list[Project]:
    """The projects offered for the idea's project link: those matching ``query`` (every word in the title, or the
    project's address), else the newest; at most :data:`PROJECT_CHOICES_SHOWN`, by title, plus ``keep`` (the pk
    already chosen or linked) so that a page shown again keeps the choice. Validation still accepts every project
    of :func:`project_choices` (``candidates``, when already built)."""
    candidates = (candidates if candidates is not None else project_choices(idea=idea)).only(
        "pk", "title", "slug", "municipality_id"
    )
    query = query.strip()
    shown = candidates
    if query:
        words = Q()
        for word in query.split()[:8]:
            words &= Q(title__icontains=word)
        shown = shown.filter(words | Q(slug=query.strip("/").rsplit("/", 1)[-1].lower()))
    rows = sorted(
        shown.order_by("-created_at", "-pk")[:PROJECT_CHOICES_SHOWN], key=lambda p: (p.title.casefold(), p.pk)
    )
    kept = str(keep) if keep else ""
    if kept.isdigit() and all(row.pk != int(kept) for row in rows):
        rows = list(candidates.filter(pk=int(kept))) + rows
    return rows
