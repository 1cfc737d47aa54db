"""The placement lifecycle end to end through the services, with the capacity it moves."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from locations.models import Room
from locations.selectors import Capacity, locations_with_capacity
from placements.models import Placement, PlacementEvent, PlacementStatus, RequestStatus
from placements.services import (
    NotAvailable,
    placement_arrive,
    placement_confirm,
    placement_depart,
    placement_reserve,
)
from tests.factories import make_request

pytestmark = pytest.mark.django_db


def capacity(location):
    return Capacity.from_obj(locations_with_capacity(type(location).objects.filter(pk=location.pk)).get())


def test_reserve_confirm_arrive_depart_moves_capacity_and_writes_events(world, personas):
    room = world.rooms_a[2]  # 4 beds, household room
    request = make_request(region=world.noord, user=personas.belteam)
    before = capacity(world.loc_a)

    placement = placement_reserve(user=personas.belteam, request=request, allocation=[(room.pk, 1)])
    room.refresh_from_db()
    assert room.occupants == 1
    after = capacity(world.loc_a)
    assert (after.occupied, after.snijverlies, after.available) == (1, 3, before.available - 4)
    request.refresh_from_db()
    assert request.status == RequestStatus.RESERVED

    placement_confirm(user=personas.belteam, placement=placement)
    placement_arrive(user=personas.belteam, placement=placement)
    placement_depart(user=personas.belteam, placement=Placement.objects.get(pk=placement.pk),
                     on=timezone.localdate(), reason="own_housing")
    room.refresh_from_db()
    assert room.occupants == 0
    assert capacity(world.loc_a).available == before.available
    kinds = list(PlacementEvent.objects.filter(request=request).values_list("kind", flat=True))
    assert kinds[0] == "request_created"
    assert {"reserved", "confirmed", "arrived", "departed"} <= set(kinds)
    assert Placement.objects.get(pk=placement.pk).status == PlacementStatus.DEPARTED


def test_a_taken_household_room_is_refused_and_nothing_written(world, personas):
    room = world.rooms_a[2]
    first = make_request(region=world.noord)
    second = make_request(region=world.noord, members=[
        {"first_name": "Anna", "last_name": "Proef", "date_of_birth": dt.date(1985, 1, 1), "sex": "f",
         "relation": "main"}])
    placement_reserve(user=personas.belteam, request=first, allocation=[(room.pk, 1)])
    with pytest.raises(NotAvailable) as excinfo:
        placement_reserve(user=personas.belteam, request=second, allocation=[(room.pk, 1)])
    assert excinfo.value.code == "not_available"
    assert Room.objects.get(pk=room.pk).occupants == 1
    assert not Placement.objects.filter(request=second).exists()
