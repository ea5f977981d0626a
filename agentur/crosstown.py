"""Cross-town reads for the Südwestfalen Agentur. Each function enters one audited cross-town scope."""

import hashlib

from django.core.cache import cache
from django.utils.translation import get_language

from municipalities import freshness
from municipalities.models import Municipality
from municipalities.scoping import cross_town_scope

from . import dashboard

#: How long the rendered table and charts of /agentur/ are kept. Their key holds every town's figure version, so
#: a change of the data shows at once; this only bounds what no version covers (a new release's templates).
FRAGMENT_SECONDS = 300


def agentur_dashboard(*, user, path: str, query, render=None) -> dict:
    """All active towns side by side (``/agentur/``): projects, funding, participation and staff figures,
    their trends per quarter, and the filters taken from ``query`` (field of action, phase; bad values are
    dropped). One audited read; a fixed number of queries whatever the number of towns or rows.

    Each town's figures come from the cache while its version has not moved (``freshness``, its figures' channel). With
    ``render`` (a function of the context of the table and charts, giving their HTML), the result holds
    ``figures_html`` instead of the sections and charts, rendered once for each set of the towns' versions,
    filters, day and language and then read from the cache."""
    from django.utils import timezone

    from projects.selectors.lists import fields_of_action

    towns = list(Municipality.objects.active().order_by("name"))
    fields = list(fields_of_action())  # a shared catalogue, not town data
    filters = dashboard.dashboard_filters(query, fields=fields)
    today = timezone.localdate()
    with cross_town_scope(purpose="agentur:towns-overview", user=user, path=path, municipalities=towns):
        versions = freshness.read_versions(town.pk for town in towns)
        result = {"towns": towns, "filters": filters, "fields": fields, "today": today}
        key = None
        if render is not None:
            state = repr(
                (
                    get_language(),
                    today.isoformat(),
                    getattr(filters.field, "pk", None),
                    filters.phase,
                    [(town.pk, town.slug, town.name, versions.get(town.pk)) for town in towns],
                )
            )
            key = f"{freshness.KEY_PREFIX}:agentur-page:{hashlib.sha256(state.encode()).hexdigest()}"
            html = cache.get(key)
            if html is not None:
                return {**result, "figures_html": html}
        data = dashboard.town_figures(towns=towns, filters=filters, today=today, versions=versions)
        sections = dashboard.table_sections(data, filters=filters)
    result.update(sections=sections, quarters=data["quarters"])
    if render is None:
        return result
    result.update(charts=dashboard.trend_charts(data))
    result["figures_html"] = html = render(result)
    cache.set(key, html, FRAGMENT_SECONDS)
    return result
