"""The snapshot tables guard themselves: the identity and immutability hold in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, transaction
from django.utils import timezone

from reporting.models import CapacitySnapshot, LocationSnapshot

pytestmark = pytest.mark.django_db


def _line(snapshot, location, **numbers):
    values = {"realised": 7, "occupied": 3, "available": 2, "snijverlies": 1, "out_of_service": 1, "planned": 0}
    values.update(numbers)
    return LocationSnapshot.objects.create(
        snapshot=snapshot, location=location, municipality_cbs_code="GM9001", municipality_name="Aadorp",
        location_code=location.code, location_name=location.name, street="Dorpsstraat 1", postcode="9401 AB",
        place="Aadorp", kind="goo", status="open", suitable_infants=False, suitable_pets=False,
        suitable_wheelchair=False, intake_24_7=False, **values,
    )


def _snapshot(world):
    return CapacitySnapshot.objects.create(region=world.noord, as_of=dt.date(2026, 12, 1), taken_at=timezone.now())


def test_identity_is_a_database_constraint(world):
    snapshot = _snapshot(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        _line(snapshot, world.loc_a, realised=8)
    assert not LocationSnapshot.objects.exists()


def test_a_reported_line_cannot_be_updated(world):
    line = _line(_snapshot(world), world.loc_a)
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
        LocationSnapshot.objects.filter(pk=line.pk).update(occupied=4, available=1)
    line.refresh_from_db()
    assert (line.occupied, line.available) == (3, 2)


def test_the_snapshot_header_cannot_be_redated(world):
    snapshot = _snapshot(world)
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
        CapacitySnapshot.objects.filter(pk=snapshot.pk).update(as_of=dt.date(2026, 11, 30))
    snapshot.refresh_from_db()
    assert snapshot.as_of == dt.date(2026, 12, 1)


def test_deleting_the_location_keeps_the_reported_line(world):
    line = _line(_snapshot(world), world.loc_a)
    world.loc_a.rooms.all().delete()
    world.loc_a.delete()
    line.refresh_from_db()
    assert line.location_id is None
    assert (line.location_code, line.location_name, line.realised) == ("AAD-001", "Het Anker", 7)
