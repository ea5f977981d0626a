"""Cross-town reads for the Südwestfalen Agentur. Each function enters one audited cross-town scope."""

from .models import Municipality
from .scoping import cross_town_scope


def agentur_dashboard(*, user, path: str, query) -> dict:
    """All active towns side by side (``/agentur/``): projects, funding, participation and staff figures,
    their trends per quarter, and the filters taken from ``query`` (field of action, phase; bad values are
    dropped). One audited read; a fixed number of queries whatever the number of towns or rows."""
    from projects.selectors import fields_of_action

    from . import dashboard

    towns = list(Municipality.objects.active().order_by("name"))
    fields = list(fields_of_action())  # a shared catalogue, not town data
    filters = dashboard.dashboard_filters(query, fields=fields)
    with cross_town_scope(purpose="agentur:towns-overview", user=user, path=path, municipalities=towns):
        data = dashboard.town_figures(towns=towns, filters=filters)
        sections = dashboard.table_sections(data, filters=filters)
    return {"towns": towns, "sections": sections, "charts": dashboard.trend_charts(data), "filters": filters,
            "fields": fields, "quarters": data["quarters"], "today": data["today"]}
