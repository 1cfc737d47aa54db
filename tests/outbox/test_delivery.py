"""Broker back: the dispatcher (beat, every minute) hands the waiting message to a real Celery
worker through Redis, the mail goes out once; dispatching again or redelivering the task sends
nothing more. And the claim: a worker never sends a message another worker holds."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import pytest
from celery.signals import task_postrun
from django.utils import timezone

from placements.models import PlacementEvent
from placements.services import placement_confirm
from rcvs.outbox.models import OutboxMessage, OutboxStatus
from rcvs.outbox.selectors import outbox_due_qs
from rcvs.outbox.services import CLAIM_SECONDS, DELIVER_TIME_LIMIT, outbox_deliver
from rcvs.outbox.tasks import deliver, dispatch_pending
from tests.factories import OutboxMessageFactory

from .conftest import celery_pointed_at, closed_port


@pytest.fixture
def finished_tasks():
    """(task name, return value) of every task a worker finished, from Celery's own signal."""
    done: list[tuple[str, object]] = []

    def after(sender=None, retval=None, **_kwargs):
        done.append((sender.name, retval))

    task_postrun.connect(after, weak=False)
    try:
        yield done
    finally:
        task_postrun.disconnect(after)


def wait_for(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    return condition()


@pytest.mark.django_db(transaction=True)
def test_after_the_outage_the_dispatcher_delivers_the_mail_once(reserved_with_contact, personas, redis_worker,
                                                                finished_tasks, mailoutbox):
    with celery_pointed_at(f"redis://127.0.0.1:{closed_port()}/0"):  # the outage
        placement_confirm(user=personas.belteam, placement=reserved_with_contact, notify_location=True)
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.PENDING and mailoutbox == []

    # Redis is back; beat's minute comes.
    assert dispatch_pending.delay().get(timeout=20) == 1
    assert wait_for(lambda: OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).exists())
    assert wait_for(lambda: ("outbox.tasks.deliver", "delivered") in finished_tasks)
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["manager@example.org"]
    message.refresh_from_db()
    assert (message.attempts, message.last_error, message.claimed_until) == (1, "", None)
    assert message.delivered_at is not None

    # The next minute: nothing is due any more.
    assert dispatch_pending.delay().get(timeout=20) == 0
    # The broker redelivers the delivery task (acks_late, a worker lost its connection): no second mail.
    deliver.apply_async((message.pk,))
    assert wait_for(lambda: finished_tasks.count(("outbox.tasks.deliver", "skipped")) == 1)
    assert len(mailoutbox) == 1
    assert PlacementEvent.objects.filter(kind=PlacementEvent.Kind.MAIL_SENT).count() == 1


@pytest.fixture
def pending_mail(reserved_with_contact, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # no push: the message just waits
        placement_confirm(user=personas.belteam, placement=reserved_with_contact, notify_location=True)
    return OutboxMessage.objects.get()


@pytest.mark.django_db
def test_a_message_held_by_a_live_worker_is_not_sent_again(pending_mail, mailoutbox):
    now = timezone.now()
    OutboxMessage.objects.filter(pk=pending_mail.pk).update(
        status=OutboxStatus.SENDING, claim_token=uuid.uuid4(), claimed_until=now + dt.timedelta(seconds=60),
        attempts=1)
    assert outbox_deliver(message_id=pending_mail.pk, now=now) == "skipped"
    assert pending_mail.pk not in outbox_due_qs(now=now, lease_seconds=300).values_list("pk", flat=True)
    assert mailoutbox == []
    assert OutboxMessage.objects.get(pk=pending_mail.pk).attempts == 1


@pytest.mark.django_db
def test_a_message_whose_worker_died_mid_send_is_taken_over_after_its_lease(pending_mail, mailoutbox):
    now = timezone.now()
    OutboxMessage.objects.filter(pk=pending_mail.pk).update(
        status=OutboxStatus.SENDING, claim_token=uuid.uuid4(), claimed_until=now - dt.timedelta(seconds=1),
        attempts=1, dispatched_at=now - dt.timedelta(minutes=10))
    assert list(outbox_due_qs(now=now, lease_seconds=300).values_list("pk", flat=True)) == [pending_mail.pk]
    assert outbox_deliver(message_id=pending_mail.pk, now=now) == "delivered"
    assert len(mailoutbox) == 1
    message = OutboxMessage.objects.get(pk=pending_mail.pk)
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERED, 2)


def test_a_lease_outlives_the_delivery_task():
    # A live worker's lease may never run out: the hard time limit kills the task first.
    assert CLAIM_SECONDS > DELIVER_TIME_LIMIT == deliver.time_limit
    assert deliver.soft_time_limit < deliver.time_limit


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_never_hand_out_the_same_message(world):
    """SKIP LOCKED: while one dispatcher holds a row, another passes it by (and does not wait)."""
    from django.db import connection, transaction

    from rcvs.outbox.services import outbox_dispatch_due

    due = OutboxMessageFactory(region=world.noord, dispatched_at=None)
    held, release = threading.Event(), threading.Event()

    def first_dispatcher():
        try:
            with transaction.atomic():
                OutboxMessage.objects.select_for_update().get(pk=due.pk)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first_dispatcher)
    thread.start()
    try:
        assert held.wait(10)
        assert outbox_dispatch_due() == []
    finally:
        release.set()
        thread.join(10)
    message = OutboxMessage.objects.get(pk=due.pk)
    assert (message.status, message.dispatched_at) == (OutboxStatus.PENDING, None)


@pytest.mark.django_db
def test_a_task_queued_before_the_outbox_sends_its_mail_once(reserved_with_contact, personas, mailoutbox):
    """placements.tasks.send_location_mail may still sit in Redis from before the upgrade: it now goes
    through the outbox under the same key, so running it twice (a redelivery) sends one mail."""
    from placements.tasks import send_location_mail

    placement = placement_confirm(user=personas.belteam, placement=reserved_with_contact)  # no mail asked
    assert not OutboxMessage.objects.exists()
    assert send_location_mail.delay(placement.pk).get() is True  # eager in tests
    assert send_location_mail.delay(placement.pk).get() is True
    assert len(mailoutbox) == 1
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERED, 1)
