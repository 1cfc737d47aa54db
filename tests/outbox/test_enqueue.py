"""Writing a message: in the caller's transaction, once per idempotency key, ids only."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from placements.services import placement_confirm
from rcvs.outbox.models import OutboxMessage
from rcvs.outbox.services import outbox_enqueue

KIND = "placement.location_mail"


@pytest.mark.django_db
def test_the_same_key_twice_is_one_message_and_one_push(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as pushes:
        with transaction.atomic():
            first = outbox_enqueue(kind=KIND, payload={"placement_id": 1}, idempotency_key="k-1", region=world.noord)
            second = outbox_enqueue(kind=KIND, payload={"placement_id": 1}, idempotency_key="k-1",
                                    region=world.noord)
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1
    assert len(pushes) == 1
    assert (first.channel, first.region, first.status) == ("mail", world.noord, "pending")


@pytest.mark.django_db
def test_the_database_refuses_a_second_row_for_a_key(world):
    outbox_enqueue(kind=KIND, payload={}, idempotency_key="k-2", region=world.noord)
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.create(kind=KIND, channel="mail", idempotency_key="k-2",
                                     next_attempt_at=OutboxMessage.objects.get().next_attempt_at)


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_message(reserved_with_contact, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as pushes:
        with pytest.raises(RuntimeError), transaction.atomic():
            placement_confirm(user=personas.belteam, placement=reserved_with_contact, notify_location=True)
            assert OutboxMessage.objects.count() == 1  # written in the caller's transaction ...
            raise RuntimeError("a later step failed")
    assert OutboxMessage.objects.count() == 0  # ... and gone with it
    assert pushes == []


@pytest.mark.django_db
def test_the_location_mail_message_carries_ids_not_persons(reserved_with_contact, personas,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        placement = placement_confirm(user=personas.belteam, placement=reserved_with_contact, notify_location=True)
    message = OutboxMessage.objects.get()
    assert message.payload == {"placement_id": placement.pk}
    assert message.idempotency_key == f"placement.location_mail:{placement.pk}:{placement.confirmed_at.isoformat()}"
    assert message.region_id == placement.request.region_id
    member = placement.request.members.get()
    for value in (member.first_name, member.last_name, str(member.date_of_birth)):
        assert value not in str(message.payload) and value not in message.idempotency_key


@pytest.mark.django_db
def test_an_unknown_kind_is_refused_before_anything_is_written(world):
    with pytest.raises(LookupError):
        outbox_enqueue(kind="no.such.kind", payload={}, idempotency_key="k-3")
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_transactions_enqueueing_the_same_key_write_one_message(world):
    """The second waits on the unique index until the first commits, then gets the existing row."""
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def enqueue():
        try:
            with transaction.atomic():
                barrier.wait(10)
                results.append(outbox_enqueue(kind=KIND, payload={}, idempotency_key="k-race",
                                              region=world.noord.pk).pk)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=enqueue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert len(results) == 2 and results[0] == results[1]
    assert OutboxMessage.objects.count() == 1
