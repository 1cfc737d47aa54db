from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from . import retention

logger = logging.getLogger(__name__)


@shared_task(soft_time_limit=1800, time_limit=1900)
def apply_retention() -> dict[str, int]:
    """Nightly: apply the retention rules (casework/retention.py), log what was done (counts
    only, never a name or a text) and keep the counts as a RetentionRun for the admin.
    Idempotent: a second run the same night finds nothing left to do and records zeros."""
    started = timezone.now()
    report = retention.retention_apply(now=started)
    retention.retention_run_record(report=report, ran_at=started, finished_at=timezone.now())
    retention.retention_compact(report=report)  # old row versions of the removed texts leave the disk
    logger.info("Retention applied: %s", ", ".join(f"{k}={v}" for k, v in report.as_dict().items()))
    return report.as_dict()
