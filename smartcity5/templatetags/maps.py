"""The project map: a list of places that can be turned into a Leaflet map (``{% load maps %}``).

Usage: ``{% project_map points %}``, ``{% project_map points kind="ideas" %}`` or
``{% project_map points label empty_message %}``, where ``points`` is a list of dicts with the keys ``title``,
``url``, ``lat``, ``lon``, ``place`` and ``meta`` (the last two may be empty). The list of places is always
rendered; the map only when ``MAP_TILE_URL`` is set, and its tiles are requested only after the visitor clicks
"Show map" (see ``settings.MAP_TILE_URL``). Without a map no wording speaks of one: the heading and the empty
message of each ``kind`` come in two versions (see ``WORDING``).
"""

import math
import secrets
from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from smartcity5.pagination import MAP_POINT_LIMIT

register = template.Library()


def tile_url() -> str:
    """The configured tile URL template ("" when the map is switched off)."""
    return getattr(settings, "MAP_TILE_URL", "") or ""


def tile_attribution() -> str:
    """The provider's attribution, with ``{year}`` as the current year (basemap.de's source note names the
    year the data was obtained, which for live tiles is this year)."""
    return (getattr(settings, "MAP_TILE_ATTRIBUTION", "") or "").replace(
        "{year}", str(timezone.localdate().year)
    )


@register.simple_tag
def map_tiles_configured() -> bool:
    """``{% map_tiles_configured as has_map %}``: whether pages can offer a map at all."""
    return bool(tile_url())


_POINT_KEYS = ("title", "url", "place", "meta")


def _coordinate(value, limit: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or abs(number) > limit:
        return None
    return number


def _map_points(points) -> list[dict]:
    """Only the keys the script needs, and only points with valid coordinates."""
    result = []
    for point in points:
        lat = _coordinate(point.get("lat"), 90)
        lon = _coordinate(point.get("lon"), 180)
        if lat is None or lon is None:
            continue
        entry: dict[str, str | float] = {key: str(point.get(key) or "") for key in _POINT_KEYS}
        entry.update(lat=lat, lon=lon)
        result.append(entry)
    return result


# The heading and the empty message of the list of places, by kind of list: (with a map, without one). Without a
# map the page speaks of places only (MAP_TILE_URL empty, see docs/OPERATIONS.md).
WORDING = {
    "projects": (
        (gettext_lazy("Map of places"), gettext_lazy("No project has a place on the map yet.")),
        (gettext_lazy("Places of the projects"), gettext_lazy("No project has a place yet.")),
    ),
    "ideas": (
        (gettext_lazy("Map of ideas"), gettext_lazy("No idea has a place on the map yet.")),
        (gettext_lazy("Places of the ideas"), gettext_lazy("No idea has a place yet.")),
    ),
    "project": ((gettext_lazy("Place of the project"), ""), (gettext_lazy("Place of the project"), "")),
    "idea": ((gettext_lazy("Place of the idea"), ""), (gettext_lazy("Place of the idea"), "")),
}


# Said under the heading when the list holds more places than the map shows (MAP_POINT_LIMIT), by kind of list.
LIMITED = {
    "projects": gettext_lazy(
        "The places of the first %(limit)s projects of this list are shown. Narrow down the list to see others."
    ),
    "ideas": gettext_lazy(
        "The places of the first %(limit)s ideas of this list are shown. Narrow down the list to see others."
    ),
}


@register.inclusion_tag("components/map.html", takes_context=True)
def project_map(context, points, label="", empty="", kind="projects", geojson=""):
    # Up to MAP_POINT_LIMIT places; the views give one more when the list has more, and the map then says so.
    points = list(points or [])
    limited = len(points) > MAP_POINT_LIMIT
    points = points[:MAP_POINT_LIMIT]
    url = tile_url()
    default_label, default_empty = WORDING.get(kind, WORDING["projects"])[0 if url else 1]
    map_points = _map_points(points) if url else []
    show_map = bool(url and map_points)
    # Leaflet and the script are needed once per page, however many maps it holds.
    request = context.get("request")
    with_assets = show_map and not getattr(request, "_sc5_map_assets", False)
    if with_assets and request is not None:
        request._sc5_map_assets = True
    map_id = f"sc5-map-{secrets.token_hex(4)}"
    return {
        "points": points,
        "points_html": _points_html(points),
        "limited": LIMITED.get(kind, LIMITED["projects"]) % {"limit": MAP_POINT_LIMIT} if limited else "",
        "map_points": map_points,
        "label": label or default_label,
        "empty": empty or default_empty or WORDING["projects"][0 if url else 1][1],
        "map_id": map_id,
        "points_id": f"{map_id}-points",
        "show_map": show_map,
        "with_assets": with_assets,
        # The points' own address (GeoJSON), fetched when the map opens; the page then carries them only as links.
        "geojson": geojson if show_map else "",
        "tile_url": url,
        "tile_attribution": tile_attribution(),
        "tile_host": urlsplit(url).netloc,
    }


def _points_html(points: list[dict]) -> str:
    """The list of places as ``<li>`` items, built here instead of by a template loop: a list of ideas shows up to
    500 places, and the loop's tags and lookups cost a list page a third of its rendering time (branch
    ``ideascale``). Every value is escaped (``escape``, as the template did)."""
    items = []
    for point in points:
        place, meta = point.get("place"), point.get("meta")
        items.append(
            f'<li><a href="{escape(point.get("url", ""))}">{escape(point.get("title", ""))}</a>'
            f"{f' – {escape(place)}' if place else ''}{f' ({escape(meta)})' if meta else ''}</li>"
        )
    return mark_safe("\n".join(items))  # every value escaped above


@register.inclusion_tag("components/place_picker.html", takes_context=True)
def place_picker(context, form, bounds=None):
    """A map to pick a place for the form's ``latitude``/``longitude`` fields (inputs marked with
    ``data-sc5-pick``). Without MAP_TILE_URL there is no map; the fields can always be typed. ``bounds`` is a
    town's ``(south, west, north, east)``; clicks outside it are refused by the script and by the service."""
    url = tile_url()
    if "latitude" not in form.fields or not url:
        return {"show_map": False}
    from django.utils.formats import get_format

    map_id = f"sc5-pick-{secrets.token_hex(4)}"
    return {
        "show_map": True,
        "map_id": map_id,
        "bounds": ",".join(str(b) for b in bounds) if bounds else "",
        "latitude_id": form["latitude"].auto_id,
        "longitude_id": form["longitude"].auto_id,
        "decimal_separator": get_format("DECIMAL_SEPARATOR"),
        "tile_url": url,
        "tile_attribution": tile_attribution(),
        "tile_host": urlsplit(url).netloc,
    }
