"""Citizen participation: processes with phases, ideas (with place and image), comments, supports, reports,
moderation, the vote on a shortlist, official answers, and the history of every decision.

A process belongs to its town (``municipality``); a joint process is shared with partner towns like a joint
project. Everything that hangs off a process (ideas, comments, supports, ballots, reports, history) carries
the process's town and follows the process into each partner town's scope, and nowhere else.

What the public sees is decided in one place: :meth:`ModeratedQuerySet.visible` (published only). Hidden,
reported and waiting content never appears in lists, search, maps, detail pages or the API.
"""

from .codes import MAX_CODES_PER_BATCH, CodePurpose, VotingCode, VotingCodeBatch
from .contributions import Ballot, Comment, Support, Vote
from .flags import ContentFlag, FlagReason
from .history import ParticipationEvent
from .ideas import IDEA_TOWNS, Feasibility, Idea, IdeaStatus, OfficialAnswer, _image_path
from .moderation import Moderated, ModeratedManager, ModeratedQuerySet, Moderation
from .processes import (
    COMMENT_PHASES,
    INTERACTION_PHASES,
    PHASE_ORDER,
    PROCESS_TOWNS,
    ModerationMode,
    ParticipationSettings,
    Phase,
    Process,
    ProcessPartner,
    ProcessPhase,
    VoteMode,
)

__all__ = [
    "COMMENT_PHASES",
    "IDEA_TOWNS",
    "INTERACTION_PHASES",
    "MAX_CODES_PER_BATCH",
    "PHASE_ORDER",
    "PROCESS_TOWNS",
    "Ballot",
    "CodePurpose",
    "Comment",
    "ContentFlag",
    "Feasibility",
    "FlagReason",
    "Idea",
    "IdeaStatus",
    "Moderated",
    "ModeratedManager",
    "ModeratedQuerySet",
    "Moderation",
    "ModerationMode",
    "OfficialAnswer",
    "ParticipationEvent",
    "ParticipationSettings",
    "Phase",
    "Process",
    "ProcessPartner",
    "ProcessPhase",
    "Support",
    "Vote",
    "VoteMode",
    "VotingCode",
    "VotingCodeBatch",
    "_image_path",
]
