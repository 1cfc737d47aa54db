"""The nightly job that releases rooms whose block ran out — and one real Celery round trip
through Redis (a worker thread consuming from the broker, not an eager call)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from celery.contrib.testing.worker import start_worker

from locations.models import Room, RoomState
from locations.services import rooms_release_expired_blocks
from locations.tasks import release_expired_blocks
from rcvs.celery import app as celery_app

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


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


@pytest.fixture
def redis_celery():
    previous = {key: celery_app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    celery_app.conf.update(broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield celery_app
    finally:
        celery_app.conf.update(previous)


@pytest.mark.django_db(transaction=True)
def test_release_task_round_trip_through_redis(world, redis_celery):
    room = world.rooms_b[0]
    _block(room, dt.date(2026, 1, 1))

    result = release_expired_blocks.delay("2026-06-01")
    assert result.get(timeout=30) == [room.pk]

    room.refresh_from_db()
    assert room.state == RoomState.AVAILABLE
