"""What the participation services share: the actor, labels, row locks, the rights checks and the stored versions and counts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F, Model, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import permissions
from municipalities.models import Municipality
from participation.models import ParticipationEvent, Process
from participation.selectors import facts as facts_selectors
from smartcity5 import workflow

if TYPE_CHECKING:
    from accounts.models import User


_M = TypeVar("_M", bound=Model)


#: How much of a text edited for privacy its history entry repeats (the current text is on the page anyway).
RECORDED_TEXT = 300


Kind = ParticipationEvent.Kind


def _actor(user: User | None) -> User | None:
    return user if user is not None and user.is_authenticated else None


#: History events after which a process's published ideas are counted again (an idea appeared or disappeared).
RECOUNTED = frozenset(
    {
        Kind.PROCESS_CREATED,
        Kind.IDEA_SUBMITTED,
        Kind.OFFLINE_ENTERED,
        Kind.AUTO_HIDDEN,
        Kind.APPROVED,
        Kind.HIDDEN,
    }
)


def touch_processes(process_ids: Iterable[int], *, recount: bool = False) -> None:
    """Stored freshness: mark the public content of these processes as changed now, in the caller's transaction
    (``Process.content_version`` + 1, ``content_changed_at``), and with ``recount`` count their published ideas
    again (``shown_idea_count``). Every write of this module that changes what the public sees of a process
    comes through here (through every history entry, ``ParticipationEvent.recorded``, or :func:`refresh_counts`),
    and so does account deletion.

    Concurrency: one short ``UPDATE`` of the process row at the end of the writer's transaction; the row stays
    locked only until that transaction commits. Locks are always taken contribution first, process last, and
    several processes in the order of their ids, so writers cannot deadlock on them. The version is an increment
    (``F() + 1``), never a timestamp, so two writers at the same moment both change it; the date only moves
    forward (``GREATEST``)."""
    ids = sorted({int(pk) for pk in process_ids if pk})
    if not ids:
        return
    rows = Process._base_manager.filter(pk__in=ids)
    # A transaction for the lock, no savepoint of its own: it runs inside every write of a contribution (a
    # savepoint would be two more round trips each), and an error here fails the caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        if recount or len(ids) > 1:
            # Locked first (in id order), so that the count below runs after any concurrent change has committed.
            # FOR NO KEY UPDATE: it does not wait for the key-share locks that inserting an idea takes on its
            # process (with FOR UPDATE, two requests that each inserted an idea could wait on each other).
            list(rows.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))
        now = timezone.now()
        fields = {
            "content_version": F("content_version") + 1,
            "content_changed_at": Greatest(Coalesce(F("content_changed_at"), Value(now)), Value(now)),
        }
        if recount:
            fields["shown_idea_count"] = facts_selectors.shown_idea_count()
        rows.update(**fields)


def require_answer_right(by: User | None, process: Process, acting_town: Municipality | None) -> None:
    """Answer, set the status, shortlist, link a project, enter offline ideas: editors of a participating town,
    in the name of ``acting_town`` (``permissions.can_answer_in_process``)."""
    permissions.require(
        by is None or permissions.can_answer_in_process(by, process, acting_town),
        _("Only editors of the process's towns may do this."),
    )


def require_moderation_right(by: User | None, acting_town: Municipality) -> None:
    """Approve, hide, edit for privacy: editors of the town whose queue it is, and Agentur moderators
    (``permissions.can_moderate``)."""
    permissions.require(
        by is None or permissions.can_moderate(by, acting_town),
        _("Only the town's editors and the Agentur's moderators moderate."),
    )


def _label(choice: Any) -> str:
    """A choice's label as the history stores it: a plain string in the portal's main language (a lazy label
    cannot be stored as JSON, and the history must not depend on who acted)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(choice.label)


def _locked(instance: _M) -> _M:
    """The row as it is now, locked until the transaction ends: decisions never act on a stale copy."""
    return workflow.lock(instance)
