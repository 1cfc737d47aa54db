"""One KCIO delivery the way production runs it: the daily job commits the snapshot and its send,
the after-commit push hands the outbox message to a real Celery worker through Redis
(REDIS_URL), and the worker POSTs the file to the receiver on 127.0.0.1 — which first fails, so
the dispatcher (beat's minute) hands it out again and it is delivered once."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from celery.signals import task_postrun
from django.utils import timezone

from rcvs.outbox.models import OutboxMessage, OutboxStatus
from rcvs.outbox.tasks import deliver, dispatch_pending
from reporting.models import KcioDelivery
from reporting.snapshots import snapshot_today
from reporting.tasks import take_daily_snapshots

from .test_delivery import TOKEN, Receiver


def wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    return condition()


@pytest.fixture
def finished_tasks():
    done: list[tuple[str, object]] = []

    def after(sender=None, retval=None, **_kwargs):
        done.append((sender.name, retval))

    task_postrun.connect(after, weak=False)
    try:
        yield done
    finally:
        task_postrun.disconnect(after)


@pytest.mark.django_db(transaction=True)
def test_daily_job_to_receiver_through_redis_and_a_worker(world, settings, redis_worker, finished_tasks):
    settings.KCIO_DELIVERY_METHOD = "https"
    settings.KCIO_DELIVERY_TOKEN = TOKEN
    settings.KCIO_DELIVERY_FORMAT = "csv"
    settings.OUTBOX_RETRY_BASE_SECONDS = 1  # the backoff, shortened so the retry comes within the test
    with Receiver() as receiver:
        settings.KCIO_DELIVERY_URL = receiver.url
        # Both regions' first attempts (the solo worker runs them one after the other) get a 500.
        receiver.script = [(500, b"busy"), (500, b"busy"), (200, b"{}")]
        take_daily_snapshots()  # commits; the push goes to Redis, the worker sends
        noord = KcioDelivery.objects.get(snapshot__region=world.noord)
        message_id = noord.outbox_message_id
        assert wait_for(lambda: finished_tasks.count(("outbox.tasks.deliver", "retry")) == 2)
        message = OutboxMessage.objects.get(pk=message_id)
        assert message.status == OutboxStatus.PENDING and "HTTP 500" in message.last_error

        # Beat's next minute, once the backoff has passed: the dispatcher hands it to the worker.
        assert wait_for(lambda: OutboxMessage.objects.get(pk=message_id).next_attempt_at <= timezone.now())
        assert wait_for(lambda: dispatch_pending.delay().get(timeout=20) >= 1
                        or OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.DELIVERED).exists())
        assert wait_for(lambda: OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.DELIVERED).exists())

        # A redelivered task sends nothing more.
        deliver.apply_async((message_id,))
        assert wait_for(lambda: ("outbox.tasks.deliver", "skipped") in finished_tasks)
        noord_requests = [r for r in receiver.requests
                          if r["headers"]["Idempotency-Key"] == f"kcio-noord-{snapshot_today().isoformat()}"]
    assert len(noord_requests) == 2  # the 500 and the 200: delivered once
    noord.refresh_from_db()
    assert noord.delivered_at is not None and noord.response_status == 200
    assert noord.delivered_at - noord.created_at < dt.timedelta(seconds=60)
