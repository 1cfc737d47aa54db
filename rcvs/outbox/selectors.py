from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from locations.selectors import region_qs_for

from .models import OutboxMessage, OutboxStatus

if TYPE_CHECKING:
    from rcvs.accounts.models import User


def outbox_message_qs_for(user: User) -> QuerySet[OutboxMessage]:
    """The messages of the user's regions; only a superuser also sees messages without a region."""
    qs = OutboxMessage.objects.select_related("region")
    if user.is_authenticated and user.is_active and user.sees_all_regions:
        return qs
    return qs.filter(region__in=region_qs_for(user))


def outbox_due_qs(*, now: dt.datetime, lease_seconds: int) -> QuerySet[OutboxMessage]:
    """Messages the dispatcher should hand to the broker: pending and due, or stuck in 'sending'
    past the sender's lease; and not handed out in the last `lease_seconds` already."""
    handed_out_since = now - dt.timedelta(seconds=lease_seconds)
    return (
        OutboxMessage.objects
        .filter(Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
                | Q(status=OutboxStatus.SENDING, claimed_until__lt=now))
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=handed_out_since))
        .order_by("next_attempt_at", "pk")
    )
