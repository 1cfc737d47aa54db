"""Targets (issue 8, point 5): the split (default and edited), realised against target from the
snapshots, and the targets, normbedrag and compensation pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from reporting.models import TargetInputs
from reporting.targets import target_progress
from tests.reporting.snapshot_helpers import make_snapshot

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def inputs_2026(world):
    """Hand calculation of the target of Noord for 2026:
    Iv = 60,000 + 40,000 = 100,000;  In = 18,000,000      → Iv/In = 1/180
    Gv = 120 + 80 = 200 km²;          Gn = 36,000 km²      → Gv/Gn = 1/180
    mean = 1/180;  On − 50,000 = 90,000 − 50,000 = 40,000  → 40,000/180 = 222.22…
    Ov = 2,000 + 222.22… = 2,222.22… → 2,222 places.
    Split by population 60 : 40 → Aadorp 1,333.2 → 1,333, Beekdal 888.8 → 889 (largest remainder)."""
    for mun, population, area in ((world.mun_a, 60_000, D("120.00")), (world.mun_b, 40_000, D("80.00"))):
        mun.population, mun.population_year, mun.land_area_km2 = population, 2025, area
        mun.save()
    return TargetInputs.objects.create(year=2026, national_places_asked=90_000, national_population=18_000_000,
                                       national_land_area_km2=D("36000.00"), source_note="CBS 1-1-2025 (test)")


@pytest.fixture
def snapshot_march(world):
    # The snapshot on or before 15 March counts (the later one does not).
    make_snapshot(world.noord, dt.date(2026, 3, 1), {("GM9001", "Aadorp"): [100], ("GM9002", "Beekdal"): [50]})
    make_snapshot(world.noord, dt.date(2026, 3, 10), {("GM9001", "Aadorp"): [600, 400],
                                                      ("GM9002", "Beekdal"): [889]})
    make_snapshot(world.noord, dt.date(2026, 3, 20), {("GM9001", "Aadorp"): [5000]})
    make_snapshot(world.zuid, dt.date(2026, 3, 10), {("GM9003", "Cranendonck-Test"): [77]})


def test_target_progress_against_a_hand_calculation(world, inputs_2026, snapshot_march,
                                                    django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        progress = target_progress(world.noord, year=2026, as_of=dt.date(2026, 3, 15))
    assert progress.missing == []
    assert progress.snapshot_as_of == dt.date(2026, 3, 10)
    assert progress.region_target.places == 2222
    rows = [(r.cbs_code, r.municipality_name, r.target, r.realised, r.difference, r.percentage)
            for r in progress.rows]
    # Aadorp: 1,000 realised of 1,333 → −333, 75.0 % (1000/1333 = 75.018…);
    # Beekdal: 889 of 889 → 0, 100.0 %.
    assert rows == [("GM9001", "Aadorp", 1333, 1000, -333, D("75.0")),
                    ("GM9002", "Beekdal", 889, 889, 0, D("100.0"))]
    # Total: 1,889 of 2,222 → −333, 85.0 % (1889/2222 = 85.013…).
    total = progress.total
    assert (total.target, total.realised, total.difference, total.percentage) == (2222, 1889, -333, D("85.0"))
    assert progress.edited is False


def test_target_progress_says_what_is_missing_and_shows_no_number(world, snapshot_march):
    progress = target_progress(world.noord, year=2026, as_of=dt.date(2026, 3, 15))
    assert progress.missing == ["Er is geen invoer voor de verdeelsleutel van 2026."]
    assert [r.target for r in progress.rows] == [None, None]
    assert [r.realised for r in progress.rows] == [1000, 889]
    assert progress.total.target is None and progress.total.percentage is None


def test_target_progress_names_a_municipality_without_population_of_the_year_before(world, inputs_2026,
                                                                                      snapshot_march):
    world.mun_b.population_year = 2024
    world.mun_b.save()
    progress = target_progress(world.noord, year=2026, as_of=dt.date(2026, 3, 15))
    assert len(progress.missing) == 1 and "Beekdal" in progress.missing[0] and "2025" in progress.missing[0]
    assert progress.total.target is None


def test_target_progress_without_a_snapshot(world, inputs_2026):
    progress = target_progress(world.noord, year=2026, as_of=dt.date(2026, 3, 15))
    assert progress.missing == ["Er is geen momentopname van de capaciteit op of vóór 15-03-2026; de "
                                "gerealiseerde plaatsen zijn onbekend."]
    assert [r.target for r in progress.rows] == [1333, 889]
    assert [r.realised for r in progress.rows] == [None, None]


def test_target_progress_narrowed_to_own_municipalities(world, inputs_2026, snapshot_march):
    progress = target_progress(world.noord, year=2026, as_of=dt.date(2026, 3, 15), municipalities=[world.mun_b])
    assert [r.cbs_code for r in progress.rows] == ["GM9002"]
    assert (progress.total.target, progress.total.realised) == (889, 889)
