"""A paginator that is told how many rows there are, instead of counting them with ``COUNT(*)`` per request, or
that counts them only up to a cap."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

#: A filtered list (a search, a status) counts its rows up to this many: ``COUNT(*)`` over the first ``cap + 1``
#: rows instead of all of them, which for a common word was nearly the whole request at 200,000 ideas. More rows
#: are shown as "more than 200", and the pages reach the first 200 (ten pages; the list says to narrow the search
#: for the others). It was 1,000: reading 1,001 matches made a common word's first request grow with the town
#: (twice the time at 40 times the ideas), while 201 matches are read at about the same cost at any size
#: (bench/README.md, "Search").
COUNT_CAP = 200

#: A list's map shows the places of at most this many of its entries, in the list's order (a filtered list: among
#: its first ``COUNT_CAP + 1`` matches), and says so when the list holds more (``smartcity5.templatetags.maps``):
#: each place is a marker, a link in the list of places and part of the page, so more made the page grow with the
#: town (and a map of more markers than this is no longer read as places).
MAP_POINT_LIMIT = 200


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
