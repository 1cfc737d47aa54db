"""Reads of the registry: scoping (who may see what) and computed capacity.

Capacity definitions (also in the README):
  realised     = beds in rooms of locations that are open or closing
  out_of_service = beds in blocked rooms
  occupied     = persons staying in a room
  snijverlies  = free beds in a room given to one household that is in it
  available    = beds a new placement can use now: every bed of an empty household room,
                 the free beds of a shared room
  realised = occupied + available + snijverlies + out_of_service, at every level.
  occupancy rate = occupied / (realised - out_of_service)
Every figure is computed in the database from rooms, in a constant number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Case, F, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from .models import (
    REALISED_STATUSES,
    Location,
    LocationStatus,
    Municipality,
    Region,
    Room,
    RoomOccupancy,
    RoomState,
)

if TYPE_CHECKING:
    from rcvs.accounts.models import User

CAPACITY_FIELDS = ("realised", "occupied", "available", "snijverlies", "out_of_service")


# --- scoping: one function per kind of object; anything outside answers 404 -------------------

def region_qs_for(user: User) -> QuerySet[Region]:
    if not user.is_authenticated or not user.is_active:
        return Region.objects.none()
    if user.sees_all_regions:
        return Region.objects.all()
    return Region.objects.filter(users=user)


def municipality_qs_for(user: User) -> QuerySet[Municipality]:
    qs = Municipality.objects.filter(region__in=region_qs_for(user))
    if user.is_authenticated and user.is_gemeente and not user.is_superuser:
        qs = qs.filter(users=user)
    return qs.select_related("region")


def location_qs_for(user: User) -> QuerySet[Location]:
    return Location.objects.filter(municipality__in=municipality_qs_for(user)).select_related(
        "municipality", "municipality__region"
    )


def room_qs_for(user: User) -> QuerySet[Room]:
    return Room.objects.filter(location__in=location_qs_for(user)).select_related(
        "location", "location__municipality"
    )


def editable_municipality_qs_for(user: User) -> QuerySet[Municipality]:
    """Municipalities whose locations this user may change: a gemeente user its own, a beheerder
    every municipality of their regions. Other roles read only."""
    if user.is_authenticated and (user.is_beheerder or user.is_gemeente):
        return municipality_qs_for(user)
    return Municipality.objects.none()


def user_can_edit_location(user: User, location: Location) -> bool:
    return editable_municipality_qs_for(user).filter(pk=location.municipality_id).exists()


# --- population on 1 January of a year ------------------------------------------------------------

@dataclass(frozen=True)
class YearPopulation:
    population: int
    source: str  # "table" (MunicipalityPopulation), "current" (the municipality's own), "history"


def populations_on_1_january(municipalities: Iterable[Municipality], year: int) -> dict[int, YearPopulation]:
    """Municipality pk -> its population on 1 January `year`: the dated table first; else the
    municipality's own figure when it is of that year; else the newest history version of the
    municipality that had that year's figure. A municipality with none is left out, never
    guessed. At most three queries."""
    from .models import MunicipalityPopulation

    municipalities = list(municipalities)
    found: dict[int, YearPopulation] = {
        row.municipality_id: YearPopulation(row.population, "table")
        for row in MunicipalityPopulation.objects.filter(municipality__in=[m.pk for m in municipalities], year=year)}
    for m in municipalities:
        if m.pk not in found and m.population_year == year:
            found[m.pk] = YearPopulation(m.population, "current")
    lacking = [m.pk for m in municipalities if m.pk not in found]
    if lacking:
        for record in (Municipality.history.filter(id__in=lacking, population_year=year)
                       .order_by("id", "-history_date", "-history_id").distinct("id")):
            found[record.id] = YearPopulation(record.population, "history")
    return found


# --- capacity ---------------------------------------------------------------------------------

def _room_expressions(room: str = "", location: str = "") -> dict[str, Any]:
    """Per-room capacity expressions. `room` is the path from the queried model to Room,
    `location` the path to Location; rooms of locations that are not realised count nowhere."""

    def f(name: str) -> str:
        return f"{room}{name}"

    realised = Q(**{f"{location}status__in": REALISED_STATUSES})
    blocked = Q(**{f("state"): RoomState.BLOCKED})
    open_ = Q(**{f("state"): RoomState.AVAILABLE})
    household = Q(**{f("occupancy"): RoomOccupancy.HOUSEHOLD})
    shared = Q(**{f("occupancy"): RoomOccupancy.SHARED})
    empty = Q(**{f("occupants"): 0})
    zero = Value(0)
    return {
        "realised": Case(When(realised, then=F(f("beds"))), default=zero, output_field=IntegerField()),
        "out_of_service": Case(When(realised & blocked, then=F(f("beds"))), default=zero,
                               output_field=IntegerField()),
        "occupied": Case(When(realised, then=F(f("occupants"))), default=zero, output_field=IntegerField()),
        "snijverlies": Case(
            When(realised & open_ & household & ~empty, then=F(f("beds")) - F(f("occupants"))),
            default=zero, output_field=IntegerField(),
        ),
        "available": Case(
            When(realised & open_ & household & empty, then=F(f("beds"))),
            When(realised & open_ & shared, then=F(f("beds")) - F(f("occupants"))),
            default=zero, output_field=IntegerField(),
        ),
        # Planned: locations in preparation only. A closed location counts nowhere (README, "Capacity").
        "planned": Case(When(Q(**{f"{location}status": LocationStatus.PREPARING}), then=F(f("beds"))),
                        default=zero, output_field=IntegerField()),
    }


def _capacity_aggregates(room: str, location: str) -> dict[str, Any]:
    exprs = _room_expressions(room, location)
    aggregates = {f"cap_{name}": Coalesce(Sum(expr), 0) for name, expr in exprs.items()}
    aggregates["cap_largest_free_room"] = Coalesce(Max(exprs["available"]), 0)
    return aggregates


@dataclass
class Capacity:
    realised: int = 0
    occupied: int = 0
    available: int = 0
    snijverlies: int = 0
    out_of_service: int = 0
    planned: int = 0
    largest_free_room: int = 0

    @classmethod
    def from_obj(cls, obj: Any) -> Capacity:
        return cls(**{name: getattr(obj, f"cap_{name}") for name in cls.__dataclass_fields__})

    def __add__(self, other: Capacity) -> Capacity:
        summed = {name: getattr(self, name) + getattr(other, name) for name in self.__dataclass_fields__}
        summed["largest_free_room"] = max(self.largest_free_room, other.largest_free_room)
        return Capacity(**summed)

    @property
    def in_service(self) -> int:
        return self.realised - self.out_of_service

    @property
    def occupancy_rate(self) -> Decimal | None:
        """Occupied / (realised - out of service), as a percentage with one decimal."""
        if self.in_service <= 0:
            return None
        return (Decimal(100) * self.occupied / self.in_service).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def identity_holds(self) -> bool:
        return self.realised == self.occupied + self.available + self.snijverlies + self.out_of_service


def rooms_with_capacity(qs: QuerySet[Room]) -> QuerySet[Room]:
    exprs = _room_expressions(room="", location="location__")
    annotations = {f"cap_{name}": expr for name, expr in exprs.items()}
    annotations["cap_largest_free_room"] = exprs["available"]
    return qs.annotate(**annotations)


def locations_with_capacity(qs: QuerySet[Location]) -> QuerySet[Location]:
    return qs.annotate(**_capacity_aggregates(room="rooms__", location=""))


def municipalities_with_capacity(qs: QuerySet[Municipality]) -> QuerySet[Municipality]:
    return qs.annotate(**_capacity_aggregates(room="locations__rooms__", location="locations__"))


def regions_with_capacity(qs: QuerySet[Region]) -> QuerySet[Region]:
    return qs.annotate(
        **_capacity_aggregates(room="municipalities__locations__rooms__", location="municipalities__locations__")
    )


# --- overview ---------------------------------------------------------------------------------

@dataclass
class OverviewFilters:
    municipality: int | None = None
    suitable_infants: bool = False
    suitable_pets: bool = False
    suitable_wheelchair: bool = False
    suitable_care: bool = False
    intake_24_7: bool = False
    min_free_in_room: int | None = None
    ending_within_months: int | None = None
    status: str | None = None
    search: str = ""
    sort: str = "municipality"


SORTS = {
    "municipality": ("municipality__name", "name"),
    "name": ("name",),
    "available": ("-cap_available", "name"),
    "occupancy": ("-cap_occupied", "name"),
    "realised": ("-cap_realised", "name"),
    "end_date": (F("end_date").asc(nulls_last=True), "name"),
}


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate_day)
        except ValueError:
            continue
    raise ValueError("unreachable")


def location_overview(*, user: User, filters: OverviewFilters, as_of: dt.date) -> QuerySet[Location]:
    qs = locations_with_capacity(location_qs_for(user))
    if filters.municipality:
        qs = qs.filter(municipality_id=filters.municipality)
    for flag in ("suitable_infants", "suitable_pets", "suitable_wheelchair", "suitable_care", "intake_24_7"):
        if getattr(filters, flag):
            qs = qs.filter(**{flag: True})
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.search:
        qs = qs.filter(Q(name__icontains=filters.search) | Q(place__icontains=filters.search)
                       | Q(code__icontains=filters.search))
    if filters.min_free_in_room:
        qs = qs.filter(cap_largest_free_room__gte=filters.min_free_in_room)
    if filters.ending_within_months is not None:
        qs = qs.filter(end_date__isnull=False, end_date__lte=add_months(as_of, filters.ending_within_months))
    return qs.order_by(*SORTS.get(filters.sort, SORTS["municipality"]))


@dataclass
class MunicipalityRow:
    municipality: Municipality
    capacity: Capacity = field(default_factory=Capacity)
    locations: list[Location] = field(default_factory=list)


@dataclass
class Overview:
    regions: list[Region]
    municipalities: list[MunicipalityRow]
    total: Capacity
    location_count: int


def build_overview(*, user: User, filters: OverviewFilters, as_of: dt.date) -> Overview:
    """Region → municipality → location, with totals that add up to the rows shown.

    One query for the locations (capacity aggregated in SQL); totals are summed from those rows
    so that what is shown always adds up, also when filters hide locations."""
    locations = list(location_overview(user=user, filters=filters, as_of=as_of))
    rows: dict[int, MunicipalityRow] = {}
    total = Capacity()
    for location in locations:
        location.capacity = Capacity.from_obj(location)
        row = rows.setdefault(location.municipality_id, MunicipalityRow(location.municipality))
        row.locations.append(location)
        row.capacity = row.capacity + location.capacity
        total = total + location.capacity
    municipality_rows = sorted(rows.values(), key=lambda r: r.municipality.name)
    regions = sorted({r.municipality.region for r in municipality_rows}, key=lambda r: r.name)
    return Overview(regions=regions, municipalities=municipality_rows, total=total,
                    location_count=len(locations))


def location_detail(*, user: User, uuid: Any) -> Location:
    """A location in the user's scope with its capacity; raises Location.DoesNotExist otherwise."""
    location = locations_with_capacity(location_qs_for(user)).get(uuid=uuid)
    location.capacity = Capacity.from_obj(location)
    return location


def location_rooms(location: Location) -> list[Room]:
    rooms = list(rooms_with_capacity(location.rooms.all()).order_by("floor", "number"))
    for room in rooms:
        room.capacity = Capacity.from_obj(room)
        c = room.capacity
        # One entry per bed, for the room grid; for rooms of a location not (yet) realised the
        # beds show as available so the layout is still visible.
        room.bed_states = (["occupied"] * room.occupants + ["lost"] * c.snijverlies
                           + ["blocked"] * c.out_of_service)
        room.bed_states += ["available"] * (room.beds - len(room.bed_states))
    return rooms


def region_capacity(region: Region) -> Capacity:
    return Capacity.from_obj(regions_with_capacity(Region.objects.filter(pk=region.pk)).get())
