"""Demo data: delivery (reporting/demo/__init__.py).

The demo's last week of snapshots (made by the trends demo, or today's by the daily job) shows as
delivered on the KCIO page, so a new user sees what a normal week looks like. Nothing is sent:
the sends are written as delivered outbox messages to the destination "demo". Idempotent: a
snapshot that has a send keeps it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from rcvs.outbox.models import OutboxMessage, OutboxStatus

from ..delivery import KIND_HTTP, outbox_key
from ..models import CapacitySnapshot, KcioDelivery, KcioDeliveryMethod, KcioDeliveryReason

DAYS = 7


def seed(region: Any, *, seed: int, as_of: dt.date) -> str | None:
    """Create the synthetic demo data of this capability for the region; return a one-line
    Dutch summary for seed_demo's output, or None. Idempotent."""
    snapshots = (CapacitySnapshot.objects.filter(region=region, as_of__gt=as_of - dt.timedelta(days=DAYS),
                                                 as_of__lte=as_of).exclude(deliveries__isnull=False)
                 .select_related("region").order_by("as_of"))
    made = 0
    with transaction.atomic():
        for snapshot in snapshots:
            sent = snapshot.taken_at + dt.timedelta(minutes=2)
            message = OutboxMessage.objects.create(
                kind=KIND_HTTP, channel="http", payload={}, idempotency_key=outbox_key(snapshot, 1),
                region=region, status=OutboxStatus.DELIVERED, attempts=1, next_attempt_at=sent,
                last_attempt_at=sent, delivered_at=sent)
            delivery = KcioDelivery.objects.create(
                snapshot=snapshot, sequence=1, reason=KcioDeliveryReason.SCHEDULED, method=KcioDeliveryMethod.HTTPS,
                file_format="csv", destination="demo (niet echt verzonden)", outbox_message=message,
                delivered_at=sent, response_status=200, response_note="demo")
            OutboxMessage.objects.filter(pk=message.pk).update(payload={"delivery_id": delivery.pk},
                                                               updated_at=timezone.now())
            made += 1
    if not made:
        return None
    return f"KCIO-leveringen (demo, niet verstuurd): {made}"
