"""Celery tasks of reporting: mail (imported by reporting/tasks.py, so the worker finds them)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .occupancy_mail import occupancy_mails_send

__all__ = ["send_occupancy_mails"]


@shared_task(name="reporting.tasks_mail.send_occupancy_mails", autoretry_for=(Exception,), retry_backoff=True,
             max_retries=3, soft_time_limit=240, time_limit=300)
def send_occupancy_mails() -> dict:
    """Beat, on the mail days at OCCUPANCY_MAIL_HOUR: today's mailings and one outbox message per
    active contact. "Today" (Europe/Amsterdam) is read here, on every run, and handed to the
    service explicitly. Safe to retry or run twice: nothing is sent twice (occupancy_mail.py)."""
    run = occupancy_mails_send(as_of=timezone.localdate())
    return {"as_of": run.as_of.isoformat(), "mail_day": run.mail_day, "mailings": len(run.mailings),
            "messages": len(run.messages), "new": run.created}
