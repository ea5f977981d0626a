"""The points of the place maps (``{% project_map %}``): a list's located ideas or projects, read as the few columns a
point shows, with their addresses and status labels."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django.db.models import Model, QuerySet
from django.urls import reverse

from smartcity5.pagination import MAP_POINT_LIMIT

#: The columns of a point after the one its address names it by (``MapPoints.key``), in the order ``points`` reads
#: them.
COLUMNS = ("title", "latitude", "longitude", "location_label", "status", "municipality__slug")


@dataclass(frozen=True)
class MapPoints:
    """The map of one kind of row; each app declares what differs: the page a point links to (``url_name``, under
    ``town_slug``), the column that names the row in that address (``key``, also the URL's parameter: ``pk`` or
    ``slug``) and the labels of the statuses (``Model.Status.choices``)."""

    url_name: str
    key: str
    statuses: Sequence[tuple[Any, Any]]

    def points(
        self, located: QuerySet[Any] | Iterable[Model], *, town_slug: str | None
    ) -> list[dict[str, Any]]:
        """The map's points of the rows of ``located`` that have a place, in its order. A queryset is read as rows
        of the point's columns (not as model instances: 500 ideas and their status labels were most of a filtered
        list's map), up to MAP_POINT_LIMIT + 1, one more than the map shows: it then says that the list holds more
        (``smartcity5.templatetags.maps``). Objects already read (a page's own idea or project) are taken as they
        are. Links stay in ``town_slug`` when given (a joint row on a partner town's page), else in the row's own
        town."""
        if isinstance(located, QuerySet):
            rows: Iterable[Sequence[Any]] = (
                located.filter(latitude__isnull=False)
                .select_related(None)
                .prefetch_related(None)
                .values_list(self.key, *COLUMNS)[: MAP_POINT_LIMIT + 1]
            )
        else:
            read = attrgetter(self.key, *(column.replace("__", ".") for column in COLUMNS))
            rows = [read(row) for row in located]
        # One reverse() per town, not per point (500 points cost 535 reverse() calls), and each status label once,
        # not a lazy label per point.
        prefixes: dict[str, str] = {}
        labels = {value: str(label) for value, label in self.statuses}

        def url(key: Any, slug: str) -> str:
            slug = town_slug if town_slug is not None else slug
            if slug not in prefixes:
                prefixes[slug] = reverse(self.url_name, kwargs={"town_slug": slug, self.key: "0"})[:-2]
            return f"{prefixes[slug]}{key}/"

        return [
            {
                "title": title,
                "url": url(key, slug),
                "lat": float(latitude),
                "lon": float(longitude),
                "place": place,
                "meta": labels.get(status, status),
            }
            for key, title, latitude, longitude, place, status, slug in rows
            if latitude is not None and longitude is not None
        ]
