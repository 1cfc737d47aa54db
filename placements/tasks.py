from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from . import services

logger = logging.getLogger(__name__)


@shared_task(soft_time_limit=120, time_limit=150)
def expire_reservations() -> list[int]:
    """Every minute: reservations not confirmed in time give their beds back. Idempotent: an expired
    reservation is released once, a second run finds nothing left to release."""
    released = services.reservations_expire(now=timezone.now())
    if released:
        logger.info("Released %d expired reservation(s): %s", len(released), released)
    return released


@shared_task(soft_time_limit=60, time_limit=90)
def send_location_mail(placement_id: int) -> bool:
    """Kept for tasks queued before the outbox existed: such a task now goes through the outbox
    (same idempotency key as placement_confirm), so it sends the mail once, and retries as the
    outbox does. New code never calls this: placement_confirm writes the outbox message itself."""
    from rcvs.outbox.services import outbox_deliver

    from .models import Placement
    from .notifications import location_mail_enqueue

    placement = Placement.objects.select_related("request").get(pk=placement_id)
    message = location_mail_enqueue(placement=placement)
    return outbox_deliver(message_id=message.pk) in ("delivered", "skipped")


@shared_task(soft_time_limit=600, time_limit=660)
def reconcile_occupants() -> dict[str, object]:
    """Hourly: the rooms' occupant counters agree with the placements, or the log says why not;
    and no shared room mixes sexes, or the log names the rooms (ids). Idempotent: a second run
    finds the counters already right (a mixed room is reported again until someone moves people)."""
    mismatches = services.rooms_reconcile_occupants(fix=True)
    return {"counter_mismatches": len(mismatches), "mixed_sex_rooms": services.rooms_breaking_one_sex_rule()}
