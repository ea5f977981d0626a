"""The vote: casting a ballot (online, or a paper ballot entered by staff), checked by the process's kind of
vote, and counting them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from municipalities.models import Municipality
from participation.models import Ballot, CodePurpose, Comment, Idea, ParticipationEvent, Process, Vote
from participation.selectors import ballots as ballots_selectors
from participation.services import codes as codes_services
from participation.services.common import Kind, _actor, require_answer_right
from participation.services.processes import _process_with_phases
from smartcity5.history import record
from smartcity5.money import format_eur

if TYPE_CHECKING:
    from accounts.models import User


def _process_of(target: Idea | Comment) -> Process:
    return target.process if isinstance(target, Idea) else target.idea.process


# --- The rules of a ballot -------------------------------------------------------------------------------
def _clean_votes(votes: dict[int, int]) -> dict[int, int]:
    return {int(pk): int(count) for pk, count in votes.items() if int(count) > 0}


def _check_on_ballot(process: Process, votes: dict[int, int]) -> list[Idea]:
    """The ideas voted for, each of them on this process's ballot (``selectors.ballot_ideas``)."""
    ideas = list(ballots_selectors.ballot_ideas(process=process).filter(pk__in=votes))
    if len(ideas) != len(votes):
        message = (
            _("Votes can only go to the feasible proposals of this participatory budget.")
            if process.is_budget
            else _("Votes can only go to ideas on the shortlist.")
        )
        raise ValidationError(message, code="shortlist")
    return ideas


def votes_check(*, process: Process, votes: dict[int, int]) -> dict[int, int]:
    """A vote by numbers of votes: at most ``votes_per_idea`` for one idea, ``votes_per_person`` in all."""
    votes = _clean_votes(votes)
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
    _check_on_ballot(process, votes)
    return votes


def budget_total(*, process: Process, chosen: list[Idea]) -> Decimal:
    """What the chosen proposals cost together (the town's costs)."""
    return sum((idea.cost_estimate or Decimal(0) for idea in chosen), Decimal(0))


def budget_check(*, process: Process, votes: dict[int, int]) -> dict[int, int]:
    """A participatory budget's ballot: each chosen feasible proposal gets one vote, and their costs together
    stay within the budget (``Process.budget_cap``)."""
    chosen = {pk for pk, count in _clean_votes(votes).items() if count}
    ideas = _check_on_ballot(process, dict.fromkeys(chosen, 1))
    total = budget_total(process=process, chosen=ideas)
    cap = process.budget_cap or Decimal(0)
    if total > cap:
        raise ValidationError(
            _(
                "The proposals you chose cost %(total)s together, %(over)s more than the budget of %(cap)s. "
                "Please leave out one or more of them."
            )
            % {
                "total": format_eur(total, places=0),
                "over": format_eur(total - cap, places=0),
                "cap": format_eur(cap, places=0),
            },
            code="over_budget",
        )
    return dict.fromkeys(chosen, 1)


def ballot_check(*, process: Process, votes: dict[int, int]) -> dict[int, int]:
    """The votes of one ballot as they are stored, checked by the process's kind of vote (or ``ValidationError``)."""
    return (
        budget_check(process=process, votes=votes)
        if process.is_budget
        else votes_check(process=process, votes=votes)
    )


def _replace_votes(ballot: Ballot, votes: dict[int, int]) -> None:
    ballot.votes.all().delete()
    Vote.objects.bulk_create(
        [
            Vote(ballot=ballot, idea_id=pk, count=count, municipality_id=ballot.municipality_id)
            for pk, count in votes.items()
        ]
    )


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
    """Cast or change one's ballot: ``votes`` maps idea ids on the ballot to numbers of votes (in a
    participatory budget, the chosen proposals to 1).

    One ballot per person and process (a database constraint); its votes are replaced as a whole, under a
    lock on the ballot, so the total never exceeds what the process allows. In a process whose vote is by codes
    (``Process.vote_by_codes``) the voter is the ``code`` from a letter of ``code_town`` (default: the process's
    town) instead of ``user``: used once, never linked to the person (see :func:`_voter_ballot`)."""
    process = _process_with_phases(process)
    if not process.accepts_votes(on):
        raise ValidationError(_("The vote is not open."), code="phase")
    votes = ballot_check(process=process, votes=votes)
    # Who casts: the person's account, or in a vote by codes the code (used here, under its row lock).
    ballot = _voter_ballot(process=process, user=user, code=code, code_town=code_town)
    ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
    _replace_votes(ballot, votes)
    ballot.save(update_fields=["updated_at"])
    return ballot


@transaction.atomic
def paper_ballot_enter(
    *,
    process: Process,
    by: User | None,
    acting_town: Municipality,
    votes: dict[int, int],
    on: datetime.date | None = None,
) -> Ballot:
    """A paper ballot (sent by post or put in a ballot box) typed in by an editor of a town of the process: the
    same rules as online, counted with the rest; from the start of the vote on, also after it has ended (post
    arrives late), and recorded in the history. It has no voter."""
    require_answer_right(by, process, acting_town)
    process = _process_with_phases(process)
    vote = process.phase("vote")
    if vote is None or (on or timezone.localdate()) < vote.starts_on:
        raise ValidationError(_("Paper ballots can be entered once the vote has started."), code="phase")
    votes = ballot_check(process=process, votes=votes)
    if not votes:
        raise ValidationError(
            _("The ballot gives no vote. Please tick what was marked on the paper."), code="empty"
        )
    ballot = Ballot.objects.create(
        process=process, municipality_id=process.municipality_id, is_paper=True, entered_by=_actor(by)
    )
    _replace_votes(ballot, votes)
    record(
        ParticipationEvent,
        municipality=process.municipality,
        kind=Kind.PAPER_BALLOT,
        by=by,
        acting_town=acting_town,
        process=process,
        subject=process.title,
    )
    return ballot


def ballot_total(ballot: Ballot) -> int:
    return ballot.votes.aggregate(total=Sum("count"))["total"] or 0
