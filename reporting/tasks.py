from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from locations.models import Region

from .delivery import delivery_schedule
from .snapshots import snapshot_take, snapshot_today

logger = logging.getLogger(__name__)


# --- daily capacity snapshots (KCIO) ----------------------------------------------------------

@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3, soft_time_limit=240, time_limit=300)
def take_daily_snapshots() -> dict[str, int]:
    """Daily (beat, KCIO_EXPORT_HOUR): every region's snapshot for today in Europe/Amsterdam.
    Idempotent: a region that already has today's snapshot keeps it, so a retry or a second run
    takes only the ones still missing, and sends each new one to the KCIO (reporting/delivery.py)
    once. "Today" is read on every run, never passed in: a snapshot
    can only be taken of the current registry (reporting/snapshots.py)."""
    as_of = snapshot_today()
    taken = {}
    for region in Region.objects.order_by("code"):
        # The snapshot and its first KCIO send (when delivery is on) commit together: a crash in
        # between cannot leave a day taken but never sent. A region sent already is left alone.
        with transaction.atomic():
            snapshot = snapshot_take(region=region, as_of=as_of)
            delivery_schedule(snapshot=snapshot)
        taken[region.code] = snapshot.pk
    logger.info("KCIO snapshots for %s: %d region(s)", as_of, len(taken))
    return taken


# The other capabilities' tasks, so that the worker (autodiscovering reporting.tasks) finds them.
from .tasks_board import *  # noqa: E402, F403, I001
from .tasks_costs import *  # noqa: E402, F403
from .tasks_mail import *  # noqa: E402, F403
