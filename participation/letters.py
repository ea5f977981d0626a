"""The letters of a batch of voting codes: one A4 page per code (town, process, how to take part, the address,
the code), typeset by WeasyPrint in the worker (``participation.tasks.voting_code_letters_build``)."""

from collections.abc import Callable, Sequence
from pathlib import Path

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext

from participation.models import CodePurpose, VotingCodeBatch
from smartcity5.mail import site_url

#: Pages typeset at a time, between two progress steps (about 10 ms a page on the test machine).
PAGES_PER_STEP = 500


def letters_address(batch: VotingCodeBatch) -> str:
    """Where the letter sends its reader: the process's vote or survey page in the batch's town."""
    name = "participation:vote-code" if batch.purpose == CodePurpose.VOTE else "surveys:survey"
    return site_url(reverse(name, kwargs={"town_slug": batch.municipality.slug, "slug": batch.process.slug}))


def letters_pdf(batch: VotingCodeBatch, codes: Sequence[str], *, progress: Callable[[int], None]) -> bytes:
    """The PDF of the letters: typeset in steps of :data:`PAGES_PER_STEP` pages (progress 10 → 85), then written
    as one document."""
    from weasyprint import HTML

    context = {
        "batch": batch,
        "municipality": batch.municipality,
        "process": batch.process,
        "address": letters_address(batch),
        "brand": batch.municipality.brand_colour or "#00508C",
        "document_title": gettext("Voting codes: %(process)s") % {"process": batch.process.title},
    }
    base = str(Path(__file__).resolve().parent)
    documents = []
    steps = max(1, -(-len(codes) // PAGES_PER_STEP))
    for step in range(steps):
        part = codes[step * PAGES_PER_STEP : (step + 1) * PAGES_PER_STEP]
        html = render_to_string("participation/letters/letters.html", {**context, "codes": part})
        documents.append(HTML(string=html, base_url=base).render())
        progress(10 + 75 * (step + 1) // steps)
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()
