"""Voting codes: ordering a batch (staff), making the codes and their letters (the worker), and using a code once
(a resident, on the survey page or the vote page).

A code is 12 characters written in three groups (``7KQM-X3PA-R9TD``): eleven random characters and a check
character, from an alphabet without look-alikes (no 0/O, 1/I). The check character is Luhn's mod N algorithm
over the alphabet, so every typo of one character and almost every swap of two neighbours is refused with a
clear message before any lookup. 32^11 ≈ 3.6 · 10^16 codes: guessing one among 20,000 (a town's batches) would take about 10^12
tries, and the form is rate-limited.

Only a keyed hash of each code is stored (HMAC-SHA256 under ``SECRET_KEY``, so a copy of the database alone
cannot test codes either); the plain codes are made in the worker, printed into the letters and kept nowhere
else (:func:`voting_codes_make`). Using a code (:func:`voting_code_use`) locks its row, so two people typing the
same code at once cannot both use it; the row says *that* it was used, never by whom.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from municipalities.models import Municipality
from participation.models import (
    MAX_CODES_PER_BATCH,
    CodePurpose,
    ParticipationEvent,
    Process,
    VotingCode,
    VotingCodeBatch,
)
from participation.services.common import require_answer_right
from smartcity5.history import record

if TYPE_CHECKING:
    from accounts.models import User

#: 32 characters without look-alikes: no 0 and O, no 1 and I.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#: Random characters of a code; one check character follows.
BODY_LENGTH = 11
CODE_LENGTH = BODY_LENGTH + 1
GROUP = 4
_HASH_SALT = "participation.voting_code"


# --- The form of a code ------------------------------------------------------------------------------------


def check_character(body: str) -> str:
    """Luhn mod N over :data:`ALPHABET`: the character that makes ``body`` + it valid."""
    n = len(ALPHABET)
    factor, total = 2, 0
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def code_format(code: str) -> str:
    """A normalised code as printed: groups of four joined by hyphens."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def code_new() -> str:
    """A fresh random code (normalised, with its check character)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_character(body)


def code_normalise(text: str) -> str:
    """The code as typed, without spaces and hyphens, in capitals; a code that cannot be one is refused with a
    message that says what is wrong (form error ``code``)."""
    code = "".join(text.split()).replace("-", "").replace("–", "").upper()
    if not code:
        raise ValidationError(_("Please enter the code from your letter."), code="code_missing")
    wrong = sorted({char for char in code if char not in ALPHABET})
    if wrong:
        raise ValidationError(
            _(
                "The code contains characters that codes never have (%(chars)s). Codes use the letters A–Z "
                "without I and O, and the digits 2–9."
            )
            % {"chars": ", ".join(wrong)},
            code="code_characters",
        )
    if len(code) != CODE_LENGTH:
        raise ValidationError(
            _("A code has %(length)d characters (like ABCD-EFGH-JKLM); you entered %(given)d.")
            % {"length": CODE_LENGTH, "given": len(code)},
            code="code_length",
        )
    if check_character(code[:-1]) != code[-1]:
        raise ValidationError(
            _(
                "This code contains a typing error. Please compare it with your letter character by character."
            ),
            code="code_typo",
        )
    return code


def code_hash(code: str) -> str:
    """The stored form of a normalised code: a keyed hash, which cannot be read back."""
    return salted_hmac(_HASH_SALT, code, algorithm="sha256").hexdigest()


# --- Staff: ordering a batch ---------------------------------------------------------------------------------


def _record(batch: VotingCodeBatch, *, by: User | None) -> None:
    record(
        ParticipationEvent,
        municipality=batch.municipality_id,
        kind=ParticipationEvent.Kind.VOTING_CODES,
        by=by,
        subject=batch.process.title,
        process=batch.process,
        acting_town_id=batch.municipality_id,
        changes={"count": ["", str(batch.count)], "purpose": ["", str(CodePurpose(batch.purpose).label)]},
    )


@transaction.atomic
def voting_code_batch_order(
    *, process: Process, purpose: str, count: int, by: User | None, acting_town: Municipality
) -> VotingCodeBatch:
    """Order ``count`` codes of ``acting_town`` for ``process`` (its vote or its survey): editors of a town of
    the process. Codes for the vote only for a process whose vote is by codes (``Process.vote_by_codes``): in any
    other vote they would never count. The worker makes the codes and the letters after commit
    (:func:`voting_codes_make`)."""
    from participation import tasks

    require_answer_right(by, process, acting_town)
    if purpose not in CodePurpose.values:
        raise ValidationError({"purpose": _("Please choose what the codes are for.")})
    if purpose == CodePurpose.VOTE and not process.vote_by_codes:
        raise ValidationError(
            {
                "purpose": ValidationError(
                    _(
                        "People vote with their account in this process, not with codes. Codes for the vote can "
                        "be ordered once “vote with voting codes” is set in the process's settings."
                    ),
                    code="vote_not_by_codes",
                )
            }
        )
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise ValidationError(
            {
                "count": _("Between 1 and %(max)s codes at a time.")
                % {"max": number_format(MAX_CODES_PER_BATCH, force_grouping=True)}
            }
        )
    batch = VotingCodeBatch.objects.create(
        municipality=acting_town,
        process=process,
        purpose=purpose,
        count=count,
        expires_at=timezone.now() + VotingCodeBatch.lifetime(),
    )
    _record(batch, by=by)
    tasks.voting_code_letters_build.delay_on_commit(municipality_id=acting_town.pk, batch_id=batch.pk)
    return batch


def voting_code_letters_access(*, batch: VotingCodeBatch, by: User | None) -> None:
    """Who may download a batch's letters (they hold valid codes): editors of a town of the process, for their
    own town's batches."""
    require_answer_right(by, batch.process, batch.municipality)


def voting_code_letters_delete(*, batch: VotingCodeBatch, by: User | None) -> VotingCodeBatch:
    """Delete the letters once printed (the file after commit): afterwards the codes exist only on paper."""
    from django.core.files.storage import default_storage

    require_answer_right(by, batch.process, batch.municipality)
    with transaction.atomic():
        batch = VotingCodeBatch.objects.select_for_update().select_related("process").get(pk=batch.pk)
        name = batch.file.name
        if name:
            VotingCodeBatch.objects.filter(pk=batch.pk).update(file="", size=0, expires_at=timezone.now())
            transaction.on_commit(lambda: default_storage.delete(name))
    batch.refresh_from_db()
    return batch


def voting_codes_make(batch: VotingCodeBatch) -> tuple[list[str], list[VotingCode]]:
    """The worker's part: ``batch.count`` fresh codes as printed, and their rows (unsaved, only the hashes), to be
    saved in the transaction that stores the letters (``participation.tasks``): the codes become valid together
    with their letters, and a build that fails leaves no code behind."""
    codes: set[str] = set()
    while len(codes) < batch.count:
        codes.add(code_new())
    plain = sorted(codes)
    secrets.SystemRandom().shuffle(plain)  # the letters' order says nothing about the codes
    rows = [
        VotingCode(
            batch=batch,
            process_id=batch.process_id,
            purpose=batch.purpose,
            municipality_id=batch.municipality_id,
            code_hash=code_hash(code),
        )
        for code in plain
    ]
    return [code_format(code) for code in plain], rows


def voting_codes_save(rows: Sequence[VotingCode]) -> None:
    VotingCode.objects.bulk_create(rows, batch_size=2000)


# --- Residents: using a code ---------------------------------------------------------------------------------


def _refuse(message: str, code: str) -> None:
    raise ValidationError({"code": ValidationError(message, code=code)})


def voting_code_use(*, code: str, process: Process, purpose: str, municipality: Municipality) -> VotingCode:
    """Use a code once, for ``process``'s vote or survey (``purpose``) in the town of the page: the code's row is
        locked and marked used in the caller's transaction (which stores the ballot or response with it), so a code
        is used once even when two people send it at the same moment. Refused with a form error (``code``) when it
        is mistyped, unknown here, for the other purpose, or used already: ``ValidationError({"code": …})`` with the
    codes ``code_missing``, ``code_characters``, ``code_length``, ``code_typo``, ``code_unknown``,
    ``code_purpose``, ``code_used``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("voting_code_use needs the caller's transaction (the ballot is stored with it).")
    try:
        normal = code_normalise(code)
    except ValidationError as error:
        raise ValidationError({"code": error}) from None
    row = (
        VotingCode.objects.select_for_update(of=("self",))
        .filter(
            code_hash=code_hash(normal),
            municipality=municipality,
            process=process,
            batch__status=VotingCodeBatch.Status.DONE,
        )
        .first()
    )
    if row is None:
        _refuse(
            _(
                "This code is not valid here. Please check that it is the code from your letter and that you are "
                "on the page the letter names."
            ),
            "code_unknown",
        )
    elif row.purpose != purpose:
        _refuse(
            _("This code is for %(purpose)s of this process, not for this page.")
            % {"purpose": CodePurpose(row.purpose).label},
            "code_purpose",
        )
    elif row.used_at is not None:
        _refuse(_("This code has already been used. Each code can be used only once."), "code_used")
    assert row is not None
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    return row
