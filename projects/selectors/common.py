"""What the projects' reads share: the cache time and the stored version of the region's towns."""

from __future__ import annotations

from municipalities.models import Municipality

#: How long region-wide figures stay in the cache (the catalogue's size, similar projects). Their keys hold the towns'
#: stored version (municipalities.freshness.region_version), so a change makes a new key long before.
CACHE_SECONDS = 3600


def towns_version(towns: list[Municipality]) -> str:
    """The stored version of what the region scope of ``towns`` (the active ones) shows: their ids and
    ``content_version``s, which every write of a project row raises for its lead and partner towns
    (municipalities/freshness.py), and a change of a town itself for all."""
    return f"{len(towns)}.{sum(t.pk for t in towns)}.{sum(t.content_version for t in towns)}"
