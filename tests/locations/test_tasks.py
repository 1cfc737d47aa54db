"""The nightly job that releases rooms whose block ran out — and one real Celery round trip
through Redis (a worker thread consuming from the broker, not an eager call)."""

from __future__ import annotations

import datetime as dt

import pytest

from locations.models import Room, RoomState
from locations.services import rooms_release_expired_blocks
from locations.tasks import release_expired_blocks


def _block(room: Room, until: dt.date | None) -> None:
    Room.objects.filter(pk=room.pk).update(state=RoomState.BLOCKED, blocked_reason="Schimmel", blocked_until=until)


@pytest.mark.django_db
def test_only_blocks_that_ran_out_are_released(world):
    today = dt.date(2026, 11, 22)
    expired, current, open_ended = world.rooms_a[0], world.rooms_a[1], world.rooms_a[2]
    _block(expired, today - dt.timedelta(days=1))
    _block(current, today)
    _block(open_ended, None)

    assert rooms_release_expired_blocks(as_of=today) == [expired.pk]

    states = dict(Room.objects.filter(pk__in=[expired.pk, current.pk, open_ended.pk]).values_list("pk", "state"))
    assert states == {expired.pk: RoomState.AVAILABLE, current.pk: RoomState.BLOCKED,
                      open_ended.pk: RoomState.BLOCKED}
    record = Room.history.filter(id=expired.pk).first()
    assert record.history_change_reason == "Blokkade verlopen op 2026-11-22"
    assert rooms_release_expired_blocks(as_of=today) == []  # idempotent


@pytest.mark.django_db(transaction=True)
def test_release_task_round_trip_through_redis(world, redis_worker):
    room = world.rooms_b[0]
    _block(room, dt.date(2026, 1, 1))

    result = release_expired_blocks.delay("2026-06-01")
    assert result.get(timeout=30) == [room.pk]

    room.refresh_from_db()
    assert room.state == RoomState.AVAILABLE
