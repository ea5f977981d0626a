"""Demo voting codes: Bad Berleburg orders a batch of letters for the vote of its process (its Bürgerhaushalt, once
the demo has one), so that the staff page shows a batch with its letters and the vote by code can be tried."""

from django.db import transaction

from municipalities.models import Municipality
from municipalities.scoping import town_scope
from participation.models import CodePurpose, Process, VotingCodeBatch
from participation.services import codes as codes_services

DEMO_TOWN = "bad-berleburg"
DEMO_CODES = 50


def load_voting_codes(towns: list[Municipality]) -> VotingCodeBatch | None:
    """One batch of :data:`DEMO_CODES` codes of Bad Berleburg (the worker builds its letters after commit); loading
    again adds none."""
    town = next((town for town in towns if town.slug == DEMO_TOWN), None)
    if town is None:
        return None
    with town_scope(town):
        processes = Process.objects.filter(municipality=town).order_by("pk")
        process = processes.filter(title__icontains="Bürgerhaushalt").first() or processes.first()
        if process is None:
            return None
        existing = VotingCodeBatch.objects.filter(process=process).first()
        if existing is not None:
            return existing
        with transaction.atomic():
            return codes_services.voting_code_batch_order(
                process=process, purpose=CodePurpose.VOTE, count=DEMO_CODES, by=None, acting_town=town
            )
