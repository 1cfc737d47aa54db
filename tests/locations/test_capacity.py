"""The capacity identity — realised = occupied + available + snijverlies + out of service — must
hold for every room, location, municipality and region, whatever state the rooms are in."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from locations.models import Location, LocationStatus, Municipality, Region, Room, RoomOccupancy, RoomState
from locations.selectors import (
    Capacity,
    locations_with_capacity,
    municipalities_with_capacity,
    regions_with_capacity,
    rooms_with_capacity,
)
from tests.factories import LocationFactory, MunicipalityFactory, RegionFactory, RoomFactory

room_states = st.fixed_dictionaries({
    "beds": st.integers(1, 6),
    "occupancy": st.sampled_from(RoomOccupancy.values),
    "blocked": st.booleans(),
    "fill": st.floats(0, 1),
    "location": st.integers(0, 3),
})


def _expected(room: Room, realised_location: bool) -> Capacity:
    if room.location.status == LocationStatus.CLOSED:
        return Capacity()  # a closed location counts nowhere, not even as planned
    if not realised_location:
        return Capacity(planned=room.beds)
    if room.state == RoomState.BLOCKED:
        return Capacity(realised=room.beds, out_of_service=room.beds)
    if room.occupancy == RoomOccupancy.SHARED:
        return Capacity(realised=room.beds, occupied=room.occupants, available=room.beds - room.occupants)
    if room.occupants == 0:
        return Capacity(realised=room.beds, available=room.beds)
    return Capacity(realised=room.beds, occupied=room.occupants, snijverlies=room.beds - room.occupants)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rooms=st.lists(room_states, min_size=0, max_size=25),
       statuses=st.lists(st.sampled_from(LocationStatus.values), min_size=4, max_size=4))
def test_identity_holds_at_every_level_under_random_room_states(rooms, statuses):
    Room.objects.all().delete()
    Location.objects.all().delete()
    Municipality.objects.all().delete()
    Region.objects.all().delete()
    region = RegionFactory(code="r", name="R")
    municipalities = [MunicipalityFactory(region=region), MunicipalityFactory(region=region)]
    locations = [LocationFactory(municipality=municipalities[i % 2], status=statuses[i]) for i in range(4)]
    for i, spec in enumerate(rooms):
        occupants = 0 if spec["blocked"] else round(spec["fill"] * spec["beds"])
        RoomFactory(
            location=locations[spec["location"]], number=f"R{i}", beds=spec["beds"], occupancy=spec["occupancy"],
            state=RoomState.BLOCKED if spec["blocked"] else RoomState.AVAILABLE,
            blocked_reason="Lekkage" if spec["blocked"] else "", occupants=occupants,
        )

    # Rooms: each computed figure equals the hand-computed expectation.
    for room in rooms_with_capacity(Room.objects.select_related("location")):
        expected = _expected(room, room.location.is_realised)
        got = Capacity.from_obj(room)
        assert got.identity_holds
        assert (got.realised, got.occupied, got.available, got.snijverlies, got.out_of_service, got.planned) == (
            expected.realised, expected.occupied, expected.available, expected.snijverlies,
            expected.out_of_service, expected.planned)

    # Every level holds the identity and sums the level below it exactly.
    room_total = sum((Capacity.from_obj(r) for r in rooms_with_capacity(Room.objects.all())), Capacity())
    location_caps = [Capacity.from_obj(loc) for loc in locations_with_capacity(Location.objects.all())]
    municipality_caps = [Capacity.from_obj(m) for m in municipalities_with_capacity(Municipality.objects.all())]
    region_cap = Capacity.from_obj(regions_with_capacity(Region.objects.all()).get())
    for cap in [*location_caps, *municipality_caps, region_cap]:
        assert cap.identity_holds
    fields = ("realised", "occupied", "available", "snijverlies", "out_of_service", "planned")
    location_total = sum(location_caps, Capacity())
    municipality_total = sum(municipality_caps, Capacity())
    for name in fields:
        assert getattr(room_total, name) == getattr(location_total, name) == getattr(
            municipality_total, name) == getattr(region_cap, name), name


def test_occupancy_rate_excludes_out_of_service_beds():
    cap = Capacity(realised=100, occupied=45, available=40, snijverlies=5, out_of_service=10)
    assert cap.identity_holds
    assert str(cap.occupancy_rate) == "50.0"
    assert Capacity(realised=4, out_of_service=4).occupancy_rate is None


@pytest.mark.django_db
def test_database_refuses_overbooking_and_occupied_blocked_rooms(world):
    from django.db import IntegrityError, transaction

    room = world.rooms_a[1]  # 2 beds
    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.filter(pk=room.pk).update(occupants=3)
    Room.objects.filter(pk=room.pk).update(occupants=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.filter(pk=room.pk).update(state=RoomState.BLOCKED, blocked_reason="Schimmel")
    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.filter(pk=room.pk).update(beds=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        Location.objects.filter(pk=world.loc_a.pk).update(opening_date="2026-05-01", end_date="2026-04-01")
    room.refresh_from_db()
    assert (room.occupants, room.state, room.beds) == (1, RoomState.AVAILABLE, 2)
