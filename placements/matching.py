"""Which rooms fit a household, and in what order to propose them.

Hard rules (a location or room that breaks one is never proposed, and the service refuses it):
  - the location is open (or closing) and does not close before the arrival;
  - the rooms are available, at one location, with enough beds for the whole household;
  - pets, infants and a wheelchair only where the location is suitable (a wheelchair also needs a
    wheelchair-accessible room);
  - reduced mobility: no location with stairs unless the rooms are step-free, and no top bunks
    (the household must fit in the room's beds that are not in a bunk);
  - an arrival inside the night window only at a 24/7 location;
  - a remote location only with own transport;
  - target groups: families only where the location takes families, single travellers where it
    takes singles; where the region chooses so, a single man only at a doorstroomlocatie.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from locations.models import Location, LocationKind, LocationStatus, Room, RoomOccupancy, RoomState

from .models import PlacementRequest, Relation, Sex


@dataclass(frozen=True)
class Household:
    size: int
    infants: int
    adults: int
    is_single_man: bool
    is_single: bool
    pets: int
    wheelchair: bool
    reduced_mobility: bool
    care_need: bool
    own_transport: bool
    arrival: dt.datetime
    night_arrival: bool
    preferred_municipality_id: int | None
    single_men_to_transit: bool


def is_night(moment: dt.datetime) -> bool:
    hour = timezone.localtime(moment).hour
    start, end = settings.PLACEMENT_NIGHT_START, settings.PLACEMENT_NIGHT_END
    return hour >= start or hour < end if start > end else start <= hour < end


def household_of(request: PlacementRequest) -> Household:
    members = list(request.members.all())
    arrival_day = timezone.localtime(request.expected_arrival).date()
    adults = sum(1 for m in members if m.age_on(arrival_day) >= 18)
    single_man = len(members) == 1 and members[0].sex == Sex.MALE and adults == 1
    return Household(
        size=len(members),
        infants=sum(1 for m in members if m.is_infant_on(arrival_day)),
        adults=adults,
        is_single_man=single_man,
        is_single=len(members) == 1 or all(m.relation == Relation.MAIN for m in members),
        pets=request.pets_count,
        wheelchair=request.needs_wheelchair,
        reduced_mobility=request.reduced_mobility,
        care_need=request.care_need,
        own_transport=request.own_transport,
        arrival=request.expected_arrival,
        night_arrival=is_night(request.expected_arrival),
        preferred_municipality_id=request.preferred_municipality_id,
        single_men_to_transit=request.region.single_men_to_transit,
    )


def location_unfit_reasons(household: Household, location: Location) -> list[str]:
    """Hard rules at the level of the location; an empty list means it may be proposed."""
    reasons = []
    arrival_day = timezone.localtime(household.arrival).date()
    if location.status not in (LocationStatus.OPEN, LocationStatus.CLOSING):
        reasons.append(_("niet open"))
    elif location.opening_date and location.opening_date > arrival_day:
        reasons.append(_("nog niet open bij aankomst"))
    if location.end_date and location.end_date <= arrival_day:
        reasons.append(_("sluit voor de aankomst"))
    if household.pets and not location.suitable_pets:
        reasons.append(_("geen huisdieren"))
    if household.infants and not location.suitable_infants:
        reasons.append(_("niet geschikt voor zuigelingen"))
    if household.wheelchair and not location.suitable_wheelchair:
        reasons.append(_("niet rolstoeltoegankelijk"))
    if household.night_arrival and not location.intake_24_7:
        reasons.append(_("geen 24/7-intake voor nachtelijke aankomst"))
    if location.is_remote and not household.own_transport:
        reasons.append(_("afgelegen, eigen vervoer nodig"))
    if household.single_men_to_transit and household.is_single_man:
        if location.kind != LocationKind.DOORSTROOM:
            reasons.append(_("alleenstaande man: alleen doorstroomlocatie"))
    elif location.kind == LocationKind.DOORSTROOM and location.target_single_men and not household.is_single_man:
        reasons.append(_("doorstroomlocatie voor alleenstaande mannen"))
    if household.size > 1 and not location.target_families:
        reasons.append(_("geen gezinnen"))
    if household.size == 1 and not (location.target_singles or location.target_single_men):
        reasons.append(_("geen alleenreizenden"))
    return reasons


def room_unfit_reasons(household: Household, room: Room, persons: int) -> list[str]:
    """Hard rules for one room holding `persons` of the household (availability aside)."""
    reasons = []
    if room.state != RoomState.AVAILABLE:
        reasons.append(_("kamer geblokkeerd"))
    if persons > room.beds:
        reasons.append(_("te weinig bedden"))
    if household.wheelchair and not room.wheelchair_accessible:
        reasons.append(_("kamer niet rolstoeltoegankelijk"))
    if household.reduced_mobility:
        if not room.step_free:
            reasons.append(_("kamer alleen via trap bereikbaar"))
        if persons > room.beds - room.bunk_beds // 2:
            # A bunk bed is two beds; the top one is not for someone with reduced mobility.
            reasons.append(_("bovenste stapelbed nodig"))
    if room.occupancy == RoomOccupancy.SHARED and household.size > 1:
        reasons.append(_("gedeelde kamer is voor alleenreizenden"))
    return reasons


def free_beds(room: Room) -> int:
    """Beds of this room a new household can take now."""
    if room.state != RoomState.AVAILABLE:
        return 0
    if room.occupancy == RoomOccupancy.HOUSEHOLD:
        return room.beds if room.occupants == 0 else 0
    return room.beds - room.occupants


@dataclass
class Refusal:
    reasons: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.reasons)


def check_choice(request: PlacementRequest, location: Location, allocation: Sequence[tuple[Room, int]],
                 *, check_free: bool = True) -> list[str]:
    """All reasons why placing the request in these rooms (room, persons) is not allowed."""
    household = household_of(request)
    reasons = location_unfit_reasons(household, location)
    if sum(persons for _room, persons in allocation) != household.size:
        reasons.append(_("niet het hele huishouden is ingedeeld"))
    for room, persons in allocation:
        if room.location_id != location.pk:
            reasons.append(_("kamers op verschillende locaties"))
        reasons.extend(room_unfit_reasons(household, room, persons))
        if check_free and persons > free_beds(room):
            reasons.append(_("kamer %(number)s is niet meer beschikbaar") % {"number": room.number})
    return list(dict.fromkeys(reasons))
