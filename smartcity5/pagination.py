"""A paginator that is told how many rows there are, instead of counting them with ``COUNT(*)`` per request."""

from django.core.paginator import Paginator


class CountedPaginator(Paginator):
    """Django's paginator with a known ``count`` (a stored count kept on write, e.g. ``Process.shown_idea_count``);
    without one (``None``) it counts as usual. Only give a count that is exactly what the query would count."""

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, count: int | None = None,
                 **kwargs):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page, **kwargs)
        if count is not None:
            self.__dict__["count"] = count  # ``count`` is a cached_property: it is then never computed
