"""Demo data: targets (reporting/demo/__init__.py).

The verdeelsleutel needs the national inputs of the year (TargetInputs, one set for every region):
the demo adds synthetic ones for the year after the demo municipalities' population figures, so
the targets page shows a target, its split and the realised beds of the demo snapshots. A year that
already has inputs (entered by a user, or an earlier run) is left alone. Nothing else is needed:
the split by population is the default, and the compensation page reads the snapshots (trends'
demo year) and the published normbedrag table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils.formats import number_format

from rcvs.errors import ApplicationError

# Synthetic national figures in the order of magnitude of the real ones (not a publication).
DEMO_NATIONAL_PLACES_ASKED = 100_000
DEMO_NATIONAL_POPULATION = 17_942_942
DEMO_NATIONAL_LAND_AREA_KM2 = Decimal("33670.00")


def seed(region: Any, *, seed: int, as_of: dt.date) -> str | None:
    """Create the synthetic demo data of this capability for the region; return a one-line
    Dutch summary for seed_demo's output, or None. Idempotent."""
    from reporting.models import TargetInputs
    from reporting.targets import region_target

    population_year = region.municipalities.aggregate(year=Max("population_year"))["year"]
    if population_year is None:
        return None
    year = population_year + 1  # the verdeelsleutel of a year uses the figures of 1 January before it
    TargetInputs.objects.get_or_create(year=year, defaults={
        "national_places_asked": DEMO_NATIONAL_PLACES_ASKED, "national_population": DEMO_NATIONAL_POPULATION,
        "national_land_area_km2": DEMO_NATIONAL_LAND_AREA_KM2,
        "source_note": f"Demodata (synthetisch), inwoners en oppervlakte van 1 januari {population_year}"})
    try:
        target = region_target(region, year)
    except ApplicationError as error:
        return f"Taakstelling {year}: {error.message}"
    return f"Taakstelling {year}: {number_format(target.places, force_grouping=True)} plaatsen (verdeelsleutel)"
