"""The demo year of synthetic snapshots (reporting/demo/trends.py)."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from locations.models import Location, LocationStatus, Room
from reporting.demo import trends as demo
from reporting.models import CapacitySnapshot, LocationSnapshot
from reporting.trends import capacity_cliff, region_trend
from tests.factories import LocationFactory, RoomFactory, room_set_occupants

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)
FIRST = AS_OF - dt.timedelta(days=365)


@pytest.fixture
def region(world):
    """Noord plus: a location opened in March, one closed at the end of January, one in preparation."""
    a1, a2, a3, _a4 = world.rooms_a
    room_set_occupants(room=a1, occupants=1)
    room_set_occupants(room=a3, occupants=3)
    Location.objects.filter(pk=world.loc_a.pk).update(end_date=dt.date(2026, 9, 15))
    new = LocationFactory(municipality=world.mun_b, code="BEE-010", name="Nieuw Open",
                          opening_date=dt.date(2026, 3, 1))
    for n in range(4):
        RoomFactory(location=new, number=str(n), beds=5)
    closed = LocationFactory(municipality=world.mun_a, code="AAD-020", name="Oud Dicht", status=LocationStatus.CLOSED,
                             opening_date=dt.date(2024, 1, 1), end_date=dt.date(2026, 1, 31))
    for n in range(5):
        RoomFactory(location=closed, number=str(n), beds=6)
    preparing = LocationFactory(municipality=world.mun_b, code="BEE-030", name="In de Steigers",
                                status=LocationStatus.PREPARING)
    for n in range(2):
        RoomFactory(location=preparing, number=str(n), beds=4)
    return world.noord


def lines_of(code, day):
    return LocationSnapshot.objects.filter(location_code=code, snapshot__as_of=day).first()


def test_a_year_of_snapshots_before_as_of_that_keep_the_identity(region):
    summary = demo.seed(region, seed=7, as_of=AS_OF)
    assert "365 synthetische dagelijkse momentopnamen" in summary
    days = list(CapacitySnapshot.objects.filter(region=region).order_by("as_of").values_list("as_of", flat=True))
    assert days == [FIRST + dt.timedelta(days=i) for i in range(365)]
    assert AS_OF not in days  # today's snapshot is the registry's own, never synthetic
    for line in LocationSnapshot.objects.filter(snapshot__region=region).iterator():
        assert line.realised == line.occupied + line.available + line.snijverlies + line.out_of_service
    # the other region is untouched
    assert not CapacitySnapshot.objects.exclude(region=region).exists()


def test_it_is_built_on_the_real_locations(region):
    demo.seed(region, seed=7, as_of=AS_OF)
    # the closed location stood until its end date, with its beds, and then no more
    before, after = lines_of("AAD-020", dt.date(2026, 1, 31)), lines_of("AAD-020", dt.date(2026, 2, 1))
    assert before.realised == 30 and before.status == LocationStatus.CLOSING and after is None
    assert lines_of("AAD-020", dt.date(2025, 12, 1)).status == LocationStatus.OPEN
    # the new one: absent, then in voorbereiding (planned beds) for six weeks, then open
    assert lines_of("BEE-010", dt.date(2026, 1, 1)) is None
    preparing = lines_of("BEE-010", dt.date(2026, 2, 28))
    assert (preparing.status, preparing.realised, preparing.planned) == (LocationStatus.PREPARING, 0, 20)
    opened = lines_of("BEE-010", dt.date(2026, 3, 1))
    assert (opened.status, opened.realised, opened.planned) == (LocationStatus.OPEN, 20, 0)
    assert lines_of("BEE-030", dt.date(2026, 5, 1)).planned == 8
    anker = lines_of("AAD-001", dt.date(2026, 5, 1))
    assert (anker.location_name, anker.municipality_cbs_code, anker.end_date, anker.location_id) == (
        "Het Anker", "GM9001", dt.date(2026, 9, 15), Location.objects.get(code="AAD-001").pk)
    # so the cliff of a demo day lists the registry's location by its real end date
    cliff = capacity_cliff(region, as_of=dt.date(2026, 6, 29), months=4)
    assert [(m.month, m.beds_ending) for m in cliff] == [
        (dt.date(2026, 6, 1), 0), (dt.date(2026, 7, 1), 0), (dt.date(2026, 8, 1), 0), (dt.date(2026, 9, 1), 13)]


def test_plausible_growth_and_occupancy(region):
    demo.seed(region, seed=7, as_of=AS_OF)
    points = region_trend(region, start=FIRST, end=AS_OF)
    # realised: 20 (Noord's rooms) + 30 (closed one, until February) + 20 (from March)
    assert points[0].realised == 13 + 7 + 30
    assert {p.realised for p in points if dt.date(2026, 2, 1) <= p.as_of < dt.date(2026, 3, 1)} == {20}
    assert points[-1].realised == 40
    # (the occupancy band is checked at the demo region's size: test_fast_for_the_demo_region_size)


def test_the_series_runs_into_the_real_occupancy(region):
    demo.seed(region, seed=7, as_of=AS_OF)
    last = lines_of("AAD-001", AS_OF - dt.timedelta(days=1))
    # the registry now: 13 realised, none blocked, 4 occupied (A1 1, A3 3)
    assert (last.realised, last.out_of_service, last.occupied) == (13, 0, 4)


def test_idempotent_and_existing_days_are_left_alone(region):
    real_day = AS_OF - dt.timedelta(days=10)
    real = CapacitySnapshot.objects.create(region=region, as_of=real_day, taken_at=timezone.now())
    LocationSnapshot.objects.create(
        snapshot=real, municipality_cbs_code="GM9001", municipality_name="Aadorp", location_code="AAD-001",
        location_name="Het Anker", street="x", postcode="9401 AB", place="Aadorp", kind="goo", status="open",
        suitable_infants=False, suitable_pets=False, suitable_wheelchair=False, intake_24_7=False,
        realised=99, occupied=99, available=0, snijverlies=0, out_of_service=0, planned=0)
    demo.seed(region, seed=7, as_of=AS_OF)
    assert CapacitySnapshot.objects.filter(region=region).count() == 365
    assert list(real.locations.values_list("realised", flat=True)) == [99]
    lines = LocationSnapshot.objects.count()
    assert demo.seed(region, seed=7, as_of=AS_OF) is None
    assert (CapacitySnapshot.objects.count(), LocationSnapshot.objects.count()) == (365, lines)


def test_deterministic_and_each_day_independent_of_the_others(region):
    demo.seed(region, seed=7, as_of=AS_OF)
    numbers = list(LocationSnapshot.objects.filter(snapshot__as_of=dt.date(2026, 4, 1))
                   .order_by("location_code").values_list("location_code", "occupied", "available", "snijverlies"))
    # build again with some days missing: those days come back with the same numbers
    CapacitySnapshot.objects.filter(as_of__gte=dt.date(2026, 3, 15), as_of__lte=dt.date(2026, 4, 15)).delete()
    assert "32 synthetische" in demo.seed(region, seed=7, as_of=AS_OF)
    assert list(LocationSnapshot.objects.filter(snapshot__as_of=dt.date(2026, 4, 1))
                .order_by("location_code").values_list("location_code", "occupied", "available",
                                                       "snijverlies")) == numbers


def test_fast_for_the_demo_region_size(world):
    """365 days x 74 locations well under 10 s (the demo region's size)."""
    locations = Location.objects.bulk_create([
        Location(municipality=world.mun_a if i % 2 else world.mun_b, code=f"DEMO-{i:03d}", name=f"Demo {i}",
                 street="Straat 1", postcode="9401 AB", place="Teststad", status=LocationStatus.OPEN)
        for i in range(72)])
    Room.objects.bulk_create([Room(location=location, number=str(n), beds=1 + n % 6)
                              for location in locations for n in range(10)])
    started = time.perf_counter()
    demo.seed(world.noord, seed=7, as_of=AS_OF)
    elapsed = time.perf_counter() - started
    assert LocationSnapshot.objects.count() == 365 * 74
    assert elapsed < 10, elapsed
    # occupancy between 85 and 98 % until the series runs into the real registry's (last weeks:
    # these rooms are empty, so it falls there), and a dip some five months back
    points = region_trend(world.noord, start=FIRST, end=AS_OF)
    old = [p for p in points if (AS_OF - p.as_of).days > demo.CONVERGE_DAYS]
    assert all(Decimal("85") <= p.occupancy_rate <= Decimal("98") for p in old)
    dip = min(old, key=lambda p: p.occupancy_rate)
    assert 120 <= (AS_OF - dip.as_of).days <= 180
    assert points[-1].occupancy_rate < Decimal("10")
