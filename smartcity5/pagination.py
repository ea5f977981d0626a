"""A paginator that is told how many rows there are, instead of counting them with ``COUNT(*)`` per request, or
that counts them only up to a cap."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

#: A filtered list (a search, a status) counts its rows up to this many: ``COUNT(*)`` over the first ``cap + 1``
#: rows instead of all of them, which for a common word was nearly the whole request at 200,000 ideas. More rows
#: are shown as "more than 1,000", and the pages reach the first 1,000.
COUNT_CAP = 1000


class CountedPaginator(Paginator):
    """Django's paginator with a known ``count`` (a stored count kept on write, e.g. ``Process.shown_idea_count``);
    without one (``None``) it counts as usual, or, with ``cap``, at most ``cap`` rows: then ``capped`` says
    whether more rows exist than ``count`` (which is ``cap``) and the pages end at the cap. Only give a count that
    is exactly what the query would count."""

    def __init__(
        self,
        object_list,
        per_page,
        orphans=0,
        allow_empty_first_page=True,
        *,
        count: int | None = None,
        cap: int | None = None,
        **kwargs,
    ):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page, **kwargs)
        self.cap = cap
        self.capped = False
        if count is not None:
            self.__dict__["count"] = count  # ``count`` is a cached_property: it is then never computed

    @cached_property
    def count(self) -> int:
        if self.cap is not None and hasattr(self.object_list, "matches"):
            # participation.selectors.ideas.IdeaPages: its first cap + 1 matches, kept for the pages and the map.
            found = len(self.object_list.matches(self.cap))
            self.capped = found > self.cap
            return min(found, self.cap)
        if self.cap is None or not hasattr(self.object_list, "query"):
            return super().count
        # SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1): the database stops after cap + 1 matching rows.
        found = self.object_list.order_by().values("pk")[: self.cap + 1].count()  # type: ignore[attr-defined]  # a queryset: it has .query
        if found > self.cap:
            self.capped = True
            return self.cap
        return found
