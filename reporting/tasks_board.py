"""Celery tasks of reporting: board (imported by reporting/tasks.py, so the worker finds them)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

__all__ = ["build_board_report_task", "build_monthly_board_reports"]

logger = logging.getLogger(__name__)


@shared_task(soft_time_limit=240, time_limit=300)
def build_board_report_task(report_id: int) -> str | None:
    """Build one queued board report (enqueued on commit by board_report_request). No automatic
    retry: a failure is written on the report (status mislukt, shown on the page) and a new
    request — by a person, or the scheduled job on its next day — builds a new version."""
    from .board import board_report_run

    report = board_report_run(report_id)
    return report.status if report is not None else None


@shared_task(soft_time_limit=120, time_limit=180)
def build_monthly_board_reports() -> list[int]:
    """Beat (BOARD_REPORT_DAYS at BOARD_REPORT_HOUR): the previous month's report of every region
    is queued, unless it is there or on its way (idempotent)."""
    from .board import board_reports_monthly

    made = board_reports_monthly(today=timezone.localdate())
    logger.info("monthly board reports queued: %d", len(made))
    return [report.pk for report in made]
