"""The hourly reconciliation finds a room counter that disagrees with the placements."""

from __future__ import annotations

import pytest

from locations.models import Room
from placements.services import placement_reserve, rooms_reconcile_occupants
from tests.factories import make_request

pytestmark = pytest.mark.django_db


def test_reconcile_reports_and_fixes_a_counter_that_drifted(world, personas, caplog):
    room = world.rooms_a[2]
    placement_reserve(user=personas.belteam, request=make_request(region=world.noord), allocation=[(room.pk, 1)])
    assert rooms_reconcile_occupants() == []

    Room.objects.filter(pk=room.pk).update(occupants=3)  # a manual edit behind the service's back
    assert rooms_reconcile_occupants(fix=True) == [(room.pk, 3, 1)]
    assert "occupants counter 3 but active placements hold 1" in caplog.text
    assert Room.objects.get(pk=room.pk).occupants == 1
    assert rooms_reconcile_occupants() == []
