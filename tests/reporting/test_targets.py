"""The verdeelsleutel (issue 8, point 5): Ov = 2000 + ((Iv/In + Gv/Gn) / 2) × (On − 50000)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from locations.models import Municipality
from rcvs.errors import ApplicationError
from reporting.targets import split_places, target_places

D = Decimal


def test_target_against_a_hand_calculation():
    # On = 90,000 → On − 50,000 = 40,000
    # Iv/In = 500,000 / 18,000,000       = 0.0277777…
    # Gv/Gn = 2,600.50 / 33,670.00       = 0.0772349…
    # mean  = (0.0277777… + 0.0772349…)/2 = 0.0525063…
    # × 40,000                            = 2,100.25…
    # Ov    = 2,000 + 2,100.25…           = 4,100.25… → 4,100 places
    assert target_places(On=90_000, Iv=500_000, In=18_000_000, Gv=D("2600.50"), Gn=D("33670.00")) == 4100


def test_target_rounds_half_up():
    # Iv/In = Gv/Gn = 1/80,000 → mean 1/80,000 → × 40,000 = 0.5 → Ov = 2,000.5 → 2,001
    # (banker's rounding would give 2,000).
    assert target_places(On=90_000, Iv=1, In=80_000, Gv=1, Gn=80_000) == 2001
    # Just below the half: 2,000 + 0.4999… stays 2,000.
    assert target_places(On=89_999, Iv=1, In=80_000, Gv=1, Gn=80_000) == 2000


def test_whole_country_gets_the_whole_national_number_plus_the_base():
    # Iv = In, Gv = Gn → mean 1 → Ov = 2,000 + (On − 50,000) = On − 48,000
    assert target_places(On=90_000, Iv=17_942_942, In=17_942_942, Gv=D("33670.00"), Gn=D("33670.00")) == 42_000


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"On": None}, "target_input_missing"),
    ({"In": 0}, "target_input_not_positive"),
    ({"Gn": D("-1")}, "target_input_not_positive"),
    ({"Gv": 1.5}, "target_input_invalid"),
    ({"Iv": 18_000_001}, "target_region_population_too_large"),
    ({"Gv": D("33670.01")}, "target_region_area_too_large"),
    ({"On": 1}, "target_negative"),
])
def test_target_refuses_bad_inputs_in_dutch(kwargs, code):
    inputs = {"On": 90_000, "Iv": 500_000, "In": 18_000_000, "Gv": D("2600.50"), "Gn": D("33670.00")} | kwargs
    with pytest.raises(ApplicationError) as err:
        target_places(**inputs)
    assert err.value.code == code
    assert err.value.message.endswith(".")


def test_region_target_split_over_municipalities_in_whole_places():
    # 4,100 places over 120,000 / 60,000 / 20,000 inhabitants (sum 200,000):
    #   GM0001: 4100 × 0.6 = 2460 ; GM0002: 4100 × 0.3 = 1230 ; GM0003: 4100 × 0.1 = 410
    assert split_places(4100, {"GM0001": 120_000, "GM0002": 60_000, "GM0003": 20_000}) == {
        "GM0001": 2460, "GM0002": 1230, "GM0003": 410}
    # 10 places over 1 : 1 : 1: 3.33 each → 3 each, one left → smallest key.
    assert split_places(10, {"GM0002": 5, "GM0001": 5, "GM0003": 5}) == {"GM0001": 4, "GM0002": 3, "GM0003": 3}


# --- from the stored inputs and the region's municipalities --------------------------------------

@pytest.fixture
def inputs_2026(world):
    from reporting.models import TargetInputs

    for mun, population in ((world.mun_a, 60_000), (world.mun_b, 40_000)):
        mun.population, mun.population_year, mun.land_area_km2 = population, 2025, D("120.00")
        mun.save()
    return TargetInputs.objects.create(year=2026, national_places_asked=90_000, national_population=18_000_000,
                                       national_land_area_km2=D("33670.00"), source_note="CBS 1-1-2025 (test)")


@pytest.mark.django_db
def test_region_target_and_its_split_against_a_hand_calculation(world, inputs_2026):
    from reporting.targets import municipality_targets, region_target

    # Region Noord: Iv = 60,000 + 40,000 = 100,000; Gv = 120 + 120 = 240 km²
    # Iv/In = 100,000 / 18,000,000 = 0.0055556 ; Gv/Gn = 240 / 33,670 = 0.0071280
    # mean = 0.0063418 ; × (90,000 − 50,000) = 253.67 ; Ov = 2,253.67 → 2,254
    target = region_target(world.noord, 2026)
    assert (target.places, target.Iv, target.Gv) == (2254, 100_000, D("240.00"))
    # Split by population 60 : 40 → 1,352.4 and 901.6 → floors 1,352 + 901 = 2,253; the place
    # left goes to the larger remainder (.6): Beekdal.
    assert municipality_targets(world.noord, 2026) == {world.mun_a: 1352, world.mun_b: 902}
    # Region Zuid is computed from its own municipality only (Cranendonck-Test is not in Noord).
    assert world.mun_c not in municipality_targets(world.noord, 2026)


@pytest.mark.django_db
def test_region_target_refuses_missing_inputs_and_figures_of_another_year(world, inputs_2026):
    from reporting.targets import region_target

    with pytest.raises(ApplicationError) as err:
        region_target(world.noord, 2027)
    assert err.value.code == "target_input_missing"
    assert err.value.message == "Er is geen invoer voor de verdeelsleutel van 2027."
    # Beekdal has figures of 2026 only: none of 1 January 2025, in the table or in its history.
    Municipality.objects.filter(pk=world.mun_b.pk).update(population_year=2026)
    Municipality.history.filter(id=world.mun_b.pk).update(population_year=2026)
    with pytest.raises(ApplicationError) as err:
        region_target(world.noord, 2026)
    assert err.value.code == "target_population_year"
    assert "Beekdal" in err.value.message and "Aadorp" not in err.value.message


@pytest.mark.django_db
def test_target_inputs_are_unique_per_year(inputs_2026):
    from django.db import IntegrityError

    from reporting.models import TargetInputs

    with pytest.raises(IntegrityError):
        TargetInputs.objects.create(year=2026, national_places_asked=1, national_population=1,
                                    national_land_area_km2=D("1.00"))
