"""Shared rooms keep to one sex (issue 6, point 13).

A shared room holds one sex; an empty shared room takes anyone; sex 'anders / onbekend' only in an
empty shared room. Matching never proposes a bed that breaks it and says why; the services refuse
it under the room lock even when matching is bypassed, writing nothing; reconciliation reports a
room that breaks it anyway.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from locations.models import Room, RoomOccupancy
from placements.matching import find_candidates
from placements.models import Placement, PlacementEvent, PlacementRoom, PlacementStatus
from placements.services import (
    NotAvailable,
    placement_confirm,
    placement_reserve,
    placement_swap,
    placement_transfer,
    rooms_breaking_one_sex_rule,
)
from placements.tasks import reconcile_occupants
from tests.factories import LocationFactory, RoomFactory, make_request

pytestmark = pytest.mark.django_db

MAN = "kamer voor mannen"
WOMEN = "kamer voor vrouwen"


@pytest.fixture(autouse=True)
def dutch():
    with translation.override("nl"):
        yield


def single(first: str, sex: str, last: str = "Kamer-Test") -> list[dict]:
    return [{"first_name": first, "last_name": last, "date_of_birth": dt.date(1985, 6, 1), "sex": sex,
             "relation": "main"}]


@pytest.fixture
def hostel(world):
    """A location with only shared rooms (the world's other locations have household rooms only,
    which take a single traveller too, so the tests look at this location's rooms)."""
    location = LocationFactory(municipality=world.mun_b, code="GED-001", name="Het Gedeelde Huis")
    rooms = [RoomFactory(location=location, number=f"S{i}", beds=4, occupancy=RoomOccupancy.SHARED)
             for i in (1, 2, 3)]
    return location, rooms


def place(world, personas, room, first, sex, *, confirm=False):
    request = make_request(region=world.noord, members=single(first, sex))
    placement = placement_reserve(user=personas.belteam, request=request, allocation=[(room.pk, 1)])
    return placement_confirm(user=personas.belteam, placement=placement) if confirm else placement


def offered_rooms(result, location) -> list[str]:
    return [room.number for c in result.candidates if c.location.pk == location.pk for room, _p in c.rooms]


# --- matching ---------------------------------------------------------------------------------

def test_a_single_woman_is_not_proposed_for_a_shared_room_where_a_man_sleeps(world, personas, hostel):
    location, rooms = hostel
    for room in rooms:
        place(world, personas, room, f"Man{room.number}", "m")

    result = find_candidates(make_request(region=world.noord, members=single("Olena", "f")), limit=50)

    assert offered_rooms(result, location) == []
    assert result.excluded[MAN] == 1  # this location, counted under the reason
    assert "1 locatie: kamer voor mannen" in result.excluded_lines()
    # A man is proposed a bed there, with the reason in his explanation.
    man = find_candidates(make_request(region=world.noord, members=single("Taras", "m")), limit=50)
    candidate = next(c for c in man.candidates if c.location.pk == location.pk)
    assert "Gedeelde kamer S1: alleen mannen" in candidate.explanation


def test_an_empty_shared_room_takes_anyone(world, personas, hostel):
    location, _rooms = hostel
    for first, sex in (("Olena", "f"), ("Taras", "m"), ("Sasha", "x")):
        result = find_candidates(make_request(region=world.noord, members=single(first, sex)), limit=50)
        assert offered_rooms(result, location) == ["S1"], sex
        candidate = next(c for c in result.candidates if c.location.pk == location.pk)
        assert "Gedeelde kamer S1 is leeg" in candidate.explanation


def test_a_woman_joins_a_room_of_women_and_skips_the_room_of_men(world, personas, hostel):
    location, rooms = hostel
    place(world, personas, rooms[0], "Man", "m")
    place(world, personas, rooms[1], "Vrouw", "f")
    place(world, personas, rooms[2], "Man2", "m")

    result = find_candidates(make_request(region=world.noord, members=single("Olena", "f")), limit=50)

    assert offered_rooms(result, location) == ["S2"]
    candidate = next(c for c in result.candidates if c.location.pk == location.pk)
    assert "Gedeelde kamer S2: alleen vrouwen" in candidate.explanation


def test_sex_other_only_in_an_empty_shared_room_and_nobody_joins_it(world, personas, hostel):
    location, rooms = hostel
    place(world, personas, rooms[0], "Vrouw", "f")
    place(world, personas, rooms[1], "Man", "m")
    place(world, personas, rooms[2], "Sasha", "x")

    other = find_candidates(make_request(region=world.noord, members=single("Yura", "x")), limit=50)
    assert offered_rooms(other, location) == []
    assert other.excluded["geslacht anders/onbekend: alleen een lege gedeelde kamer"] == 1

    # The woman gets S1 (women), never S3 (where someone of sex 'anders' sleeps).
    woman = find_candidates(make_request(region=world.noord, members=single("Olena", "f")), limit=50)
    assert offered_rooms(woman, location) == ["S1"]


def test_query_count_stays_constant_with_occupied_shared_rooms(world, personas, hostel):
    request = make_request(region=world.noord, members=single("Olena", "f"))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            find_candidates(request, limit=50)
        return len(queries.captured_queries)

    empty = count()
    for index, room in enumerate(hostel[1]):
        for n in range(3):
            place(world, personas, room, f"P{index}{n}", "fm"[index % 2])
    assert count() == empty


# --- the services, matching bypassed ------------------------------------------------------------

def test_reserve_refuses_a_woman_in_a_room_where_a_man_sleeps_and_writes_nothing(world, personas, hostel):
    _location, rooms = hostel
    place(world, personas, rooms[0], "Man", "m")
    request = make_request(region=world.noord, members=single("Olena", "f"))
    events_before = PlacementEvent.objects.count()

    with pytest.raises(NotAvailable) as refused:
        placement_reserve(user=personas.belteam, request=request, allocation=[(rooms[0].pk, 1)])

    assert "kamer S1: kamer voor mannen" in refused.value.extra["reasons"]
    assert "kamer voor mannen" in refused.value.message
    assert not Placement.objects.filter(request=request).exists()
    assert Room.objects.get(pk=rooms[0].pk).occupants == 1
    assert PlacementEvent.objects.count() == events_before
    request.refresh_from_db()
    assert request.status == "new"


def test_reserve_refuses_a_man_with_women_and_sex_other_with_anyone(world, personas, hostel):
    _location, rooms = hostel
    place(world, personas, rooms[0], "Vrouw", "f")
    place(world, personas, rooms[1], "Sasha", "x")
    man = make_request(region=world.noord, members=single("Taras", "m"))
    with pytest.raises(NotAvailable) as refused:
        placement_reserve(user=personas.belteam, request=man, allocation=[(rooms[0].pk, 1)])
    assert "kamer S1: kamer voor vrouwen" in refused.value.extra["reasons"]
    with pytest.raises(NotAvailable):
        placement_reserve(user=personas.belteam, request=man, allocation=[(rooms[1].pk, 1)])
    other = make_request(region=world.noord, members=single("Yura", "x"))
    with pytest.raises(NotAvailable) as refused:
        placement_reserve(user=personas.belteam, request=other, allocation=[(rooms[0].pk, 1)])
    assert "kamer S1: geslacht anders/onbekend: alleen een lege gedeelde kamer" in refused.value.extra["reasons"]
    assert not Placement.objects.filter(request__in=[man, other]).exists()
    # Same sex, or an empty room: accepted.
    assert placement_reserve(user=personas.belteam, request=man, allocation=[(rooms[2].pk, 1)]).pk
    woman = make_request(region=world.noord, members=single("Olena", "f"))
    assert placement_reserve(user=personas.belteam, request=woman, allocation=[(rooms[0].pk, 1)]).pk


def test_transfer_into_a_room_of_the_other_sex_is_refused(world, personas, hostel):
    _location, rooms = hostel
    place(world, personas, rooms[0], "Man", "m")
    woman = place(world, personas, rooms[1], "Olena", "f", confirm=True)

    with pytest.raises(NotAvailable) as refused:
        placement_transfer(user=personas.belteam, placement=woman, allocation=[(rooms[0].pk, 1)], reason="Test")

    assert "kamer S1: kamer voor mannen" in refused.value.extra["reasons"]
    woman.refresh_from_db()
    assert woman.status == PlacementStatus.CONFIRMED
    assert list(PlacementRoom.objects.filter(placement=woman, active=True).values_list("room_id", flat=True)) == [
        rooms[1].pk]
    assert [Room.objects.get(pk=r.pk).occupants for r in rooms] == [1, 1, 0]
    # Into an empty shared room: fine.
    moved = placement_transfer(user=personas.belteam, placement=woman, allocation=[(rooms[2].pk, 1)], reason="Test")
    assert moved.rooms.get().room_id == rooms[2].pk


def test_swap_into_a_room_of_the_other_sex_is_refused(world, personas, hostel):
    _location, rooms = hostel
    woman = place(world, personas, rooms[0], "Olena", "f", confirm=True)
    place(world, personas, rooms[0], "Iryna", "f")
    man = place(world, personas, rooms[1], "Taras", "m", confirm=True)

    with pytest.raises(NotAvailable) as refused:
        placement_swap(user=personas.belteam, first=woman, second=man, reason="Test")

    # The man would join Iryna; the woman would be alone in S2 (the man leaves it), which is fine.
    assert refused.value.extra["reasons"] == ["kamer S1: kamer voor vrouwen"]
    woman.refresh_from_db()
    man.refresh_from_db()
    assert (woman.status, man.status) == (PlacementStatus.CONFIRMED, PlacementStatus.CONFIRMED)
    assert PlacementRoom.objects.get(placement=woman, active=True).room_id == rooms[0].pk
    assert [Room.objects.get(pk=r.pk).occupants for r in rooms] == [2, 1, 0]


def test_swap_of_two_people_alone_in_their_rooms_is_allowed(world, personas, hostel):
    """The households leaving the rooms do not count as room-mates of the ones coming in."""
    _location, rooms = hostel
    woman = place(world, personas, rooms[0], "Olena", "f", confirm=True)
    man = place(world, personas, rooms[1], "Taras", "m", confirm=True)

    new_woman, new_man = placement_swap(user=personas.belteam, first=woman, second=man, reason="Test")

    assert new_woman.rooms.get().room_id == rooms[1].pk
    assert new_man.rooms.get().room_id == rooms[0].pk
    assert rooms_breaking_one_sex_rule() == []


# --- reconciliation -----------------------------------------------------------------------------

def put_behind_the_services_back(world, room, first, sex):
    """What a manual database edit would do: a placement in a room without any check."""
    request = make_request(region=world.noord, members=single(first, sex))
    now = timezone.now()
    placement = Placement.objects.create(request=request, location=room.location, persons=1,
                                         status=PlacementStatus.ARRIVED, reserved_at=now, confirmed_at=now,
                                         arrived_at=now)
    PlacementRoom.objects.create(placement=placement, room=room, persons=1, exclusive=False)
    Room.objects.filter(pk=room.pk).update(occupants=room.occupants + 1)
    room.refresh_from_db()
    return placement


def test_reconcile_reports_a_shared_room_that_mixes_sexes(world, personas, hostel, caplog):
    _location, rooms = hostel
    place(world, personas, rooms[0], "Vrouw", "f")
    place(world, personas, rooms[0], "Vrouw2", "f")
    place(world, personas, rooms[1], "Man", "m")
    rooms[0].refresh_from_db()
    assert rooms_breaking_one_sex_rule() == []

    put_behind_the_services_back(world, rooms[0], "Indringer", "m")
    put_behind_the_services_back(world, rooms[2], "Sasha", "x")  # alone: no one to share with, fine

    caplog.set_level(logging.WARNING, logger="placements.services")
    assert rooms_breaking_one_sex_rule() == [rooms[0].pk]
    assert reconcile_occupants() == {"counter_mismatches": 0, "mixed_sex_rooms": [rooms[0].pk]}
    assert f"[{rooms[0].pk}]" in caplog.text
    assert "Het Gedeelde Huis" not in caplog.text and "S1" not in caplog.text  # ids, not names

    rooms[2].refresh_from_db()
    put_behind_the_services_back(world, rooms[2], "Olena", "f")  # someone joins the 'anders' person
    assert rooms_breaking_one_sex_rule() == [rooms[0].pk, rooms[2].pk]
