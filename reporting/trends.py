"""Trends and the capacity cliff, read from the daily snapshots (never from the live registry).

- A trend is one point per snapshot day in a period: the sums of the snapshot's lines of the region
  (or of one municipality, by its CBS code as recorded in the line). Days without a snapshot have
  no point: a missing day is not guessed.
- The capacity cliff is the realised capacity whose location's end date falls in each month
  ahead, read from the region's snapshot on or before `as_of` (its lines carry the end date and
  the realised beds of that day), so a cliff for a past date can be rebuilt and gives the same
  answer. Without such a snapshot the cliff is empty and the page says so.

Which lines end "within" a period: end date on or after `as_of` (a location that ends today still
stands today) and within the period. A line whose end date has already passed while the location
still counted as realised is not in the cliff (it no longer ends "ahead"); lines with no
realised beds (in voorbereiding) end nothing and are left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from .models import CapacitySnapshot, LocationSnapshot

if TYPE_CHECKING:
    from locations.models import Municipality, Region

__all__ = [
    "TrendPoint", "EndingLocation", "CliffMonth", "region_trend", "municipality_trend", "snapshot_on_or_before",
    "capacity_cliff", "capacity_ending_within", "cliff_months",
]

TREND_FIELDS = ("realised", "occupied", "available", "snijverlies", "out_of_service")


@dataclass(frozen=True)
class TrendPoint:
    as_of: dt.date
    realised: int
    occupied: int
    available: int
    snijverlies: int
    out_of_service: int = 0

    @property
    def in_service(self) -> int:
        return self.realised - self.out_of_service

    @property
    def occupancy_rate(self) -> Decimal | None:
        """Occupied / (realised - out of service) in percent, one decimal (as locations.selectors)."""
        if self.in_service <= 0:
            return None
        return (Decimal(100) * self.occupied / self.in_service).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class EndingLocation:
    code: str
    name: str
    municipality_name: str
    end_date: dt.date
    beds: int  # the realised beds in the snapshot


@dataclass(frozen=True)
class CliffMonth:
    month: dt.date  # first day of the month
    beds_ending: int
    locations: list[EndingLocation] = field(default_factory=list)


def _trend(snapshots, line_filter: Q | None) -> list[TrendPoint]:
    # One query: every snapshot day of the period with its lines summed in the database. A day
    # whose snapshot has no matching line (all of a municipality's locations closed) is a point
    # of zeros, not a gap: the snapshot says there was nothing.
    sums = {name: Coalesce(Sum(f"locations__{name}", filter=line_filter), 0) for name in TREND_FIELDS}
    rows = snapshots.order_by("as_of").values("as_of").annotate(**sums)
    return [TrendPoint(**row) for row in rows]


def _check_period(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise ValueError(f"start {start} is after end {end}")


def region_trend(region: Region, *, start: dt.date, end: dt.date) -> list[TrendPoint]:
    """One point per snapshot day of the region from `start` to `end` (both included)."""
    _check_period(start, end)
    snapshots = CapacitySnapshot.objects.filter(region=region, as_of__range=(start, end))
    return _trend(snapshots, None)


def municipality_trend(municipality: Municipality, *, start: dt.date, end: dt.date) -> list[TrendPoint]:
    """One point per snapshot day of the municipality's region, summing only the lines of this
    municipality (by CBS code, as recorded in each line)."""
    _check_period(start, end)
    snapshots = CapacitySnapshot.objects.filter(region_id=municipality.region_id, as_of__range=(start, end))
    return _trend(snapshots, Q(locations__municipality_cbs_code=municipality.cbs_code))


def snapshot_on_or_before(region: Region, as_of: dt.date) -> CapacitySnapshot | None:
    """The region's latest snapshot on or before `as_of`: what the cliff of that day is read from."""
    return CapacitySnapshot.objects.filter(region=region, as_of__lte=as_of).order_by("-as_of").first()


def _ending_lines(region: Region, *, as_of: dt.date, until: dt.date, municipality: Municipality | None):
    """Lines of the snapshot on/before `as_of` whose end date lies in [as_of, until]."""
    snapshot = snapshot_on_or_before(region, as_of)
    if snapshot is None:
        return None
    lines = LocationSnapshot.objects.filter(snapshot=snapshot, end_date__gte=as_of, end_date__lte=until,
                                            realised__gt=0)
    if municipality is not None:
        lines = lines.filter(municipality_cbs_code=municipality.cbs_code)
    return [
        EndingLocation(code=line["location_code"], name=line["location_name"],
                       municipality_name=line["municipality_name"], end_date=line["end_date"], beds=line["realised"])
        for line in lines.order_by("end_date", "municipality_name", "location_name", "location_code")
        .values("location_code", "location_name", "municipality_name", "end_date", "realised")
    ]


def cliff_months(as_of: dt.date, months: int) -> list[dt.date]:
    """The first days of the `months` months of a cliff: the month of `as_of` and those after it."""
    first = as_of.replace(day=1)
    return [first + relativedelta(months=i) for i in range(months)]


def capacity_cliff(region: Region, *, as_of: dt.date, months: int = 12,
                   municipality: Municipality | None = None) -> list[CliffMonth]:
    """Per month from the month of `as_of` on (`months` months, every month present, also when
    nothing ends), the realised beds whose location ends in it, from `as_of` on. Empty when the
    region has no snapshot on or before `as_of`. Two queries."""
    if months < 1:
        raise ValueError("months must be at least 1")
    starts = cliff_months(as_of, months)
    last_day = starts[-1] + relativedelta(months=1, days=-1)
    lines = _ending_lines(region, as_of=as_of, until=last_day, municipality=municipality)
    if lines is None:
        return []
    per_month: dict[dt.date, list[EndingLocation]] = {start: [] for start in starts}
    for line in lines:
        per_month[line.end_date.replace(day=1)].append(line)
    return [CliffMonth(month=start, beds_ending=sum(line.beds for line in ending), locations=ending)
            for start, ending in per_month.items()]


def capacity_ending_within(region: Region, *, as_of: dt.date, months: int,
                           municipality: Municipality | None = None) -> list[EndingLocation]:
    """Locations whose end date lies from `as_of` up to and including `as_of` + `months` months
    (31 January + 1 month = 28/29 February), by end date; from the snapshot on/before `as_of`.
    Empty without a snapshot (see `snapshot_on_or_before` to tell the two apart)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    lines = _ending_lines(region, as_of=as_of, until=as_of + relativedelta(months=months),
                          municipality=municipality)
    return lines or []
