from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(soft_time_limit=120, time_limit=150)
def purge_expired_api_tokens() -> int:
    """Nightly: expired API keys are deleted, not only refused."""
    return services.api_tokens_purge_expired(now=timezone.now())
