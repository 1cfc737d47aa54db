from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from . import services

logger = logging.getLogger(__name__)


@shared_task
def expire_reservations() -> list[int]:
    """Every minute: reservations not confirmed in time give their beds back."""
    released = services.reservations_expire(now=timezone.now())
    if released:
        logger.info("Released %d expired reservation(s): %s", len(released), released)
    return released


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_location_mail(placement_id: int) -> bool:
    """Tell the location's contact who is coming. Runs after commit, never inside a transaction."""
    from .notifications import location_mail_send

    return location_mail_send(placement_id=placement_id)


@shared_task
def reconcile_occupants() -> int:
    """Hourly: the rooms' occupant counters agree with the placements, or the log says why not."""
    return len(services.rooms_reconcile_occupants(fix=True))
