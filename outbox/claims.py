"""Send a mail once, without a transaction held open while the mail server works: a claim is committed before the
mail server is asked, and the row marked sent after it accepted the message.

A second delivery of the same task finds the message sent (nothing to do) or claimed by a sender at work (it
retries later). A sender that dies after the mail server accepted the message and before the row is marked sent
leaves a claim behind; once the claim is older than ``MAIL_CLAIM_SECONDS`` the message is sent again. So a crash
re-sends at most the one message in flight, and nothing is lost (docs/OPERATIONS.md, "Mail").
"""

import datetime
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils import timezone


def claim_cutoff() -> datetime.datetime:
    """Claims younger than this belong to a sender that may still be at work (``MAIL_CLAIM_SECONDS`` is longer
    than a mail task's time limit); older ones were left by a sender that died."""
    return timezone.now() - datetime.timedelta(seconds=settings.MAIL_CLAIM_SECONDS)


def claim(task, queryset, pk: int, *, sent: str, claimed: str):
    """Lock the row ``pk`` of ``queryset``, and claim its message unless it was sent (returns None then).

    A fresh claim of another sender makes ``task`` retry after ``MAIL_CLAIM_SECONDS``."""
    with transaction.atomic():
        row = queryset.select_for_update(of=("self",)).filter(pk=pk).first()
        if row is None or getattr(row, sent) is not None:
            return None
        claimed_at = getattr(row, claimed)
        if claimed_at is not None and claimed_at > claim_cutoff():
            raise task.retry(countdown=settings.MAIL_CLAIM_SECONDS)
        setattr(row, claimed, timezone.now())
        row.save(update_fields=[claimed])
    return row


@contextmanager
def sending(queryset, pks: list[int], *, sent: str, claimed: str):
    """Around the call to the mail server: on success mark the claimed rows sent, on any error give the claims
    back so the retry sends at once."""
    try:
        yield
    except BaseException:
        queryset.filter(pk__in=pks).update(**{claimed: None})
        raise
    queryset.filter(pk__in=pks).update(**{sent: timezone.now()})
