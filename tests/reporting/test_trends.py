"""Trends and the capacity cliff from hand-made snapshots (reporting/trends.py).

Region Noord, three snapshot days (none on 2026-11-02), figures per line:

  day         AAD-001 (Aadorp)      BEE-001 (Beekdal)     BEE-002 (Beekdal, in voorbereiding)
              R  O  A  S  X          R  O  A  S  X
  2026-11-01  13  4  2  1  6         7  5  2  0  0         0
  2026-11-03  13  6  1  0  6         7  7  0  0  0         0
  2026-11-04  13  7  0  0  6         (none: closed)        0
Zuid has a snapshot on 2026-11-01 too (CRA-001, 5 beds), which Noord's figures must not include.

End dates in the 2026-11-04 snapshot: AAD-001 2027-01-15 (13 beds); BEE-002 2026-12-01 (0 beds).
In the 2026-11-03 snapshot: BEE-001 2026-11-30 (7 beds), AAD-001 2027-01-15.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reporting.models import CapacitySnapshot, LocationSnapshot
from reporting.trends import (
    CliffMonth,
    EndingLocation,
    TrendPoint,
    capacity_cliff,
    capacity_ending_within,
    municipality_trend,
    region_trend,
    snapshot_on_or_before,
)

pytestmark = pytest.mark.django_db

D1, D3, D4 = dt.date(2026, 11, 1), dt.date(2026, 11, 3), dt.date(2026, 11, 4)
END_A = dt.date(2027, 1, 15)
END_B = dt.date(2026, 11, 30)


def make_line(snapshot, *, code, name, cbs, municipality, realised, occupied, available, snijverlies,
              out_of_service, end_date=None, planned=0, status="open"):
    return LocationSnapshot(
        snapshot=snapshot, municipality_cbs_code=cbs, municipality_name=municipality, location_code=code,
        location_name=name, street="Teststraat 1", postcode="9401 AB", place="Teststad", kind="goo",
        status=status, end_date=end_date, suitable_infants=False, suitable_pets=False, suitable_wheelchair=False,
        intake_24_7=False, realised=realised, occupied=occupied, available=available, snijverlies=snijverlies,
        out_of_service=out_of_service, planned=planned)


def make_snapshot(region, as_of, lines):
    snapshot = CapacitySnapshot.objects.create(region=region, as_of=as_of, taken_at=timezone.now())
    LocationSnapshot.objects.bulk_create([make_line(snapshot, **line) for line in lines])
    return snapshot


def anker(**numbers):
    return {"code": "AAD-001", "name": "Het Anker", "cbs": "GM9001", "municipality": "Aadorp", **numbers}


def beuk(**numbers):
    return {"code": "BEE-001", "name": "De Beuk", "cbs": "GM9002", "municipality": "Beekdal", **numbers}


def nieuwbouw(**numbers):
    return {"code": "BEE-002", "name": "Nieuwbouw", "cbs": "GM9002", "municipality": "Beekdal", "realised": 0,
            "occupied": 0, "available": 0, "snijverlies": 0, "out_of_service": 0, "planned": 5,
            "status": "preparing", **numbers}


def build_history(world):
    make_snapshot(world.noord, D1, [
        anker(realised=13, occupied=4, available=2, snijverlies=1, out_of_service=6, end_date=END_A),
        beuk(realised=7, occupied=5, available=2, snijverlies=0, out_of_service=0),
        nieuwbouw(),
    ])
    make_snapshot(world.noord, D3, [
        anker(realised=13, occupied=6, available=1, snijverlies=0, out_of_service=6, end_date=END_A),
        beuk(realised=7, occupied=7, available=0, snijverlies=0, out_of_service=0, end_date=END_B),
        nieuwbouw(),
    ])
    make_snapshot(world.noord, D4, [
        anker(realised=13, occupied=7, available=0, snijverlies=0, out_of_service=6, end_date=END_A),
        nieuwbouw(end_date=dt.date(2026, 12, 1)),
    ])
    make_snapshot(world.zuid, D1, [
        {"code": "CRA-001", "name": "De Cirkel", "cbs": "GM9003", "municipality": "Cranendonck-Test",
         "realised": 5, "occupied": 0, "available": 5, "snijverlies": 0, "out_of_service": 0,
         "end_date": dt.date(2026, 11, 20)},
    ])
    return world


@pytest.fixture
def history(world):
    return build_history(world)


# --- trends ---------------------------------------------------------------------------------------

def test_region_trend_sums_each_snapshot_day(history):
    assert region_trend(history.noord, start=D1, end=D4) == [
        TrendPoint(as_of=D1, realised=20, occupied=9, available=4, snijverlies=1, out_of_service=6),
        TrendPoint(as_of=D3, realised=20, occupied=13, available=1, snijverlies=0, out_of_service=6),
        TrendPoint(as_of=D4, realised=13, occupied=7, available=0, snijverlies=0, out_of_service=6),
    ]


def test_region_trend_has_no_point_for_a_day_without_snapshot_and_respects_the_period(history):
    points = region_trend(history.noord, start=dt.date(2026, 11, 2), end=D3)
    assert [p.as_of for p in points] == [D3]
    assert region_trend(history.noord, start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31)) == []


def test_region_trend_keeps_other_regions_out(history):
    assert region_trend(history.zuid, start=D1, end=D4) == [
        TrendPoint(as_of=D1, realised=5, occupied=0, available=5, snijverlies=0, out_of_service=0)]


def test_trend_points_keep_the_capacity_identity_and_the_occupancy_rate(history):
    for point in region_trend(history.noord, start=D1, end=D4):
        assert point.realised == point.occupied + point.available + point.snijverlies + point.out_of_service
    first = region_trend(history.noord, start=D1, end=D1)[0]
    assert str(first.occupancy_rate) == "64.3"  # 9 / (20 - 6)


def test_municipality_trend_sums_only_its_lines_and_a_day_without_lines_is_zero(history):
    assert municipality_trend(history.mun_b, start=D1, end=D4) == [
        TrendPoint(as_of=D1, realised=7, occupied=5, available=2, snijverlies=0, out_of_service=0),
        TrendPoint(as_of=D3, realised=7, occupied=7, available=0, snijverlies=0, out_of_service=0),
        # De Beuk closed: the snapshot of that day exists and says Beekdal had no realised beds
        TrendPoint(as_of=D4, realised=0, occupied=0, available=0, snijverlies=0, out_of_service=0),
    ]
    assert [p.occupied for p in municipality_trend(history.mun_a, start=D1, end=D4)] == [4, 6, 7]
    assert municipality_trend(history.mun_c, start=D1, end=D4) == [
        TrendPoint(as_of=D1, realised=5, occupied=0, available=5, snijverlies=0, out_of_service=0)]


def test_trend_is_one_query(history, django_assert_num_queries):
    with django_assert_num_queries(1):
        region_trend(history.noord, start=D1, end=D4)
    with django_assert_num_queries(1):
        municipality_trend(history.mun_a, start=D1, end=D4)


def test_reversed_period_is_refused(history):
    with pytest.raises(ValueError):
        region_trend(history.noord, start=D4, end=D1)


# --- capacity cliff -------------------------------------------------------------------------------

def test_cliff_reads_the_snapshot_on_or_before_as_of(history):
    as_of = dt.date(2026, 11, 10)  # latest snapshot on or before: 2026-11-04
    assert snapshot_on_or_before(history.noord, as_of).as_of == D4
    cliff = capacity_cliff(history.noord, as_of=as_of, months=4)
    assert [(m.month, m.beds_ending) for m in cliff] == [
        (dt.date(2026, 11, 1), 0), (dt.date(2026, 12, 1), 0), (dt.date(2027, 1, 1), 13), (dt.date(2027, 2, 1), 0)]
    assert cliff[2].locations == [EndingLocation(code="AAD-001", name="Het Anker", municipality_name="Aadorp",
                                                 end_date=END_A, beds=13)]
    # BEE-002 ends 2026-12-01 but has no realised beds: it ends nothing and is not listed
    assert cliff[1].locations == []


def test_cliff_of_a_past_date_is_rebuilt_from_that_days_snapshot(history):
    cliff = capacity_cliff(history.noord, as_of=D3, months=3)
    assert cliff == [
        CliffMonth(month=dt.date(2026, 11, 1), beds_ending=7, locations=[
            EndingLocation(code="BEE-001", name="De Beuk", municipality_name="Beekdal", end_date=END_B, beds=7)]),
        CliffMonth(month=dt.date(2026, 12, 1), beds_ending=0, locations=[]),
        CliffMonth(month=dt.date(2027, 1, 1), beds_ending=13, locations=[
            EndingLocation(code="AAD-001", name="Het Anker", municipality_name="Aadorp", end_date=END_A, beds=13)]),
    ]


def test_cliff_leaves_out_what_ended_before_as_of_and_what_lies_beyond_the_months(history):
    # as of 2026-12-05 (snapshot of 11-04): nothing of BEE-001 any more; AAD-001 in the 2nd month
    assert [m.beds_ending for m in capacity_cliff(history.noord, as_of=dt.date(2026, 12, 5), months=2)] == [0, 13]
    assert [m.beds_ending for m in capacity_cliff(history.noord, as_of=dt.date(2026, 12, 5), months=1)] == [0]
    # an end date that is as_of itself still counts (the location stands that day)
    assert capacity_cliff(history.noord, as_of=END_A, months=1)[0].beds_ending == 13
    assert capacity_cliff(history.noord, as_of=END_A + dt.timedelta(days=1), months=1)[0].beds_ending == 0


def test_cliff_for_one_municipality_and_other_regions(history):
    assert [m.beds_ending for m in capacity_cliff(history.noord, as_of=D3, months=3,
                                                    municipality=history.mun_b)] == [7, 0, 0]
    assert [m.beds_ending for m in capacity_cliff(history.noord, as_of=D3, months=3,
                                                    municipality=history.mun_a)] == [0, 0, 13]
    assert [m.beds_ending for m in capacity_cliff(history.zuid, as_of=D3, months=1)] == [5]


def test_cliff_is_empty_without_a_snapshot(history):
    assert snapshot_on_or_before(history.noord, dt.date(2026, 10, 31)) is None
    assert capacity_cliff(history.noord, as_of=dt.date(2026, 10, 31)) == []
    assert capacity_ending_within(history.noord, as_of=dt.date(2026, 10, 31), months=12) == []


def test_cliff_has_every_month_and_twelve_by_default(history):
    cliff = capacity_cliff(history.noord, as_of=dt.date(2026, 11, 30))
    assert [m.month for m in cliff] == [dt.date(2026 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(12)]
    assert sum(m.beds_ending for m in cliff) == 13


def test_cliff_query_count_does_not_grow_with_the_lines(history, django_assert_num_queries):
    with django_assert_num_queries(2):
        capacity_cliff(history.noord, as_of=D3, months=12)


def test_capacity_ending_within_months(history):
    # from 2026-11-03: BEE-001 (11-30) within 1 month; AAD-001 (2027-01-15) within 3, not within 2
    assert [loc.code for loc in capacity_ending_within(history.noord, as_of=D3, months=1)] == ["BEE-001"]
    assert [loc.code for loc in capacity_ending_within(history.noord, as_of=D3, months=2)] == ["BEE-001"]
    assert [loc.code for loc in capacity_ending_within(history.noord, as_of=D3, months=3)] == ["BEE-001", "AAD-001"]
    assert [loc.beds for loc in capacity_ending_within(history.noord, as_of=D3, months=12,
                                                       municipality=history.mun_a)] == [13]
    # the boundary day: 2026-10-15 + 3 months = 2027-01-15 is included
    for day in (dt.date(2026, 10, 14), dt.date(2026, 10, 15)):
        make_snapshot(history.noord, day, [
            anker(realised=13, occupied=4, available=2, snijverlies=1, out_of_service=6, end_date=END_A)])
    assert [loc.code for loc in capacity_ending_within(history.noord, as_of=dt.date(2026, 10, 15), months=3)] == [
        "AAD-001"]
    assert capacity_ending_within(history.noord, as_of=dt.date(2026, 10, 14), months=3) == []


def test_months_must_be_positive(history):
    with pytest.raises(ValueError):
        capacity_cliff(history.noord, as_of=D3, months=0)
    with pytest.raises(ValueError):
        capacity_ending_within(history.noord, as_of=D3, months=0)
