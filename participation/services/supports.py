"""Supports of ideas and the stored counts of ideas and processes."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participation.models import Idea, Support
from participation.selectors import facts as facts_selectors
from participation.services.common import touch_processes
from participation.services.processes import _process_with_phases
from participation.signals import participation_changed

if TYPE_CHECKING:
    from accounts.models import User


# --- Supports --------------------------------------------------------------------------------------------
def _support_open(idea: Idea, on: datetime.date | None) -> None:
    process = _process_with_phases(idea.process)
    if not idea.is_visible or not process.accepts_supports(on):
        raise ValidationError(_("Supports are closed for this idea."), code="phase")


def refresh_counts(idea_ids: Iterable[int]) -> None:
    """Recount the stored support and comment counts of these ideas (``Idea.support_count`` and
    ``comment_count``). The ideas are locked first, so the count runs after any concurrent change to them has
    committed and two changes at the same moment cannot leave a stale number."""
    ids = sorted({int(pk) for pk in idea_ids})
    if not ids:
        return
    # A transaction for the lock, no savepoint of its own (as in ``touch_processes``): an error here fails the
    # caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        # FOR NO KEY UPDATE: recounts of one idea wait for each other, but not for the key-share lock that each
        # new support or comment takes on its idea (a FOR UPDATE conflicts with it: two requests that each inserted
        # a support and then lock the idea could wait on each other).
        processes = set(
            Idea._base_manager.select_for_update(no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("process_id", flat=True)
        )
        Idea._base_manager.filter(pk__in=ids).update(
            **facts_selectors.count_expressions(), counts_changed_at=timezone.now()
        )
        touch_processes(processes)
        participation_changed.send(sender=Idea, municipality_id=None)


def idea_facts_refresh_all() -> int:
    """Store anew the facts of every idea whose stored ones differ from their rows (``selectors.idea_facts``: the
    counts and the latest answer), as the services would have stored them, and mark their processes as changed
    (caches and Last-Modified follow). For rows written past the services (a bulk load, a change by hand in the
    database); ``manage.py idea_facts_refresh``. Returns the number of ideas repaired."""
    stale = facts_selectors.ideas_with_stale_facts(Idea._base_manager.all())
    if not stale:
        return 0
    with transaction.atomic():
        rows = Idea._base_manager.filter(pk__in=stale)
        processes = set(
            rows.select_for_update(no_key=True).order_by("pk").values_list("process_id", flat=True)
        )
        rows.update(**facts_selectors.idea_facts(), counts_changed_at=timezone.now())
        touch_processes(processes)
        participation_changed.send(sender=Idea, municipality_id=None)
    return len(stale)


def support_add(*, idea: Idea, user: User, on: datetime.date | None = None) -> bool:
    """Support an idea. The database allows one support per person and idea: a second click (or two at the
    same moment) inserts nothing. Returns whether a support was added."""
    _support_open(idea, on)
    try:
        with transaction.atomic():
            Support.objects.create(idea=idea, municipality_id=idea.municipality_id, user=user)
    except IntegrityError:
        return False
    refresh_counts([idea.pk])
    return True


def support_withdraw(*, idea: Idea, user: User, on: datetime.date | None = None) -> bool:
    """Withdraw one's support; returns whether there was one."""
    _support_open(idea, on)
    deleted, _rows = Support.objects.filter(idea=idea, user=user).delete()
    if deleted:
        refresh_counts([idea.pk])
    return deleted > 0
