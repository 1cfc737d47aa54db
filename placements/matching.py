"""Which rooms fit a household, and in what order to propose them.

Hard rules (a location or room that breaks one is never proposed, and the service refuses it
through `check_choice`):
  - the location is open (or closing), already open on the arrival day, and does not close on or
    before the arrival day;
  - the rooms are available, at one location, with enough beds for the whole household;
  - pets, infants and a wheelchair only where the location is suitable (a wheelchair also needs a
    wheelchair-accessible room); an infant is a member younger than PLACEMENT_INFANT_MONTHS on
    the arrival day, derived from the date of birth;
  - reduced mobility: only rooms reachable without stairs (`Room.step_free`), and no top bunks:
    the persons in a room must fit in its beds that are not a top bunk (a bunk bed is two beds);
  - an arrival inside the night window (PLACEMENT_NIGHT_START until PLACEMENT_NIGHT_END, local
    time) only at a 24/7 location;
  - a remote location only with own transport;
  - target groups: families only where the location takes families; a single traveller where it
    takes single travellers (a single man also where it takes single men); where the region
    chooses so, a single man only at a doorstroomlocatie, and a doorstroomlocatie for single men
    takes no one else;
  - a shared room (single travellers, `RoomOccupancy.SHARED`) holds one sex. An empty shared room
    takes anyone; a room where women sleep takes only women, one where men sleep only men. The
    members of one household count as one: a household never conflicts with itself (shared rooms
    take single travellers only, so in practice this is one person). Sex "anders / onbekend"
    (`Sex.OTHER`) only in an empty shared room, and nobody joins a shared room where such a
    person sleeps: we cannot tell whom that person may share with, so the coordinator decides by
    giving an empty room (or a household room). See `shared_room_sex_reason`.

Candidates (`find_candidates`)
------------------------------
Only locations of the request's region are considered. Each location is checked against the
location rules; a location that fails is counted once, under its FIRST failing reason in the
order listed by `location_unfit_reasons` (so "12 locaties: geen huisdieren" means twelve
locations whose first problem is pets, some may have more). A location that passes but has no
room (combination) that fits now is counted under "geen passende kamer vrij", or, when a free bed
in a shared room would have fitted but for the one-sex rule, under that rule's reason ("kamer voor
mannen").

Per location at most one proposal, its best:
  - one room if any free room fits the whole household: the room with the least snijverlies
    (beds left empty in a household room), then the lowest floor, room number and id. A single
    traveller may also take a free bed in a shared room (snijverlies 0). A household that fits
    in one room is never split over rooms, even when a split would lose fewer beds.
  - otherwise (a large household) 2..N household rooms of that location, found by an exact
    search: least total snijverlies, then fewest rooms, then the rooms first in floor/number
    order. Persons fill the largest rooms first. A household is never split over locations.
  - for reduced mobility a shared room counts only the lower beds that are certainly free (the
    persons already there may sleep in them): stricter than `room_unfit_reasons`, never looser.

Ranking, in this order (each criterion is shown as a Dutch line in `Candidate.explanation`):
  1. snijverlies ascending, so exact fits come first ("Past precies", "1 bed snijverlies"); at
     equal snijverlies one room before several ("Verdeeld over 2 kamers op deze locatie");
  2. the preferred municipality first, if the request has one ("In voorkeursgemeente Assen
     (school)" / "Niet in voorkeursgemeente Assen");
  3. spreading: occupied beds of the municipality divided by its share of the region's
     population, ascending, so the municipality that carries least relative to its size comes
     first ("Gemeente Emmen draagt 8% van de bezetting bij 13% van de inwoners");
  4. the later end date first; no end date counts as the latest ("Open tot 1 maart 2027" /
     "Geen einddatum");
  5. the location code, then the room numbers: a fixed tiebreak, so the same data always gives
     the same list.
Fractions are compared exactly (no floating point).

Queries: a constant number whatever the size of the region — the household (members, region),
the municipalities with their occupied beds, the locations, the free rooms of the passing
locations (as plain rows, each shared room with the sexes sleeping in it, as EXISTS columns of
that same query), and the contacts of the candidates shown; the rules then run in
Python. The rooms of a candidate are Room instances with the fields the rules read; reading
another field (say `blocked_reason`) costs a query. Nothing is locked: the service re-checks
everything under row locks when a candidate is reserved.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, ClassVar

from django.conf import settings
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, Value, When
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from locations.models import (
    ContactPerson,
    Location,
    LocationKind,
    LocationStatus,
    Municipality,
    Room,
    RoomOccupancy,
    RoomState,
)
from locations.selectors import municipalities_with_capacity

from .models import PlacementRequest, PlacementRoom, Relation, Sex


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
    sexes: frozenset[str] = frozenset()


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
        sexes=frozenset(m.sex for m in members),
    )


def location_unfit_reasons(household: Household, location: Location) -> list[str]:
    """Hard rules at the level of the location; an empty list means it may be proposed.

    The order matters: `find_candidates` counts an excluded location under the first reason."""
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
    if household.size == 1:
        # A location only for single men ("doelgroep alleenstaande mannen" without
        # "alleenreizenden") takes no single woman.
        takes_this_single = location.target_singles or (household.is_single_man and location.target_single_men)
        if not takes_this_single:
            reasons.append(_("geen alleenreizenden"))
    return reasons


def _top_bunks(room: Room) -> int:
    # A bunk bed is two beds, one of them on top; an odd count (a data slip) counts the odd bed
    # as a top one, so the rule errs on the safe side.
    return (room.bunk_beds + 1) // 2


def shared_room_sex_reason(household_sexes: frozenset[str], occupant_sexes: frozenset[str]) -> str | None:
    """Why this household may not sleep in a shared room where persons of `occupant_sexes` sleep
    (the sexes of the OTHER households there), or None. The rule is in the module docstring."""
    if not occupant_sexes:
        return None  # an empty shared room takes anyone
    together = household_sexes | occupant_sexes
    if together in ({Sex.FEMALE}, {Sex.MALE}):
        return None
    if Sex.OTHER in household_sexes:
        return _("geslacht anders/onbekend: alleen een lege gedeelde kamer")
    if occupant_sexes == {Sex.MALE}:
        return _("kamer voor mannen")
    if occupant_sexes == {Sex.FEMALE}:
        return _("kamer voor vrouwen")
    return _("gedeelde kamer met geslacht anders/onbekend of gemengd")


def room_occupant_sexes(room_ids: Sequence[int], *, ignore_placements: Sequence[int] = ()
                        ) -> dict[int, frozenset[str]]:
    """The sexes of the persons of the active placements in these rooms (one query), leaving out
    `ignore_placements` (a household being moved does not share a room with itself)."""
    found: dict[int, set[str]] = {room_id: set() for room_id in room_ids}
    if room_ids:
        rows = (PlacementRoom.objects.filter(room_id__in=list(room_ids), active=True)
                .exclude(placement_id__in=list(ignore_placements))
                .values_list("room_id", "placement__request__members__sex").distinct())
        for room_id, sex in rows:
            if sex:
                found[room_id].add(sex)
    return {room_id: frozenset(sexes) for room_id, sexes in found.items()}


def room_unfit_reasons(household: Household, room: Room, persons: int,
                       occupant_sexes: frozenset[str] | None = None) -> list[str]:
    """Hard rules for one room holding `persons` of the household (availability aside). For a
    shared room, `occupant_sexes` (the sexes of the others sleeping there) brings in the one-sex
    rule; callers that judge a real placement must pass it (check_choice does)."""
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
        if persons > room.beds - _top_bunks(room):
            # The top bunk is not for someone with reduced mobility.
            reasons.append(_("bovenste stapelbed nodig"))
    if room.occupancy == RoomOccupancy.SHARED and household.size > 1:
        reasons.append(_("gedeelde kamer is voor alleenreizenden"))
    if room.occupancy == RoomOccupancy.SHARED and occupant_sexes is not None:
        sex_reason = shared_room_sex_reason(household.sexes, occupant_sexes)
        if sex_reason:
            reasons.append(sex_reason)
    return reasons


def free_beds(room: Room) -> int:
    """Beds of this room a new household can take now."""
    if room.state != RoomState.AVAILABLE:
        return 0
    if room.occupancy == RoomOccupancy.HOUSEHOLD:
        return room.beds if room.occupants == 0 else 0
    return room.beds - room.occupants


def check_choice(request: PlacementRequest, location: Location, allocation: Sequence[tuple[Room, int]],
                 *, check_free: bool = True, ignore_placements: Sequence[int] = ()) -> list[str]:
    """All reasons why placing the request in these rooms (room, persons) is not allowed.

    The services call this with the rooms locked, so the sexes read for the shared rooms stay
    true until they commit. `ignore_placements`: placements leaving these rooms in the same step
    (a transfer's or a swap's own), whose persons do not count as room-mates."""
    household = household_of(request)
    reasons = location_unfit_reasons(household, location)
    shared = [room.pk for room, _persons in allocation if room.occupancy == RoomOccupancy.SHARED]
    sexes = room_occupant_sexes(shared, ignore_placements=ignore_placements)
    if sum(persons for _room, persons in allocation) != household.size:
        reasons.append(_("niet het hele huishouden is ingedeeld"))
    seen: set[int] = set()
    for room, persons in allocation:
        # Caught here so that the user reads what is wrong, not "taken meanwhile" from the
        # database's unique index or its 1..6 persons check.
        if room.pk in seen:
            reasons.append(_("kamer %(number)s is twee keer gekozen") % {"number": room.number})
        seen.add(room.pk)
        if persons < 1:
            reasons.append(_("kamer %(number)s is gekozen zonder personen") % {"number": room.number})
        if room.location_id != location.pk:
            reasons.append(_("kamers op verschillende locaties"))
        for reason in room_unfit_reasons(household, room, persons, sexes.get(room.pk)):
            if room.pk in sexes and reason == shared_room_sex_reason(household.sexes, sexes[room.pk]):
                reason = _("kamer %(number)s: %(reason)s") % {"number": room.number, "reason": reason}
            reasons.append(reason)
        if check_free and persons > free_beds(room):
            reasons.append(_("kamer %(number)s is niet meer beschikbaar") % {"number": room.number})
    return list(dict.fromkeys(reasons))


# --- candidates -------------------------------------------------------------------------------

def combine_rooms(size: int, rooms: Sequence[tuple[int, int]]) -> list[tuple[int, int]] | None:
    """The best way to put `size` persons in several of these rooms, or None if they do not fit.

    `rooms` are (beds, capacity) in order of preference, capacity being how many persons of this
    household the room can take (at most its beds). Returns (index, persons) in index order,
    for the subset with the fewest beds (least snijverlies), then the fewest rooms, then the
    lexicographically first indices. Exact: rooms of one kind beyond what could be useful are
    skipped, then a 0/1 knapsack over "persons covered" capped at `size` (at most 13 states)
    visits the rooms in index order, so the tiebreak on indices survives the dynamic programme. Persons fill the rooms with most capacity first;
    every chosen room gets at least one person because a room that got none could be dropped,
    leaving fewer beds."""
    if size < 1:
        return None
    # Rooms alike in (beds, capacity) are interchangeable, and the best choice takes the first of
    # them; it never needs more than ceil(size / capacity) of one kind (one more could be
    # dropped). So a location with dozens of free rooms leaves a handful to search.
    per_kind: Counter[tuple[int, int]] = Counter()
    # covered persons -> (beds, number of rooms, chosen indices)
    best: dict[int, tuple[int, int, tuple[int, ...]]] = {0: (0, 0, ())}
    for index, (beds, capacity) in enumerate(rooms):
        if capacity < 1 or per_kind[beds, capacity] >= -(-size // capacity):
            continue
        per_kind[beds, capacity] += 1
        for covered, (total_beds, count, chosen) in list(best.items()):
            if covered >= size:
                continue
            reached = min(size, covered + capacity)
            option = (total_beds + beds, count + 1, (*chosen, index))
            if reached not in best or option < best[reached]:
                best[reached] = option
    if size not in best:
        return None
    chosen = best[size][2]
    left, persons = size, {}
    for index in sorted(chosen, key=lambda i: (-rooms[i][1], i)):
        persons[index] = min(rooms[index][1], left)
        left -= persons[index]
    assert left == 0 and all(persons.values()), "combine_rooms: a chosen room got nobody"
    return sorted(persons.items())


@dataclass(slots=True)
class _FreeRoom:
    """The fields of a Room that the rules read, from a plain database row."""

    FIELDS: ClassVar[tuple[str, ...]] = ("id", "location_id", "number", "floor", "beds", "bunk_beds", "step_free",
                                         "wheelchair_accessible", "occupancy", "state", "occupants")
    id: int
    location_id: int
    number: str
    floor: int
    beds: int
    bunk_beds: int
    step_free: bool
    wheelchair_accessible: bool
    occupancy: str
    state: str
    occupants: int
    # Who sleeps in it, for the one-sex rule of shared rooms (always False for a household room).
    with_women: bool = False
    with_men: bool = False
    with_other: bool = False
    db: str = "default"

    @property
    def pk(self) -> int:
        return self.id

    @property
    def occupant_sexes(self) -> frozenset[str]:
        return frozenset(sex for sex, present in ((Sex.FEMALE, self.with_women), (Sex.MALE, self.with_men),
                                                  (Sex.OTHER, self.with_other)) if present)

    def as_room(self, location: Location) -> Room:
        """A Room instance as loaded from the database (the other fields are deferred)."""
        # from_db reads the values in the model's field order.
        names = [f.attname for f in Room._meta.concrete_fields if f.attname in self.FIELDS]
        room = Room.from_db(self.db, names, [getattr(self, name) for name in names])
        room.location = location
        return room


RoomLike = Room | _FreeRoom


def _room_order(room: RoomLike) -> tuple[Any, ...]:
    return (room.floor, room.number, room.pk)


def _room_takes(household: Household, room: _FreeRoom, *, sex_rule: bool = True) -> int:
    """How many persons of this household the room can take now (0: none), by the same rules
    that `check_choice` applies, plus the stricter shared-room rule for reduced mobility.
    `sex_rule=False` only to tell whether the one-sex rule is what left a location out."""
    free = min(free_beds(room), household.size)
    if household.reduced_mobility and room.occupancy == RoomOccupancy.SHARED:
        free = min(free, room.beds - _top_bunks(room) - room.occupants)
    sexes = room.occupant_sexes if sex_rule else None
    if free < 1 or room_unfit_reasons(household, room, 1, sexes):
        return 0  # the rules only get stricter with more persons
    for persons in range(free, 1, -1):
        if not room_unfit_reasons(household, room, persons, sexes):
            return persons
    return 1


def _loss(room: RoomLike, persons: int) -> int:
    """Snijverlies caused by putting `persons` in the room: a household room is given away whole;
    the other beds of a shared room stay available."""
    return room.beds - persons if room.occupancy == RoomOccupancy.HOUSEHOLD else 0


def best_rooms(household: Household, rooms: Sequence[_FreeRoom], *, sex_rule: bool = True
               ) -> list[tuple[_FreeRoom, int]] | None:
    """The best rooms of one location for the household (see the module docstring), or None."""
    takes = [(room, _room_takes(household, room, sex_rule=sex_rule)) for room in sorted(rooms, key=_room_order)]
    takes = [(room, n) for room, n in takes if n > 0]
    whole = [room for room, n in takes if n >= household.size]
    if whole:
        room = min(whole, key=lambda r: (_loss(r, household.size), _room_order(r)))
        return [(room, household.size)]
    household_rooms = [(room, n) for room, n in takes if room.occupancy == RoomOccupancy.HOUSEHOLD]
    combination = combine_rooms(household.size, [(room.beds, n) for room, n in household_rooms])
    if combination is None:
        return None
    return [(household_rooms[index][0], persons) for index, persons in combination]


@dataclass
class Candidate:
    location: Location
    municipality: Municipality
    rooms: list[tuple[Room, int]]
    beds_used: int  # beds this placement takes from the available capacity: persons + snijverlies
    snijverlies: int
    rank: int = 0
    explanation: list[str] = field(default_factory=list)
    contact: ContactPerson | None = None
    sort_key: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    @property
    def allocation(self) -> list[tuple[int, int]]:
        """(room id, persons), as services.placement_reserve takes it."""
        return [(room.pk, persons) for room, persons in self.rooms]

    @property
    def persons(self) -> int:
        return sum(persons for _room, persons in self.rooms)

    @property
    def shared(self) -> bool:
        return any(room.occupancy == RoomOccupancy.SHARED for room, _persons in self.rooms)


@dataclass
class MatchResult:
    household: Household
    candidates: list[Candidate]
    excluded: dict[str, int]
    fitting: int  # locations with a fitting proposal, before the limit
    as_of: dt.datetime
    warnings: list[str] = field(default_factory=list)

    def excluded_lines(self) -> list[str]:
        """"12 locaties: geen huisdieren", most locations first, then by reason."""
        return [
            ngettext("%(count)d locatie: %(reason)s", "%(count)d locaties: %(reason)s", count)
            % {"count": count, "reason": reason}
            for reason, count in sorted(self.excluded.items(), key=lambda item: (-item[1], item[0]))
        ]


def no_room_reason() -> str:
    return _("geen passende kamer vrij")


def _no_room_reason(household: Household, rooms: Sequence[_FreeRoom]) -> str:
    """Why a location that passed its own rules has no proposal: the one-sex rule of shared rooms
    if, without it, a free shared bed would have fitted (its reason, e.g. "kamer voor mannen");
    otherwise no fitting room at all."""
    without = best_rooms(household, rooms, sex_rule=False)
    for room, _persons in without or ():
        reason = shared_room_sex_reason(household.sexes, room.occupant_sexes)
        if room.occupancy == RoomOccupancy.SHARED and reason:
            return reason
    return no_room_reason()


def _sleeping_sexes() -> dict[str, Any]:
    """Per room: does a woman / a man / someone of sex 'anders' sleep in it (shared rooms only)?
    EXISTS columns of the free-rooms query itself, so matching keeps its constant query count;
    PostgreSQL evaluates them only for shared rooms that have occupants (CASE short-circuits)."""
    def sleeps(sex: str) -> Case:
        return Case(When(occupancy=RoomOccupancy.SHARED, occupants__gt=0, then=Exists(
            PlacementRoom.objects.filter(room=OuterRef("pk"), active=True, placement__request__members__sex=sex))),
            default=Value(False), output_field=BooleanField())

    return {"with_women": sleeps(Sex.FEMALE), "with_men": sleeps(Sex.MALE), "with_other": sleeps(Sex.OTHER)}


def _percent(part: int, whole: int) -> int:
    if whole <= 0:
        return 0
    return int((Decimal(100) * part / whole).quantize(Decimal(1), ROUND_HALF_UP))


@dataclass(frozen=True)
class _MunicipalityLoad:
    name: str
    population: int
    occupied: int


class _Spread:
    """Criterion 3: who carries least relative to its share of the population."""

    def __init__(self, loads: dict[int, _MunicipalityLoad]):
        self.loads = loads
        self.population = sum(load.population for load in loads.values())
        self.occupied = sum(load.occupied for load in loads.values())

    def key(self, municipality_id: int) -> tuple[int, Fraction]:
        # occupied / (population / region population); the region's population is the same for
        # every candidate, so occupied / population orders the same. Without inhabitants: last.
        load = self.loads[municipality_id]
        if load.population <= 0:
            return (1, Fraction(0))
        return (0, Fraction(load.occupied, load.population))

    def line(self, municipality_id: int) -> str:
        load = self.loads[municipality_id]
        return _("Gemeente %(name)s draagt %(occupied)s%% van de bezetting bij %(population)s%% van de "
                 "inwoners") % {
            "name": load.name,
            "occupied": _percent(load.occupied, self.occupied),
            "population": _percent(load.population, self.population),
        }


def _end_key(location: Location) -> tuple[int, int]:
    # Later end date first; no end date is the latest of all.
    return (0, 0) if location.end_date is None else (1, -location.end_date.toordinal())


def _sex_line(room: _FreeRoom) -> str:
    sexes = room.occupant_sexes
    if not sexes:
        return _("Gedeelde kamer %(number)s is leeg") % {"number": room.number}
    if sexes == {Sex.FEMALE}:
        return _("Gedeelde kamer %(number)s: alleen vrouwen") % {"number": room.number}
    return _("Gedeelde kamer %(number)s: alleen mannen") % {"number": room.number}


def _explain(candidate: Candidate, request: PlacementRequest, household: Household, spread: _Spread,
             sex_lines: Sequence[str] = ()) -> list[str]:
    lines = []
    if candidate.snijverlies == 0:
        lines.append(_("Geen snijverlies: bed in een gedeelde kamer") if candidate.shared else _("Past precies"))
    else:
        lines.append(ngettext("%(count)d bed snijverlies", "%(count)d bedden snijverlies", candidate.snijverlies)
                     % {"count": candidate.snijverlies})
    lines.extend(sex_lines)
    if len(candidate.rooms) > 1:
        lines.append(_("Verdeeld over %(count)d kamers op deze locatie") % {"count": len(candidate.rooms)})
    preferred_id = household.preferred_municipality_id
    if preferred_id is not None:
        load = spread.loads.get(preferred_id)
        name = load.name if load else request.preferred_municipality.name
        if candidate.municipality.pk == preferred_id:
            reason = request.get_preference_reason_display().lower()
            if reason:
                lines.append(_("In voorkeursgemeente %(name)s (%(reason)s)") % {"name": name, "reason": reason})
            else:
                lines.append(_("In voorkeursgemeente %(name)s") % {"name": name})
        else:
            lines.append(_("Niet in voorkeursgemeente %(name)s") % {"name": name})
    lines.append(spread.line(candidate.municipality.pk))
    end_date = candidate.location.end_date
    if end_date is None:
        lines.append(_("Geen einddatum"))
    else:
        lines.append(_("Open tot %(date)s") % {"date": formats.date_format(end_date, "j F Y")})
    return lines


def find_candidates(request: PlacementRequest, *, limit: int = 10, now: dt.datetime | None = None) -> MatchResult:
    """A ranked list of at most `limit` locations for the request, each with its best rooms,
    and the locations left out counted by reason. See the module docstring for the rules.

    `now` is the moment the availability is read (kept as `as_of`). The rules judge the
    request's expected arrival, as `check_choice` does, so every candidate is one the service
    accepts; when that arrival has passed, a warning says so."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    now = now or timezone.now()
    household = household_of(request)
    warnings = []
    if household.arrival < now:
        warnings.append(_("De verwachte aankomst (%(arrival)s) is al voorbij; de regels, zoals die voor de nacht, "
                          "gaan uit van die tijd. Pas de aankomst aan als die veranderd is.")
                        % {"arrival": formats.date_format(timezone.localtime(household.arrival), "j F Y H:i")})

    # Query 1: occupied beds and population of every municipality of the region (criterion 3);
    # only the one aggregate is computed.
    spread = _Spread({
        row["pk"]: _MunicipalityLoad(row["name"], row["population"], row["cap_occupied"])
        for row in municipalities_with_capacity(Municipality.objects.filter(region_id=request.region_id))
        .values("pk", "name", "population", "cap_occupied")
    })

    # Query 2: every location of the region; the location rules run in Python.
    excluded: Counter[str] = Counter()
    passing: list[Location] = []
    locations = (Location.objects.filter(municipality__region_id=request.region_id)
                 .select_related("municipality").order_by("code", "pk"))
    for location in locations:
        reasons = location_unfit_reasons(household, location)
        if reasons:
            excluded[reasons[0]] += 1
        else:
            passing.append(location)

    # Query 3: the rooms of the passing locations with a bed free now (free_beds() in SQL), as
    # plain rows: a region has some 1,800 rooms and model instances would cost more than the
    # matching itself. Only the rooms finally shown become Room instances.
    rooms_by_location: dict[int, list[_FreeRoom]] = defaultdict(list)
    if passing:
        free_now = (Q(occupancy=RoomOccupancy.HOUSEHOLD, occupants=0)
                    | Q(occupancy=RoomOccupancy.SHARED, occupants__lt=F("beds")))
        rows = (Room.objects.filter(location_id__in=[loc.pk for loc in passing], state=RoomState.AVAILABLE)
                .filter(free_now).annotate(**_sleeping_sexes())
                .order_by("location_id", "floor", "number", "pk")
                .values_list(*_FreeRoom.FIELDS, "with_women", "with_men", "with_other"))
        db = rows.db
        for row in rows:
            room = _FreeRoom(*row, db=db)
            rooms_by_location[room.location_id].append(room)

    candidates: list[Candidate] = []
    for location in passing:
        free_rooms = rooms_by_location.get(location.pk, [])
        chosen = best_rooms(household, free_rooms)
        if chosen is None:
            excluded[_no_room_reason(household, free_rooms)] += 1
            continue
        snijverlies = sum(_loss(room, persons) for room, persons in chosen)
        municipality = location.municipality
        candidates.append(Candidate(
            location=location, municipality=municipality, rooms=chosen,
            beds_used=household.size + snijverlies, snijverlies=snijverlies,
            sort_key=(
                snijverlies, len(chosen),
                0 if municipality.pk == household.preferred_municipality_id else 1,
                spread.key(municipality.pk),
                _end_key(location),
                location.code, tuple(room.number for room, _persons in chosen),
            ),
        ))
    candidates.sort(key=lambda c: c.sort_key)
    shown = candidates[:limit]

    # Query 4: the contacts of the locations shown; the primary contact first.
    contacts: dict[int, ContactPerson] = {}
    if shown:
        for contact in ContactPerson.objects.filter(location_id__in=[c.location.pk for c in shown]).order_by(
                "location_id", "-is_primary", "name", "pk"):
            contacts.setdefault(contact.location_id, contact)
    for rank, candidate in enumerate(shown, 1):
        sex_lines = [_sex_line(room) for room, _persons in candidate.rooms if room.occupancy == RoomOccupancy.SHARED]
        candidate.rooms = [(room.as_room(candidate.location), persons) for room, persons in candidate.rooms]
        candidate.rank = rank
        candidate.contact = contacts.get(candidate.location.pk)
        candidate.explanation = _explain(candidate, request, household, spread, sex_lines)
    return MatchResult(household=household, candidates=shown, excluded=dict(excluded), fitting=len(candidates),
                       as_of=now, warnings=warnings)
