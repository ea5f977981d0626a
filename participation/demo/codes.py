"""Demo voting codes: a process whose vote is by codes (Bad Berleburg's Bürgerhaushalt) gets a batch of letters,
ordered through the service and built at once, as the worker builds it, so that the demo's residents can vote
with some of its codes (``participation.demo.loader``) and the staff page shows a batch with its letters.

The plain codes exist only in the letters (the PDF on the staff page ``…/codes/``) and, while the demo loads, in
this process's memory: the loader votes with the codes of the *last* letters and leaves the first ones unused,
so that whoever tries the demo finds a code that still votes on the first pages of the letters."""

from django.db import transaction

from accounts.models import User
from municipalities.models import Municipality
from participation.models import CodePurpose, Process, VotingCodeBatch
from participation.services import codes as codes_services


def order_demo_codes(
    *, process: Process, municipality: Municipality, by: User | None, count: int
) -> tuple[VotingCodeBatch, list[str]]:
    """A batch of ``count`` codes of ``municipality`` for ``process``'s vote (the service refuses a vote not by codes),
    with its letters built now (``participation.tasks.voting_code_letters_make``, the worker's own build): the
    batch and the plain codes in the letters' order. The task the order hands to the worker finds the batch done
    and builds nothing again."""
    from participation import tasks

    with transaction.atomic():
        batch = codes_services.voting_code_batch_order(
            process=process, purpose=CodePurpose.VOTE, count=count, by=by, acting_town=municipality
        )
    plain: list[str] = []
    if not tasks.voting_code_letters_make(batch.pk, keep=plain.extend):
        raise RuntimeError(f"The demo's voting codes for {process.title!r} were not made.")
    batch.refresh_from_db()
    return batch, plain
