"""The last beds, raced for by real threads on real PostgreSQL.

Every thread has its own database connection and its own request, and all of them call
placement_reserve at the same moment (a Barrier). Exactly as many succeed as there were free
beds; the others get a clear "Niet meer beschikbaar" and fresh candidates that leave the full
rooms out. The database check (occupants <= beds) and the locks must agree: no room ever holds
more than its beds, not even for a moment (a watcher thread keeps looking while the race runs).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import translation

from locations.models import Room, RoomOccupancy
from placements.matching import find_candidates
from placements.models import (
    ACTIVE_PLACEMENT_STATUSES,
    Placement,
    PlacementEvent,
    PlacementRequest,
    PlacementRoom,
    RequestStatus,
)
from placements.services import NotAvailable, placement_reserve
from tests.factories import LocationFactory, RoomFactory, make_request

THREADS = 20
JOIN_TIMEOUT = 60


def single(i: int) -> list[dict]:
    return [{"first_name": f"Renner{i}", "last_name": "Wedloop-Test", "date_of_birth": dt.date(1980 + i % 20, 3, 1),
             "sex": "f", "relation": "main"}]


@dataclass
class Race:
    results: dict[int, object] = field(default_factory=dict)  # request id -> Placement or exception
    max_occupants: dict[int, int] = field(default_factory=dict)


def run_race(user, requests: list[PlacementRequest], room_for: dict[int, Room]) -> Race:
    """All threads wait at the barrier, then each reserves one bed in its room."""
    race = Race()
    barrier = threading.Barrier(len(requests), timeout=30)
    done = threading.Event()
    lock = threading.Lock()
    watched = sorted({room.pk for room in room_for.values()})

    def attempt(request: PlacementRequest) -> None:
        try:
            with translation.override("nl"):
                connection.ensure_connection()  # connect before the start, not during it
                barrier.wait()
                try:
                    outcome: object = placement_reserve(user=user, request=request,
                                                        allocation=[(room_for[request.pk].pk, 1)])
                except Exception as exc:  # every outcome is asserted below
                    outcome = exc
            with lock:
                race.results[request.pk] = outcome
        finally:
            connection.close()

    def watch() -> None:
        try:
            while not done.is_set():
                for pk, occupants in Room.objects.filter(pk__in=watched).values_list("pk", "occupants"):
                    race.max_occupants[pk] = max(race.max_occupants.get(pk, 0), occupants)
        finally:
            connection.close()

    watcher = threading.Thread(target=watch, name="watcher")
    threads = [threading.Thread(target=attempt, args=(request,), name=f"racer-{i}")
               for i, request in enumerate(requests)]
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    done.set()
    watcher.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in [*threads, watcher]), "a thread hung"
    assert len(race.results) == len(requests)
    return race


def assert_losers_refused_cleanly(race: Race) -> list[int]:
    losers = [pk for pk, outcome in race.results.items() if not isinstance(outcome, Placement)]
    for pk in losers:
        error = race.results[pk]
        assert isinstance(error, NotAvailable), repr(error)
        assert error.code == "not_available"
        assert error.message.startswith("Niet meer beschikbaar: "), error.message
        assert error.extra["reasons"]
    # A refusal writes nothing: no placement, no event beyond the request's own creation.
    assert not Placement.objects.filter(request_id__in=losers).exists()
    assert set(PlacementRequest.objects.filter(pk__in=losers).values_list("status", flat=True)) == {
        RequestStatus.NEW}
    assert set(PlacementEvent.objects.filter(request_id__in=losers).values_list("kind", flat=True)) == {
        "request_created"}
    return losers


def held(rooms: list[Room]) -> int:
    return PlacementRoom.objects.filter(room__in=rooms, active=True).aggregate(n=Sum("persons"))["n"] or 0


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_for_five_last_beds_in_shared_rooms(world, personas):
    location = LocationFactory(municipality=world.mun_a, code="RACE-001", name="Laatste Bedden")
    rooms = [RoomFactory(location=location, number=f"G{i}", beds=beds, occupancy=RoomOccupancy.SHARED)
             for i, beds in enumerate([3, 2, 2], 1)]
    # Two beds already taken by people staying there: 2 + 1 + 2 = 5 beds left.
    for i, room in enumerate(rooms[:2]):
        placement_reserve(user=personas.belteam, request=make_request(region=world.noord, members=single(100 + i)),
                          allocation=[(room.pk, 1)])
    free = {room.pk: room.beds - Room.objects.get(pk=room.pk).occupants for room in rooms}
    assert sum(free.values()) == 5

    requests = [make_request(region=world.noord, members=single(i)) for i in range(THREADS)]
    # Round robin: each room has more contenders than free beds, so every bed is raced for.
    room_for = {request.pk: rooms[i % len(rooms)] for i, request in enumerate(requests)}

    race = run_race(personas.belteam, requests, room_for)

    winners = [outcome for outcome in race.results.values() if isinstance(outcome, Placement)]
    assert len(winners) == 5
    losers = assert_losers_refused_cleanly(race)
    assert len(losers) == THREADS - 5
    for room in rooms:
        room.refresh_from_db()
        assert room.occupants == room.beds  # full, and not one more
        assert race.max_occupants.get(room.pk, 0) <= room.beds
        won_here = sum(1 for w in winners if w.rooms.get().room_id == room.pk)
        assert won_here == free[room.pk]
    assert sum(room.occupants for room in rooms) == 5 + 2
    assert held(rooms) == 5 + 2
    assert PlacementRoom.objects.filter(room__in=rooms, active=True, placement__in=winners).count() == 5
    assert Placement.objects.filter(location=location, status__in=ACTIVE_PLACEMENT_STATUSES).count() == 5 + 2

    # A loser asks again: fresh candidates, none of them in the rooms that are now full.
    loser = PlacementRequest.objects.get(pk=losers[0])
    result = find_candidates(loser)
    assert result.candidates, "the region still has beds elsewhere"
    offered = {room.pk for candidate in result.candidates for room, _persons in candidate.rooms}
    assert not offered & {room.pk for room in rooms}
    assert location.pk not in {candidate.location.pk for candidate in result.candidates}
    # ... and the first of them can be taken.
    placement = placement_reserve(user=personas.belteam, request=loser, allocation=result.candidates[0].allocation)
    assert placement.location == result.candidates[0].location


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_for_one_household_room(world, personas):
    location = LocationFactory(municipality=world.mun_b, code="RACE-002", name="Eén Kamer")
    room = RoomFactory(location=location, number="H1", beds=2, occupancy=RoomOccupancy.HOUSEHOLD)
    requests = [make_request(region=world.noord, members=single(i)) for i in range(THREADS)]

    race = run_race(personas.belteam, requests, {request.pk: room for request in requests})

    winners = [outcome for outcome in race.results.values() if isinstance(outcome, Placement)]
    assert len(winners) == 1
    losers = assert_losers_refused_cleanly(race)
    assert len(losers) == THREADS - 1
    room.refresh_from_db()
    # One household in the room; its other bed is snijverlies, not a bed for a second household.
    assert room.occupants == 1
    assert race.max_occupants.get(room.pk, 0) <= 1
    assert PlacementRoom.objects.filter(room=room, active=True).count() == 1
    assert held([room]) == 1

    for loser in PlacementRequest.objects.filter(pk__in=losers[:3]):
        offered = {r.pk for candidate in find_candidates(loser).candidates for r, _persons in candidate.rooms}
        assert room.pk not in offered
