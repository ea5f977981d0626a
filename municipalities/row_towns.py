"""Which towns a row concerns: a project's or a process's lead town and its partner towns.

One definition for the versions that writes move (``municipalities.freshness``: the public pages' channel and the
Agentur figures' channel). Its receivers run in any scope or none, so the lookups use the unscoped base managers;
the rows they start from were written by a caller that was allowed to.
Each function returns a condition on ``Municipality.pk`` (subqueries, no query of its own): an ``UPDATE`` of the
towns uses it as it is, :func:`town_ids` reads the ids in one query.
"""

from django.db.models import Q

from .models import Municipality


def _lookup(rows, field: str) -> dict:
    """``{field: id}`` for one id, ``{field__in: query}`` for a query of ids (``values("project_id")``)."""
    return {f"{field}__in": rows} if hasattr(rows, "query") else {field: rows}


def project_towns(projects) -> Q:
    """The lead towns and partner towns of ``projects``: one project id or a query of project ids."""
    from projects.models import Project, ProjectPartner

    return Q(pk__in=Project._base_manager.filter(**_lookup(projects, "pk")).values("municipality_id")) | Q(
        pk__in=ProjectPartner._base_manager.filter(**_lookup(projects, "project_id")).values(
            "municipality_id"
        )
    )


def process_towns(processes) -> Q:
    """The lead towns and partner towns of ``processes``: one process id or a query of process ids."""
    from participation.models import Process, ProcessPartner

    return Q(pk__in=Process._base_manager.filter(**_lookup(processes, "pk")).values("municipality_id")) | Q(
        pk__in=ProcessPartner._base_manager.filter(**_lookup(processes, "process_id")).values(
            "municipality_id"
        )
    )


def town_ids(condition: Q) -> set[int]:
    """The ids of the towns that ``condition`` names, in one query."""
    return set(Municipality.objects.filter(condition).values_list("pk", flat=True))
