"""How writes of the participation rows move the towns' versions (``municipalities.freshness``), registered by
``ParticipationConfig.ready``: the key figures' channel (the public pages follow the processes' own version,
``Process.content_version``, which a town's page key holds too)."""

from django.db.models import Q

from municipalities import row_towns
from municipalities.freshness import FIGURES, Towns, Watch, own


def process_towns(processes) -> Q:
    """The lead towns and partner towns of ``processes``: one process id or a query of process ids."""
    from .models import Process, ProcessPartner

    return row_towns.lead_and_partner_towns(
        processes, lead=Process, partner=ProcessPartner, partner_field="process_id"
    )


def process(row) -> Towns:
    return Q(pk=row.municipality_id) | process_towns(row.pk)


def of_process(row) -> Towns:
    return Q(pk=row.municipality_id) | process_towns(row.process_id)


def of_idea(row) -> Towns:
    """An answer or comment: its town and the towns of its idea's process (a joint process counts in each)."""
    from .models import Idea

    return Q(pk=row.municipality_id) | process_towns(
        Idea._base_manager.filter(pk=row.idea_id).values("process_id")
    )


def comment_counts(row, created: bool | None) -> bool:
    """Of the comments only the moderation figure counts: a comment published as it is written (post-moderation)
    or a published one that is deleted (its open reports are deleted with it, and say so themselves) changes no
    figure, so a lively discussion does not move its town's figures with every comment."""
    from .models import Moderation

    return not ((created or created is None) and row.moderation == Moderation.PUBLISHED)


def scope_version() -> str:
    """The version of the current scope's processes, part of a town's page key (``freshness.SCOPE_VERSIONS``)."""
    from .selectors.processes import scope_freshness

    return scope_freshness().version


WATCHED: dict[str, Watch] = {
    "participation.Process": Watch(process, FIGURES),
    "participation.ProcessPartner": Watch(of_process, FIGURES),
    "participation.Idea": Watch(of_process, FIGURES),
    "participation.OfficialAnswer": Watch(of_idea, FIGURES),
    "participation.Comment": Watch(of_idea, FIGURES, figures_if=comment_counts),
    "participation.ContentFlag": Watch(own, FIGURES),
}
