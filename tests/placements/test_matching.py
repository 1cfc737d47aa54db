"""Matching: which locations and rooms a request is offered, in which order, and why not others.

The world fixture gives region Noord with Het Anker (AAD-001, Aadorp; rooms of 1, 2, 4 and 6
beds) and De Beuk (BEE-001, Beekdal; rooms of 3 and 4 beds), and region Zuid with De Cirkel
(CRA-001) — the outsider location that a request in Noord must never see.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from locations.models import LocationKind, LocationStatus, Room, RoomOccupancy, RoomState
from placements.matching import (
    Household,
    check_choice,
    combine_rooms,
    find_candidates,
    household_of,
    room_unfit_reasons,
)
from placements.models import Placement, PlacementRequest, PlacementStatus
from placements.services import NotAvailable, placement_reserve
from tests.factories import (
    ContactPersonFactory,
    LocationFactory,
    RoomFactory,
    family_of_four_with_infant,
    make_request,
)

pytestmark = pytest.mark.django_db

NO_ROOM = "geen passende kamer vrij"


@pytest.fixture(autouse=True)
def dutch():
    with translation.override("nl"):
        yield


def person(first="Olena", *, sex="f", relation="main", born=dt.date(1990, 4, 1), last="Testenko"):
    return {"first_name": first, "last_name": last, "date_of_birth": born, "sex": sex, "relation": relation}


def household(size, **main):
    """A main applicant and size-1 children of school age."""
    return [person(**main)] + [person(f"Kind{i}", relation="child", born=dt.date(2015, 1, i)) for i in range(1, size)]


SINGLE_MAN = [person("Andrii", sex="m")]


def at_local(days, hour, minute=0):
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def codes(result):
    return [candidate.location.code for candidate in result.candidates]


def by_code(result):
    return {candidate.location.code: candidate for candidate in result.candidates}


def rooms_of(candidate):
    return [(room.number, persons) for room, persons in candidate.rooms]


# --- hard rules -------------------------------------------------------------------------------

def test_pets_only_at_a_location_suitable_for_pets(world):
    pets_ok = LocationFactory(municipality=world.mun_b, code="BEE-002", suitable_pets=True)
    RoomFactory(location=pets_ok, number="1", beds=2)

    result = find_candidates(make_request(region=world.noord, pets_count=1, pets_kind="kat"))

    assert codes(result) == ["BEE-002"]
    assert result.excluded == {"geen huisdieren": 2}
    assert set(codes(find_candidates(make_request(region=world.noord)))) == {"AAD-001", "BEE-001", "BEE-002"}


def test_infants_derived_from_the_date_of_birth_only_where_suitable(world):
    infants_ok = LocationFactory(municipality=world.mun_b, code="BEE-003", suitable_infants=True)
    RoomFactory(location=infants_ok, number="1", beds=4)

    request = make_request(region=world.noord, members=family_of_four_with_infant())
    result = find_candidates(request)

    assert result.household.infants == 1
    assert codes(result) == ["BEE-003"]
    assert result.excluded == {"niet geschikt voor zuigelingen": 2}

    toddler = family_of_four_with_infant("Bondarenko-Test")
    toddler[3]["date_of_birth"] = timezone.localdate() - dt.timedelta(days=3 * 365)
    assert set(codes(find_candidates(make_request(region=world.noord, members=toddler)))) == {
        "AAD-001", "BEE-001", "BEE-003"}


def test_wheelchair_needs_a_suitable_location_and_an_accessible_room(world):
    no_room = LocationFactory(municipality=world.mun_a, code="AAD-010", suitable_wheelchair=True)
    RoomFactory(location=no_room, number="1", beds=2)
    suitable = LocationFactory(municipality=world.mun_a, code="AAD-011", suitable_wheelchair=True)
    RoomFactory(location=suitable, number="1", beds=2)  # an exact fit, but not accessible
    RoomFactory(location=suitable, number="2", beds=4, wheelchair_accessible=True, step_free=True)

    result = find_candidates(make_request(region=world.noord, members=household(2), needs_wheelchair=True))

    assert codes(result) == ["AAD-011"]
    assert rooms_of(result.candidates[0]) == [("2", 2)]
    assert result.candidates[0].snijverlies == 2
    assert result.excluded == {"niet rolstoeltoegankelijk": 2, NO_ROOM: 1}


def test_reduced_mobility_no_stairs_and_no_top_bunk(world):
    location = LocationFactory(municipality=world.mun_b, code="BEE-004", has_stairs=True, has_bunk_beds=True)
    RoomFactory(location=location, number="1", floor=1, beds=2)  # stairs only
    RoomFactory(location=location, number="2", beds=4, bunk_beds=4, step_free=True)  # two lower beds
    RoomFactory(location=location, number="3", beds=6, bunk_beds=2, step_free=True)  # five lower beds

    two = find_candidates(make_request(region=world.noord, members=household(2), reduced_mobility=True))
    assert codes(two) == ["BEE-004"]
    assert rooms_of(two.candidates[0]) == [("2", 2)]
    assert two.candidates[0].explanation[0] == "2 bedden snijverlies"
    assert two.excluded == {NO_ROOM: 2}  # the world's rooms are not step-free

    three = find_candidates(make_request(region=world.noord, members=household(3, last="Drie"),
                                         reduced_mobility=True))
    assert rooms_of(three.candidates[0]) == [("3", 3)]  # room 2 would need a top bunk

    control = find_candidates(make_request(region=world.noord, members=household(2, last="Vier")))
    assert rooms_of(by_code(control)["BEE-004"]) == [("1", 2)]


def test_reduced_mobility_odd_bunk_count_errs_on_the_safe_side(world):
    room = RoomFactory(location=world.loc_a, number="A9", beds=3, bunk_beds=1, step_free=True)
    request = make_request(region=world.noord, members=household(3), reduced_mobility=True)
    assert "bovenste stapelbed nodig" in room_unfit_reasons(household_of(request), room, 3)
    assert room_unfit_reasons(household_of(request), room, 2) == []


def test_reduced_mobility_shared_room_counts_only_lower_beds_surely_free(world):
    location = LocationFactory(municipality=world.mun_b, code="BEE-005")
    shared = RoomFactory(location=location, number="S1", beds=4, bunk_beds=4, step_free=True,
                         occupancy=RoomOccupancy.SHARED, occupants=2)
    request = make_request(region=world.noord, reduced_mobility=True)

    assert "BEE-005" not in codes(find_candidates(request))  # the two others may use both lower beds

    Room.objects.filter(pk=shared.pk).update(occupants=1)
    assert rooms_of(by_code(find_candidates(request))["BEE-005"]) == [("S1", 1)]


def test_night_arrival_only_at_a_24_7_location_with_a_configurable_window(world, settings):
    settings.PLACEMENT_NIGHT_START, settings.PLACEMENT_NIGHT_END = 22, 7
    intake = LocationFactory(municipality=world.mun_b, code="BEE-024", intake_24_7=True)
    RoomFactory(location=intake, number="1", beds=1)
    night_reason = {"geen 24/7-intake voor nachtelijke aankomst": 2}

    for hour, minute in ((23, 30), (6, 59), (22, 0)):
        result = find_candidates(make_request(region=world.noord, arrival=at_local(1, hour, minute)))
        assert (codes(result), result.excluded) == (["BEE-024"], night_reason), (hour, minute)
    day = find_candidates(make_request(region=world.noord, arrival=at_local(1, 7, 0)))
    assert set(codes(day)) == {"AAD-001", "BEE-001", "BEE-024"}

    settings.PLACEMENT_NIGHT_START, settings.PLACEMENT_NIGHT_END = 13, 16
    afternoon = find_candidates(make_request(region=world.noord, arrival=at_local(1, 14, 0)))
    assert codes(afternoon) == ["BEE-024"]


def test_remote_location_only_with_own_transport(world):
    remote = LocationFactory(municipality=world.mun_a, code="AAD-012", is_remote=True)
    RoomFactory(location=remote, number="1", beds=1)

    without = find_candidates(make_request(region=world.noord))
    assert "AAD-012" not in codes(without)
    assert without.excluded == {"afgelegen, eigen vervoer nodig": 1}

    with_car = find_candidates(make_request(region=world.noord, own_transport=True))
    assert "AAD-012" in codes(with_car)
    assert with_car.excluded == {}


def test_location_closing_on_or_before_the_arrival_day_is_not_proposed(world):
    arrival = at_local(3, 14)
    day = timezone.localtime(arrival).date()
    for code, end in (("AAD-013", day - dt.timedelta(days=1)), ("AAD-014", day)):
        RoomFactory(location=LocationFactory(municipality=world.mun_a, code=code, end_date=end), number="1")
    later = LocationFactory(municipality=world.mun_a, code="AAD-015", end_date=day + dt.timedelta(days=1),
                            status=LocationStatus.CLOSING)
    RoomFactory(location=later, number="1")

    result = find_candidates(make_request(region=world.noord, arrival=arrival))

    assert set(codes(result)) == {"AAD-001", "BEE-001", "AAD-015"}
    assert result.excluded == {"sluit voor de aankomst": 2}


def test_location_not_open_or_not_yet_open_on_arrival_is_not_proposed(world):
    arrival = at_local(3, 14)
    day = timezone.localtime(arrival).date()
    for code, status, opening in (("AAD-016", LocationStatus.PREPARING, None),
                                  ("AAD-017", LocationStatus.CLOSED, None),
                                  ("AAD-018", LocationStatus.OPEN, day + dt.timedelta(days=1)),
                                  ("AAD-019", LocationStatus.OPEN, day)):
        location = LocationFactory(municipality=world.mun_a, code=code, status=status, opening_date=opening)
        RoomFactory(location=location, number="1")

    result = find_candidates(make_request(region=world.noord, arrival=arrival))

    assert set(codes(result)) == {"AAD-001", "BEE-001", "AAD-019"}
    assert result.excluded == {"niet open": 2, "nog niet open bij aankomst": 1}


def test_single_man_only_at_a_doorstroomlocatie_where_the_region_chooses_so(world):
    transit = LocationFactory(municipality=world.mun_b, code="BEE-050", kind=LocationKind.DOORSTROOM,
                              target_single_men=True, target_families=False)
    RoomFactory(location=transit, number="1", beds=4, occupancy=RoomOccupancy.SHARED)

    free_choice = find_candidates(make_request(region=world.noord, members=SINGLE_MAN))
    assert set(codes(free_choice)) == {"AAD-001", "BEE-001", "BEE-050"}

    world.noord.single_men_to_transit = True
    world.noord.save()
    man = find_candidates(make_request(region=world.noord, members=[person("Petro", sex="m")]))
    assert codes(man) == ["BEE-050"]
    assert man.excluded == {"alleenstaande man: alleen doorstroomlocatie": 2}

    woman = find_candidates(make_request(region=world.noord))
    assert set(codes(woman)) == {"AAD-001", "BEE-001"}
    assert woman.excluded == {"doorstroomlocatie voor alleenstaande mannen": 1}


def test_a_location_only_for_single_men_takes_no_single_woman(world):
    men_only = LocationFactory(municipality=world.mun_b, code="BEE-051", target_singles=False,
                               target_single_men=True, target_families=False)
    RoomFactory(location=men_only, number="1", beds=1)

    woman = find_candidates(make_request(region=world.noord))
    assert "BEE-051" not in codes(woman)
    assert woman.excluded == {"geen alleenreizenden": 1}
    assert "BEE-051" in codes(find_candidates(make_request(region=world.noord, members=SINGLE_MAN)))


def test_a_blocked_room_is_never_proposed(world):
    location = LocationFactory(municipality=world.mun_b, code="BEE-006")
    RoomFactory(location=location, number="1", beds=1, state=RoomState.BLOCKED, blocked_reason="Lekkage")
    RoomFactory(location=location, number="2", beds=3)

    result = find_candidates(make_request(region=world.noord))

    assert rooms_of(by_code(result)["BEE-006"]) == [("2", 1)]
    Room.objects.filter(location=location, number="2").update(state=RoomState.BLOCKED, blocked_reason="Schimmel")
    result = find_candidates(make_request(region=world.noord, members=[person("Anna")]))
    assert "BEE-006" not in codes(result)
    assert result.excluded == {NO_ROOM: 1}


def test_an_occupied_household_room_is_not_offered_to_another_household(world, personas):
    location = LocationFactory(municipality=world.mun_b, code="BEE-007")
    room = RoomFactory(location=location, number="1", beds=4)
    first = make_request(region=world.noord, members=household(3))
    placement_reserve(user=personas.belteam, request=first, allocation=[(room.pk, 3)])

    result = find_candidates(make_request(region=world.noord))  # one person; three beds are "free"

    assert "BEE-007" not in codes(result)
    assert result.excluded == {NO_ROOM: 1}


def test_shared_room_for_a_single_traveller_but_not_for_a_family(world):
    location = LocationFactory(municipality=world.mun_b, code="BEE-008")
    RoomFactory(location=location, number="S1", beds=4, occupancy=RoomOccupancy.SHARED, occupants=2)

    single = by_code(find_candidates(make_request(region=world.noord)))["BEE-008"]
    assert rooms_of(single) == [("S1", 1)]
    assert (single.snijverlies, single.beds_used) == (0, 1)
    assert single.explanation[0] == "Geen snijverlies: bed in een gedeelde kamer"

    family = find_candidates(make_request(region=world.noord, members=household(2)))
    assert "BEE-008" not in codes(family)
    assert family.excluded == {NO_ROOM: 1}


def test_only_the_requests_own_region_is_searched(world):
    noord = find_candidates(make_request(region=world.noord))
    zuid = find_candidates(make_request(region=world.zuid, members=[person("Anna")]))

    assert "CRA-001" not in codes(noord)
    assert sum(noord.excluded.values()) + noord.fitting == 2
    assert codes(zuid) == ["CRA-001"]
    assert zuid.fitting == 1 and zuid.excluded == {}


# --- ranking ----------------------------------------------------------------------------------

def test_least_snijverlies_first_even_against_spreading(world):
    RoomFactory(location=world.loc_b, number="B9", beds=2, occupants=2)  # Beekdal carries all occupancy

    result = find_candidates(make_request(region=world.noord, members=household(3)))

    assert codes(result) == ["BEE-001", "AAD-001"]
    first, second = result.candidates
    assert (first.rank, rooms_of(first), first.snijverlies, first.beds_used) == (1, [("B1", 3)], 0, 3)
    assert first.explanation == ["Past precies",
                                 "Gemeente Beekdal draagt 100% van de bezetting bij 50% van de inwoners",
                                 "Geen einddatum"]
    assert (second.rank, rooms_of(second), second.snijverlies, second.beds_used) == (2, [("A3", 3)], 1, 4)
    assert second.explanation == ["1 bed snijverlies",
                                  "Gemeente Aadorp draagt 0% van de bezetting bij 50% van de inwoners",
                                  "Geen einddatum"]


def test_preferred_municipality_after_snijverlies_and_before_spreading(world):
    RoomFactory(location=world.loc_a, number="A9", beds=2, occupants=2)  # spreading favours Beekdal

    request = make_request(region=world.noord, members=household(3), preferred_municipality=world.mun_a,
                           preference_reason="school")
    assert codes(find_candidates(request)) == ["BEE-001", "AAD-001"]  # an exact fit beats the preference

    RoomFactory(location=world.loc_a, number="A5", beds=3)
    result = find_candidates(request)
    assert codes(result) == ["AAD-001", "BEE-001"]
    assert result.candidates[0].explanation == [
        "Past precies", "In voorkeursgemeente Aadorp (school)",
        "Gemeente Aadorp draagt 100% van de bezetting bij 50% van de inwoners", "Geen einddatum"]
    assert result.candidates[1].explanation == [
        "Past precies", "Niet in voorkeursgemeente Aadorp",
        "Gemeente Beekdal draagt 0% van de bezetting bij 50% van de inwoners", "Geen einddatum"]


def test_spreading_relative_to_the_share_of_the_population(world):
    world.mun_a.population, world.mun_b.population = 30_000, 70_000
    world.mun_a.save()
    world.mun_b.save()
    RoomFactory(location=world.loc_a, number="A9", beds=3, occupants=3)
    RoomFactory(location=world.loc_b, number="B9", beds=5, occupants=5)

    result = find_candidates(make_request(region=world.noord, members=household(4)))

    # Beekdal holds more people (5 against 3) but less than its share: 5/70% < 3/30%.
    assert codes(result) == ["BEE-001", "AAD-001"]
    assert result.candidates[0].explanation == [
        "Past precies", "Gemeente Beekdal draagt 63% van de bezetting bij 70% van de inwoners", "Geen einddatum"]
    assert result.candidates[1].explanation == [
        "Past precies", "Gemeente Aadorp draagt 38% van de bezetting bij 30% van de inwoners", "Geen einddatum"]


def test_later_end_date_first_no_end_date_latest_then_location_code(world):
    for code, end in (("AAD-101", dt.date(2098, 3, 1)), ("AAD-102", dt.date(2099, 3, 1))):
        RoomFactory(location=LocationFactory(municipality=world.mun_a, code=code, end_date=end), number="1")

    result = find_candidates(make_request(region=world.noord, members=household(4)))

    assert codes(result) == ["AAD-001", "BEE-001", "AAD-102", "AAD-101"]
    assert [c.rank for c in result.candidates] == [1, 2, 3, 4]
    assert result.candidates[0].explanation[-1] == "Geen einddatum"
    assert result.candidates[2].explanation[-1] == "Open tot 1 maart 2099"
    assert result.candidates[3].explanation[-1] == "Open tot 1 maart 2098"


def test_deterministic_and_ties_broken_by_location_code(world):
    # Created in the opposite order and named so that name order is the opposite too.
    for code, name in (("AAD-900", "Akkerhof"), ("AAD-200", "Zonnehof")):
        location = LocationFactory(municipality=world.mun_a, code=code, name=name)
        RoomFactory(location=location, number="2", beds=5)
        RoomFactory(location=location, number="1", beds=5)
    request = make_request(region=world.noord, members=household(5))

    first, second = find_candidates(request), find_candidates(request)

    assert codes(first) == ["AAD-200", "AAD-900", "AAD-001", "BEE-001"]  # exact fits, then 1 and 2 lost
    assert [(c.location.code, c.allocation, c.explanation) for c in first.candidates] == [
        (c.location.code, c.allocation, c.explanation) for c in second.candidates]
    assert rooms_of(first.candidates[0]) == [("1", 5)]  # floor, then room number


def test_limit_keeps_the_best_and_counts_all_that_fit(world):
    result = find_candidates(make_request(region=world.noord, members=household(3)), limit=1)
    assert codes(result) == ["BEE-001"]
    assert result.fitting == 2
    with pytest.raises(ValueError):
        find_candidates(make_request(region=world.noord, members=[person("Anna")]), limit=0)


def test_contact_to_call_is_the_primary_one(world):
    ContactPersonFactory(location=world.loc_b, name="Aaltje (receptie)", is_primary=False)
    primary = ContactPersonFactory(location=world.loc_b, name="Zwaan (locatiemanager)", is_primary=True)

    found = by_code(find_candidates(make_request(region=world.noord)))

    assert found["BEE-001"].contact == primary
    assert found["AAD-001"].contact is None


# --- large households ---------------------------------------------------------------------------

def test_a_household_of_nine_combines_rooms_at_one_location_and_never_over_two(world, personas):
    exact = LocationFactory(municipality=world.mun_b, code="BEE-009")
    for number, beds in (("1", 6), ("2", 2), ("3", 3)):
        RoomFactory(location=exact, number=number, beds=beds)
    loose = LocationFactory(municipality=world.mun_b, code="BEE-010")
    for number, beds in (("1", 6), ("2", 4)):
        RoomFactory(location=loose, number=number, beds=beds)
    # Six beds here and four there would hold nine, but a household is never split over locations.
    RoomFactory(location=LocationFactory(municipality=world.mun_a, code="AAD-020"), number="1", beds=6)
    RoomFactory(location=LocationFactory(municipality=world.mun_a, code="AAD-021"), number="1", beds=4)
    request = make_request(region=world.noord, members=household(9))

    result = find_candidates(request)

    assert codes(result) == ["BEE-009", "AAD-001", "BEE-010"]
    top, anker, last = result.candidates
    assert rooms_of(top) == [("1", 6), ("3", 3)]
    assert top.explanation[:2] == ["Past precies", "Verdeeld over 2 kamers op deze locatie"]
    assert rooms_of(anker) == [("A1", 1), ("A2", 2), ("A4", 6)]  # exact too, but three rooms
    assert (last.snijverlies, last.beds_used, rooms_of(last)) == (1, 10, [("1", 6), ("2", 3)])
    assert last.explanation[0] == "1 bed snijverlies"
    assert result.excluded == {NO_ROOM: 3}  # De Beuk (7 beds), AAD-020 and AAD-021
    for candidate in result.candidates:
        assert {room.location_id for room, _persons in candidate.rooms} == {candidate.location.pk}

    placement = placement_reserve(user=personas.belteam, request=request, allocation=top.allocation)
    assert placement.location == exact and placement.persons == 9
    assert sorted(Room.objects.filter(location=exact).values_list("number", "occupants")) == [
        ("1", 6), ("2", 0), ("3", 3)]


def test_a_household_that_fits_one_room_is_not_split(world):
    location = LocationFactory(municipality=world.mun_b, code="BEE-011")
    for number, beds in (("1", 2), ("2", 2), ("3", 5)):
        RoomFactory(location=location, number=number, beds=beds)

    candidate = by_code(find_candidates(make_request(region=world.noord, members=household(4))))["BEE-011"]

    assert rooms_of(candidate) == [("3", 4)]
    assert candidate.snijverlies == 1


def brute_force(size, rooms):
    best = None
    for count in range(1, len(rooms) + 1):
        for subset in itertools.combinations(range(len(rooms)), count):
            if sum(rooms[i][1] for i in subset) >= size:
                key = (sum(rooms[i][0] for i in subset), count, subset)
                best = key if best is None or key < best else best
    return best


# Any room, or one of a few common kinds so that alike rooms (which the search prunes) recur.
room_strategy = st.integers(1, 6).flatmap(lambda beds: st.tuples(st.just(beds), st.integers(0, beds))) | st.sampled_from(
    [(1, 1), (2, 2), (3, 3), (4, 4), (6, 6), (4, 2), (6, 5)])


@hypothesis_settings(max_examples=400, deadline=None)
@given(size=st.integers(1, 12), rooms=st.lists(room_strategy, max_size=10))
def test_combine_rooms_is_exact(size, rooms):
    result = combine_rooms(size, rooms)
    expected = brute_force(size, rooms)
    if expected is None:
        assert result is None
        return
    chosen = tuple(index for index, _persons in result)
    assert (sum(rooms[i][0] for i in chosen), len(chosen), chosen) == expected
    assert sum(persons for _index, persons in result) == size
    assert all(1 <= persons <= rooms[index][1] for index, persons in result)


# --- exclusions, queries, the service -----------------------------------------------------------

def test_excluded_locations_counted_once_under_their_first_reason(world):
    for code in ("AAD-030", "AAD-031", "AAD-032"):  # no pets and remote: counted under pets
        RoomFactory(location=LocationFactory(municipality=world.mun_a, code=code, is_remote=True), number="1")
    RoomFactory(location=LocationFactory(municipality=world.mun_a, code="AAD-033", suitable_pets=True,
                                         is_remote=True), number="1")
    RoomFactory(location=LocationFactory(municipality=world.mun_a, code="AAD-034",
                                         status=LocationStatus.CLOSED), number="1")  # closed and no pets
    RoomFactory(location=LocationFactory(municipality=world.mun_b, code="BEE-030", suitable_pets=True),
                number="1", beds=2, occupants=2)
    RoomFactory(location=LocationFactory(municipality=world.mun_b, code="BEE-031", suitable_pets=True),
                number="1", beds=1)

    result = find_candidates(make_request(region=world.noord, pets_count=2, pets_kind="hond"))

    assert codes(result) == ["BEE-031"]
    assert result.excluded == {"geen huisdieren": 5, "afgelegen, eigen vervoer nodig": 1, "niet open": 1,
                               NO_ROOM: 1}
    assert result.excluded_lines() == ["5 locaties: geen huisdieren", "1 locatie: afgelegen, eigen vervoer nodig",
                                       "1 locatie: geen passende kamer vrij", "1 locatie: niet open"]


def test_number_of_queries_does_not_grow_with_the_number_of_locations(world):
    def add_locations(count, start):
        for i in range(start, start + count):
            location = LocationFactory(municipality=world.mun_a if i % 2 else world.mun_b, code=f"GEN-{i:03d}")
            for number, beds in enumerate((1, 2, 4), 1):
                RoomFactory(location=location, number=str(number), beds=beds)
            ContactPersonFactory(location=location)

    request_pk = make_request(region=world.noord).pk

    def measure():
        request = PlacementRequest.objects.get(pk=request_pk)
        with CaptureQueriesContext(connection) as queries:
            result = find_candidates(request, limit=100)
        return len(queries.captured_queries), result

    add_locations(2, 0)
    small, small_result = measure()
    add_locations(25, 2)
    large, large_result = measure()

    assert (len(small_result.candidates), len(large_result.candidates)) == (4, 29)
    assert all(c.contact is not None for c in large_result.candidates if c.location.code.startswith("GEN"))
    assert small == large
    assert large <= 6


def test_every_candidate_is_accepted_by_the_service(world, personas):
    suitable = LocationFactory(municipality=world.mun_b, code="BEE-040", suitable_infants=True)
    RoomFactory(location=suitable, number="1", beds=3)
    RoomFactory(location=suitable, number="2", beds=2)
    RoomFactory(location=world.loc_b, number="S1", beds=4, occupancy=RoomOccupancy.SHARED, occupants=1)
    requests = [make_request(region=world.noord),
                make_request(region=world.noord, members=household(6, last="Zes")),
                make_request(region=world.noord, members=household(9, last="Negen")),
                make_request(region=world.noord, members=family_of_four_with_infant())]
    for request in requests:
        result = find_candidates(request)
        assert result.candidates, request
        for candidate in result.candidates:
            assert check_choice(request, candidate.location, candidate.rooms) == []

    request = requests[-1]
    top = find_candidates(request).candidates[0]
    assert rooms_of(top) == [("1", 3), ("2", 1)]  # the infant's family over two rooms at one location
    placement = placement_reserve(user=personas.belteam, request=request, allocation=top.allocation)
    assert placement.status == PlacementStatus.RESERVED
    assert dict(Room.objects.filter(location=suitable).values_list("number", "occupants")) == {"1": 3, "2": 1}

    again = find_candidates(make_request(region=world.noord, members=household(2, last="Twee")))
    assert all(room.location_id != suitable.pk for c in again.candidates for room, _p in c.rooms)


def test_service_refuses_a_room_chosen_twice_before_writing(world, personas):
    room = world.rooms_a[2]
    request = make_request(region=world.noord, members=household(4))

    assert "kamer A3 is twee keer gekozen" in check_choice(request, world.loc_a, [(room, 2), (room, 2)])
    with pytest.raises(NotAvailable):
        placement_reserve(user=personas.belteam, request=request, allocation=[(room.pk, 2), (room.pk, 2)])
    assert not Placement.objects.filter(request=request).exists()
    assert Room.objects.get(pk=room.pk).occupants == 0


def test_an_arrival_already_passed_is_warned_about(world):
    request = make_request(region=world.noord, arrival=at_local(1, 14))
    assert find_candidates(request).warnings == []
    later = find_candidates(request, now=request.expected_arrival + dt.timedelta(hours=1))
    assert later.as_of == request.expected_arrival + dt.timedelta(hours=1)
    assert len(later.warnings) == 1 and "is al voorbij" in later.warnings[0]


def test_household_is_a_frozen_summary(world):
    request = make_request(region=world.noord, members=SINGLE_MAN, own_transport=True)
    summary = household_of(request)
    assert isinstance(summary, Household)
    assert (summary.size, summary.adults, summary.is_single_man, summary.own_transport) == (1, 1, True, True)
