"""Population on 1 January per year: the verdeelsleutel of year Y reads Y−1, the cost split of Y
reads Y. With one "current" figure per municipality the two could not both be right after the
figures of a new year were entered; the dated table (MunicipalityPopulation) keeps both."""

from __future__ import annotations

from decimal import Decimal

import pytest

from locations.models import MunicipalityPopulation
from locations.selectors import populations_on_1_january
from reporting.costs import non_declarable_split
from reporting.models import TargetInputs
from reporting.targets import region_target

pytestmark = pytest.mark.django_db


def _mun(world):
    a, b = world.mun_a, world.mun_b
    for m, population in ((a, 30_000), (b, 10_000)):
        m.population, m.population_year = population, 2026  # the registry shows the newest figures
        m.save()
    return a, b


def test_the_table_first_then_the_municipalitys_own_figure_then_its_history(world):
    a, b = _mun(world)
    MunicipalityPopulation.objects.create(municipality=a, year=2025, population=29_000)
    found = populations_on_1_january([a, b], 2025)
    assert found[a.pk].population == 29_000 and found[a.pk].source == "table"
    assert b.pk not in found, "no 2025 figure for Beekdal anywhere: left out, never guessed"
    assert populations_on_1_january([a, b], 2026)[b.pk].population == 10_000  # its own figure is of 2026
    b.population, b.population_year = 10_500, 2027
    b.save()
    assert populations_on_1_january([b], 2026)[b.pk].source == "history"
    assert populations_on_1_january([b], 2026)[b.pk].population == 10_000


def test_the_target_of_a_year_uses_the_year_before_while_the_registry_shows_this_years(world):
    a, b = _mun(world)
    TargetInputs.objects.create(year=2026, national_places_asked=100_000, national_population=18_000_000,
                                national_land_area_km2=Decimal("33670"))
    with pytest.raises(Exception, match="1 januari 2025"):
        region_target(world.noord, 2026)
    MunicipalityPopulation.objects.create(municipality=a, year=2025, population=29_000)
    MunicipalityPopulation.objects.create(municipality=b, year=2025, population=9_000)
    assert region_target(world.noord, 2026).Iv == 38_000


def test_the_cost_split_of_a_year_uses_that_years_figures(world):
    a, b = _mun(world)
    MunicipalityPopulation.objects.create(municipality=a, year=2025, population=10_000)
    MunicipalityPopulation.objects.create(municipality=b, year=2025, population=30_000)
    split_2025 = non_declarable_split(world.noord, year=2025, total=Decimal("100.00"))
    split_2026 = non_declarable_split(world.noord, year=2026, total=Decimal("100.00"))
    assert {r.cbs_code: r.share for r in split_2025.rows} == {"GM9001": Decimal("25.00"), "GM9002": Decimal("75.00")}
    assert {r.cbs_code: r.share for r in split_2026.rows} == {"GM9001": Decimal("75.00"), "GM9002": Decimal("25.00")}


def test_one_figure_per_municipality_and_year(world):
    from django.db import IntegrityError, transaction

    MunicipalityPopulation.objects.create(municipality=world.mun_a, year=2025, population=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        MunicipalityPopulation.objects.create(municipality=world.mun_a, year=2025, population=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        MunicipalityPopulation.objects.create(municipality=world.mun_b, year=2025, population=0)
