"""Celery tasks of the outbox. Thin: they call the services, which own the guarantees.

Neither task uses Celery's own retry: the outbox row carries the attempts and the next attempt's
time, so retries survive a broker outage and a worker restart, and the dispatcher is the one
scheduler. acks_late (settings) stays on: a task lost with its worker is redelivered, and a
redelivered task finds the message claimed or delivered and does nothing.
"""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="outbox.tasks.deliver", ignore_result=True,
             soft_time_limit=services.DELIVER_SOFT_TIME_LIMIT, time_limit=services.DELIVER_TIME_LIMIT)
def deliver(message_id: int) -> str:
    return services.outbox_deliver(message_id=message_id)


@shared_task(name="outbox.tasks.dispatch_pending", soft_time_limit=45, time_limit=55)
def dispatch_pending() -> int:
    """Every minute: hand every due message to the broker (after an outage, all that piled up)."""
    return len(services.outbox_dispatch_due())
