from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from . import services

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3, soft_time_limit=120, time_limit=150)
def release_expired_blocks(as_of: str | None = None) -> list[int]:
    """Daily: rooms whose block has run out count as available again. Idempotent: a room released
    once is no longer blocked, so a redelivered or retried run changes nothing more."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    released = services.rooms_release_expired_blocks(as_of=day)
    if released:
        logger.info("Released %d room(s) whose block expired before %s: %s", len(released), day, released)
    return released
