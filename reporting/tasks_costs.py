"""Celery tasks of reporting: costs (imported by reporting/tasks.py, so the worker finds them)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

__all__ = ["build_declaration_documents", "build_due_declarations"]

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3, soft_time_limit=240, time_limit=300)
def build_declaration_documents(period_id: int) -> list[str]:
    """The PDF and XLSX of one period's current figures (idempotent per content)."""
    from .costs import declaration_documents_build
    from .models import DeclarationPeriod

    period = DeclarationPeriod.objects.filter(pk=period_id).first()
    if period is None:
        return []
    return [doc.sha256 for doc in declaration_documents_build(period=period)]


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3, soft_time_limit=540, time_limit=600)
def build_due_declarations() -> dict[int, int]:
    """Daily (beat, COSTS_DECLARATION_HOUR): keep the declaration documents of every period that
    has ended, whose deadline is near, or that was submitted, ready — built only when the figures
    changed since the last build, so a rerun builds nothing."""
    from .costs import declaration_documents_build, documents_due

    today = timezone.localdate()
    built = {}
    for period in documents_due(today=today):
        before = period.documents.count()
        declaration_documents_build(period=period)
        built[period.pk] = period.documents.count() - before
    logger.info("declaration documents for %d period(s), %d new", len(built), sum(built.values()))
    return built
