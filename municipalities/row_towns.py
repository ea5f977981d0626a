"""Which towns a row concerns: the lead town and the partner towns of a row that several towns share.

One definition for the versions that writes move (``municipalities.freshness``: the public pages' channel and the
Agentur figures' channel); the apps with joint rows name their models (``projects.freshness.project_towns``,
``participation.freshness.process_towns``). The receivers run in any scope or none, so the lookups use the
unscoped base managers; the rows they start from were written by a caller that was allowed to.
Each function returns a condition on ``Municipality.pk`` (subqueries, no query of its own): an ``UPDATE`` of the
towns uses it as it is, :func:`town_ids` reads the ids in one query.
"""

from django.db.models import Model, Q

from .models import Municipality


def _lookup(rows, field: str) -> dict:
    """``{field: id}`` for one id, ``{field__in: query}`` for a query of ids (``values("project_id")``)."""
    return {f"{field}__in": rows} if hasattr(rows, "query") else {field: rows}


def lead_and_partner_towns(rows, *, lead: type[Model], partner: type[Model], partner_field: str) -> Q:
    """The lead towns (``lead.municipality``) and partner towns (``partner.municipality`` of the partner rows whose
    ``partner_field`` points at them) of ``rows``: one id of ``lead`` or a query of ids."""
    return Q(pk__in=lead._base_manager.filter(**_lookup(rows, "pk")).values("municipality_id")) | Q(
        pk__in=partner._base_manager.filter(**_lookup(rows, partner_field)).values("municipality_id")
    )


def town_ids(condition: Q) -> set[int]:
    """The ids of the towns that ``condition`` names, in one query."""
    return set(Municipality.objects.filter(condition).values_list("pk", flat=True))
