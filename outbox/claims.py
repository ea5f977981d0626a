"""Send a mail once, without a transaction held open while the mail server works: a claim is committed before the
mail server is asked, and the row marked sent after it accepted the message.

A second delivery of the same task finds the message sent (nothing to do) or claimed by a sender at work (it
retries later). A sender that dies after the mail server accepted the message and before the row is marked sent
leaves a claim behind; once the claim is older than ``MAIL_CLAIM_SECONDS`` the message is sent again. So a crash
re-sends at most the one message in flight, and nothing is lost (docs/OPERATIONS.md, "Mail").

A mail whose row carries its own claim columns (a notification, a barrier report) is claimed with :func:`claim`
and :func:`sending`; a mail without such a row (the mail about a staff role, an invitation to a team) with
:func:`claim_key` and :func:`sending_key`, which keep the same two columns in an ``outbox.MailClaim`` row named by
a key. Every task that sends mail does one or the other: tests/outbox/test_mail_claims.py checks the code, and
``smartcity5.mail.mail_send`` refuses a mail that a task sends outside :func:`sending` (:func:`require_claim`).
"""

import datetime
from contextlib import contextmanager
from contextvars import ContextVar

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


_claimed = ContextVar("outbox_mail_claimed", default=False)


class UnclaimedMail(RuntimeError):
    """A task sent a mail without claiming it: a second delivery of the task would send it again."""


def require_claim() -> None:
    """Refuse a mail sent by a running task outside :func:`sending` (``smartcity5.mail.mail_send`` asks this).
    Mails sent by a request (allauth's, for instance) are not redelivered and need no claim."""
    from celery import current_task

    if current_task and not _claimed.get():
        raise UnclaimedMail(f"{current_task.name} sends a mail without a claim (outbox.claims)")


@contextmanager
def sending(queryset, pks: list[int], *, sent: str, claimed: str):
    """Around the call to the mail server: on success mark the claimed rows sent, on any error give the claims
    back so the retry sends at once."""
    token = _claimed.set(True)
    try:
        yield
    except BaseException:
        queryset.filter(pk__in=pks).update(**{claimed: None})
        raise
    finally:
        _claimed.reset(token)
    queryset.filter(pk__in=pks).update(**{sent: timezone.now()})


KEY_FIELDS = {"sent": "sent_at", "claimed": "claimed_at"}


def claim_key(task, key: str):
    """Claim the message named ``key`` unless it was sent (returns None then); like :func:`claim`, a fresh claim
    of another sender makes ``task`` retry. Returns the ``MailClaim`` row for :func:`sending_key`.

    Call it inside the transaction that locks the row the mail is about, so the claim and what the mail says
    are read together (the claim commits with that transaction, before the mail server is asked)."""
    from .models import MailClaim

    if not key or len(key) > MailClaim._meta.get_field("key").max_length:  # type: ignore[operator]  # a CharField has one
        raise ValueError(f"Bad mail claim key {key!r}")
    MailClaim.objects.bulk_create([MailClaim(key=key)], ignore_conflicts=True)
    pk = MailClaim.objects.filter(key=key).values_list("pk", flat=True).get()
    return claim(task, MailClaim.objects, pk, **KEY_FIELDS)


def sending_key(claimed):
    """:func:`sending` for a claim of :func:`claim_key`."""
    from .models import MailClaim

    return sending(MailClaim.objects, [claimed.pk], **KEY_FIELDS)
