"""Reads of the outbox."""

from __future__ import annotations

import datetime

from django.db.models import Count, Min

from .models import OutboxTask


def waiting() -> tuple[int, datetime.datetime | None]:
    """How many hand-overs no worker has finished yet, and when the oldest was created (one query, on the
    partial index ``outbox_pending``)."""
    row = OutboxTask.objects.filter(done_at__isnull=True).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    return row["count"], row["oldest"]
