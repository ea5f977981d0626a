"""The vote on a shortlist: casting a ballot and counting them."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from participation.models import Ballot, CodePurpose, Comment, Idea, Process, Vote
from participation.services import codes as codes_services
from participation.services.processes import _process_with_phases

if TYPE_CHECKING:
    from accounts.models import User
    from municipalities.models import Municipality


def _process_of(target: Idea | Comment) -> Process:
    return target.process if isinstance(target, Idea) else target.idea.process


# --- Votes -----------------------------------------------------------------------------------------------
def _voter_ballot(
    *, process: Process, user: User | None, code: str | None, code_town: Municipality | None
) -> Ballot:
    """The ballot the voter fills: a person's own (made once, found again to change it), or, in a vote by codes,
    a new one for the voting code, used here under its row lock (``services.codes.voting_code_use``): a code
    votes once, its ballot names no person and cannot be changed."""
    if process.vote_by_codes:
        if not code:
            raise ValidationError({"code": _("Please enter the code from your letter.")}, code="code_missing")
        voting_code = codes_services.voting_code_use(
            code=code,
            process=process,
            purpose=CodePurpose.VOTE,
            municipality=code_town or process.municipality,
        )
        return Ballot.objects.create(
            process=process, voting_code=voting_code, municipality_id=process.municipality_id
        )
    if user is None or not user.is_authenticated:
        raise ValidationError(_("Please sign in to vote."), code="sign_in")
    try:
        with transaction.atomic():
            ballot, _created = Ballot.objects.get_or_create(
                process=process, user=user, defaults={"municipality_id": process.municipality_id}
            )
    except IntegrityError:  # the same person's second tab got there first
        ballot = Ballot.objects.get(process=process, user=user)
    return ballot


@transaction.atomic
def ballot_cast(
    *,
    process: Process,
    user: User | None,
    votes: dict[int, int],
    on: datetime.date | None = None,
    code: str | None = None,
    code_town: Municipality | None = None,
) -> Ballot:
    """Cast or change one's ballot: ``votes`` maps shortlisted idea ids to numbers of votes.

    One ballot per person and process (a database constraint); its votes are replaced as a whole, under a
    lock on the ballot, so the total never exceeds what the process allows. In a process whose vote is by codes
    (``Process.vote_by_codes``) the voter is the ``code`` from a letter of ``code_town`` (default: the process's
    town) instead of ``user``: used once, never linked to the person (see :func:`_voter_ballot`)."""
    process = _process_with_phases(process)
    if not process.accepts_votes(on):
        raise ValidationError(_("The vote is not open."), code="phase")
    votes = {int(pk): int(count) for pk, count in votes.items() if int(count) > 0}
    if any(count > process.votes_per_idea for count in votes.values()):
        raise ValidationError(
            ngettext(
                "You can give one idea at most %(n)s vote.",
                "You can give one idea at most %(n)s votes.",
                process.votes_per_idea,
            )
            % {"n": process.votes_per_idea},
            code="per_idea",
        )
    if sum(votes.values()) > process.votes_per_person:
        raise ValidationError(
            ngettext(
                "You have %(n)s vote; you have given %(given)s.",
                "You have %(n)s votes; you have given %(given)s.",
                process.votes_per_person,
            )
            % {"n": process.votes_per_person, "given": sum(votes.values())},
            code="total",
        )
    allowed = set(
        process.ideas.visible().filter(is_shortlisted=True, pk__in=votes).values_list("pk", flat=True)  # type: ignore[attr-defined]  # Idea's manager
    )
    if set(votes) - allowed:
        raise ValidationError(_("Votes can only go to ideas on the shortlist."), code="shortlist")
    ballot = _voter_ballot(process=process, user=user, code=code, code_town=code_town)
    ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
    ballot.votes.all().delete()
    Vote.objects.bulk_create(
        [
            Vote(ballot=ballot, idea_id=pk, count=count, municipality_id=process.municipality_id)
            for pk, count in votes.items()
        ]
    )
    ballot.save(update_fields=["updated_at"])
    return ballot


def ballot_total(ballot: Ballot) -> int:
    return ballot.votes.aggregate(total=Sum("count"))["total"] or 0
