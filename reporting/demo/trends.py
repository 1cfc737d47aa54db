"""Demo data: trends (reporting/demo/__init__.py).

A year of synthetic daily snapshots before `as_of` for the demo region, so the trend and cliff
charts show something on a fresh demo. Synthetic, but built on the region's real locations (their
codes, names, municipalities, addresses, end dates and beds), so the cliff of any demo day lists
the locations a user finds in the registry:

- growth: a location opened within the year appears from its opening date (in voorbereiding, with
  its beds as planned, for the six weeks before); a closed location whose end date lies within the
  year is there until that date. The number of realised beds therefore rises slowly and steps down
  where a location ended.
- occupancy: between 87 and 97 % per location, a slow seasonal wave and a dip of a few weeks about
  five months back (a wave of departures), converging to each location's real occupancy in the
  last weeks, so the line runs into today's real snapshot without a jump.
- every line keeps realised = occupied + available + snijverlies + out of service (the database
  checks it too).

Idempotent: days that have a snapshot (synthetic or real) are skipped; today (`as_of`) is never
made: today's snapshot is the registry itself, taken by the daily job (reporting.tasks).
Deterministic for (seed, region, as_of). One bulk insert, a few seconds for 365 x 74 lines.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce

from locations.models import Location, LocationStatus
from locations.selectors import Capacity, locations_with_capacity

from ..models import CapacitySnapshot, LocationSnapshot
from ..snapshots import COPIED_LOCATION_FIELDS

DAYS = 365
PREPARING_DAYS = 45  # a location that opens shows as "in voorbereiding" this long before
DIP_DAYS_BEFORE = 150  # centre of the occupancy dip
CONVERGE_DAYS = 21  # over the last weeks the synthetic occupancy runs into the real one
RATE_MIN, RATE_MAX = 0.87, 0.97


def _region_rate(days_before: int, rng_noise: float) -> float:
    """The region's occupancy on a day: a seasonal wave, the dip, a little noise."""
    wave = 0.02 * math.sin(2 * math.pi * days_before / 240)
    dip = -0.055 * math.exp(-(((days_before - DIP_DAYS_BEFORE) / 12) ** 2))
    return 0.925 + wave + dip + rng_noise


def _locations(region):
    beds = Coalesce(Sum("rooms__beds"), 0)
    return list(locations_with_capacity(Location.objects.filter(municipality__region=region))
                .annotate(total_beds=beds).select_related("municipality").order_by("code"))


def _line(location, day: dt.date, as_of: dt.date, rng: random.Random, day_rate: float) -> dict | None:
    """One location's numbers on a past day, or None when it did not exist (or counted nowhere) then.
    Draws the same random numbers whatever the day's outcome, so each day is independent of which
    other days already exist."""
    draw_rate, draw_oos, draw_loss = rng.uniform(-0.03, 0.03), rng.random(), rng.uniform(0.2, 0.4)
    days_before = (as_of - day).days
    status = location.status
    opening, end = location.opening_date, location.end_date
    beds = location.total_beds
    real = Capacity.from_obj(location)
    if status == LocationStatus.PREPARING:
        return {"status": LocationStatus.PREPARING, "planned": beds}
    if status == LocationStatus.CLOSED:
        if end is None or day > end or beds == 0:
            return None
        realised, real_rate, real_oos = beds, None, 0
        status = LocationStatus.CLOSING if (end - day).days < 30 else LocationStatus.OPEN
    else:
        realised = real.realised
        real_rate = real.occupied / real.in_service if real.in_service > 0 else None
        real_oos = real.out_of_service
        if status == LocationStatus.CLOSING and days_before > 30:
            status = LocationStatus.OPEN
    if opening is not None and day < opening:
        if (opening - day).days <= PREPARING_DAYS:
            return {"status": LocationStatus.PREPARING, "planned": beds}
        return None
    if realised == 0:
        return None
    # Out of service: the real rooms blocked now in the last two weeks; before that now and then a
    # room (about one location in twelve on a day), never more than a tenth of the beds.
    if days_before <= 14:
        oos = real_oos
    else:
        oos = min(realised // 10, max(1, realised // 25)) if draw_oos < 1 / 12 else 0
    in_service = realised - oos
    rate = min(RATE_MAX, max(RATE_MIN, day_rate + draw_rate))
    if real_rate is not None and days_before <= CONVERGE_DAYS:
        weight = 1 - days_before / CONVERGE_DAYS
        rate = weight * real_rate + (1 - weight) * rate
    occupied = min(in_service, round(in_service * rate))
    free = in_service - occupied
    snijverlies = round(free * draw_loss)
    return {"status": status, "realised": realised, "occupied": occupied, "available": free - snijverlies,
            "snijverlies": snijverlies, "out_of_service": oos}


def _plain(value: Any) -> Any:
    """A choices member as its plain string (COPY adapts by exact type)."""
    return str(value) if isinstance(value, str) else value


def seed(region: Any, *, seed: int, as_of: dt.date) -> str | None:
    """Create the synthetic demo data of this capability for the region; return a one-line
    Dutch summary for seed_demo's output, or None. Idempotent."""
    first = as_of - dt.timedelta(days=DAYS)
    days = [first + dt.timedelta(days=i) for i in range(DAYS)]  # as_of itself excluded
    existing = set(CapacitySnapshot.objects.filter(region=region, as_of__range=(first, as_of))
                   .values_list("as_of", flat=True))
    missing = [day for day in days if day not in existing]
    if not missing:
        return None
    locations = _locations(region)
    day_rng = random.Random(f"{seed}:trends:{region.code}:{as_of.isoformat()}")
    day_rates = {day: _region_rate((as_of - day).days, day_rng.uniform(-0.006, 0.006)) for day in days}
    tz = ZoneInfo(settings.TIME_ZONE)
    hour = getattr(settings, "KCIO_EXPORT_HOUR", 6)
    numbers_per_day: dict[dt.date, list[tuple[Any, dict]]] = {day: [] for day in missing}
    for location in locations:
        rng = random.Random(f"{seed}:trends:{region.code}:{as_of.isoformat()}:{location.code}")
        for day in days:
            numbers = _line(location, day, as_of, rng, day_rates[day])
            if numbers is not None and day in numbers_per_day:
                numbers_per_day[day].append((location, numbers))
    with transaction.atomic():
        snapshots = CapacitySnapshot.objects.bulk_create([
            CapacitySnapshot(region=region, as_of=day, taken_at=dt.datetime.combine(day, dt.time(hour), tzinfo=tz))
            for day in missing
        ])
        # COPY rather than bulk_create: 27,000 lines in about a second instead of ten (Django's
        # per-value preparation of a bulk INSERT is what costs), the same constraints checked.
        columns = [field for field in LocationSnapshot._meta.concrete_fields if not field.primary_key]
        count = 0
        with connection.cursor() as cursor, cursor.cursor.copy(
            "COPY {} ({}) FROM STDIN".format(
                connection.ops.quote_name(LocationSnapshot._meta.db_table),
                ", ".join(connection.ops.quote_name(field.column) for field in columns))) as copy:
            for snapshot in snapshots:
                for location, numbers in numbers_per_day[snapshot.as_of]:
                    values = {"snapshot_id": snapshot.pk, "location_id": location.pk,
                              "municipality_cbs_code": location.municipality.cbs_code,
                              "municipality_name": location.municipality.name, "location_code": location.code,
                              "location_name": location.name,
                              **{name: getattr(location, name) for name in COPIED_LOCATION_FIELDS},
                              "realised": 0, "occupied": 0, "available": 0, "snijverlies": 0, "out_of_service": 0,
                              "planned": 0, **numbers}
                    copy.write_row([_plain(values[field.attname]) for field in columns])
                    count += 1
    return (f"Trends: {len(snapshots)} synthetische dagelijkse momentopnamen "
            f"({missing[0]:%d-%m-%Y} t/m {missing[-1]:%d-%m-%Y}), {count} locatieregels")
