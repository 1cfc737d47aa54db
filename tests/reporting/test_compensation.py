"""Compensation from the normbedrag and the daily snapshots (issue 8, point 7)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rcvs.errors import ApplicationError
from reporting.compensation import municipality_compensation
from reporting.models import NormRate
from tests.reporting.snapshot_helpers import make_snapshot

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def october_2022(world):
    """Four days across the rate change of 15 October 2022 (€ 100 → € 83); the 15th has no snapshot."""
    a, b = ("GM9001", "Aadorp"), ("GM9002", "Beekdal")
    make_snapshot(world.noord, dt.date(2022, 10, 13), {a: [6, 4], b: [5]})   # A 10, B 5
    make_snapshot(world.noord, dt.date(2022, 10, 14), {a: [8, 4], b: [5]})   # A 12, B 5
    make_snapshot(world.noord, dt.date(2022, 10, 16), {a: [20], b: [3, 4]})  # A 20, B 7
    make_snapshot(world.zuid, dt.date(2022, 10, 14), {("GM9003", "Cranendonck-Test"): [99]})
    return world


def test_compensation_across_a_rate_change_against_a_hand_calculation(october_2022, django_assert_max_num_queries):
    world = october_2022
    with django_assert_max_num_queries(5):
        report = municipality_compensation(world.noord, start=dt.date(2022, 10, 13), end=dt.date(2022, 10, 16))
    # Aadorp:  13th 10 × 100 + 14th 12 × 100 + 16th 20 × 83 = 1000 + 1200 + 1660 = 3860.00; 42 place-days
    # Beekdal: 13th  5 × 100 + 14th  5 × 100 + 16th  7 × 83 =  500 +  500 +  581 = 1581.00; 17 place-days
    by_code = {row.cbs_code: row for row in report.rows}
    assert [r.cbs_code for r in report.rows] == ["GM9001", "GM9002"]  # Zuid's municipality is not there
    assert (by_code["GM9001"].place_days, by_code["GM9001"].amount) == (42, D("3860.00"))
    assert (by_code["GM9002"].place_days, by_code["GM9002"].amount) == (17, D("1581.00"))
    assert (report.total.place_days, report.total.amount) == (59, D("5441.00"))
    assert isinstance(report.total.amount, Decimal)
    # The rate periods used, with their share: Aadorp 22 place-days at 100 (2 days), 20 at 83 (1 day).
    uses = [(u.rate, u.days, u.place_days, u.amount) for u in by_code["GM9001"].rate_periods]
    assert uses == [(D("100.00"), 2, 22, D("2200.00")), (D("83.00"), 1, 20, D("1660.00"))]
    # The 15th had no snapshot: listed, not guessed.
    assert report.missing_days == [dt.date(2022, 10, 15)]
    assert report.unrated_days == []
    assert not report.complete
    assert report.snapshot_days == 3
    assert "1 dag" in report.messages[0]


def test_compensation_narrowed_to_a_gemeente_totals_its_own_rows(october_2022):
    report = municipality_compensation(october_2022.noord, start=dt.date(2022, 10, 13), end=dt.date(2022, 10, 16),
                                       municipalities=[october_2022.mun_b])
    assert [r.cbs_code for r in report.rows] == ["GM9002"]
    assert report.total.amount == D("1581.00")


def test_a_day_without_a_normbedrag_is_listed_and_not_paid(world):
    # The published table ends on 31-12-2025.
    make_snapshot(world.noord, dt.date(2025, 12, 31), {("GM9001", "Aadorp"): [10]})
    make_snapshot(world.noord, dt.date(2026, 1, 1), {("GM9001", "Aadorp"): [10]})
    report = municipality_compensation(world.noord, start=dt.date(2025, 12, 31), end=dt.date(2026, 1, 1))
    assert report.unrated_days == [dt.date(2026, 1, 1)]
    assert report.rows[0].amount == D("440.00") and report.rows[0].place_days == 10
    assert not report.complete and "normbedrag" in report.messages[0]
    # Once the rate is entered the day counts.
    NormRate.objects.create(valid_from=dt.date(2026, 1, 1), amount=D("40.00"))
    report = municipality_compensation(world.noord, start=dt.date(2025, 12, 31), end=dt.date(2026, 1, 1))
    assert report.complete and report.rows[0].amount == D("840.00") and report.total.place_days == 20


def test_no_snapshots_at_all_gives_zero_and_every_day_missing(world):
    report = municipality_compensation(world.noord, start=dt.date(2024, 2, 1), end=dt.date(2024, 2, 29))
    assert len(report.missing_days) == 29
    assert all(r.amount == D("0.00") and r.place_days == 0 for r in report.rows)


@pytest.mark.parametrize(("start", "end", "code"), [
    (dt.date(2024, 2, 2), dt.date(2024, 2, 1), "period_reversed"),
    (dt.date(2020, 1, 1), dt.date(2024, 1, 1), "period_too_long"),
])
def test_bad_periods_are_refused_in_dutch(world, start, end, code):
    with pytest.raises(ApplicationError) as err:
        municipality_compensation(world.noord, start=start, end=end)
    assert err.value.code == code
