"""The placement services: every step an event, refusals that write nothing, capacity that agrees
with the placements after every step, and transfers and swaps that happen whole or not at all."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation

from locations.models import Location, Room, RoomOccupancy, RoomState
from locations.selectors import Capacity, locations_with_capacity
from placements import services
from placements.models import (
    ACTIVE_PLACEMENT_STATUSES,
    HouseholdMember,
    Placement,
    PlacementEvent,
    PlacementRequest,
    PlacementRoom,
    PlacementStatus,
    RequestStatus,
)
from placements.services import (
    InvalidTransition,
    NotAvailable,
    placement_arrive,
    placement_confirm,
    placement_depart,
    placement_release,
    placement_reserve,
    placement_swap,
    placement_transfer,
    request_cancel,
    request_create,
    request_take,
)
from placements.tasks import expire_reservations
from rcvs.celery import app as celery_app
from rcvs.errors import ApplicationError
from tests.factories import ContactPersonFactory, RoomFactory, make_request

pytestmark = pytest.mark.django_db

CARE_DETAIL = "Dialyse-Testdetail"
MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
             "oktober", "november", "december")


# --- helpers ----------------------------------------------------------------------------------

def arrival_at(days: int = 1) -> dt.datetime:
    local = timezone.localtime() + dt.timedelta(days=days)
    return local.replace(hour=14, minute=0, second=0, microsecond=0)


def adults(n: int, last_name: str) -> list[dict]:
    """A synthetic household of n adults: a main applicant and siblings."""
    relations = ["main"] + ["sibling"] * (n - 1)
    return [{"first_name": f"Persoon{i}", "last_name": last_name, "date_of_birth": dt.date(1980 + i, 5, 1),
             "sex": "f" if i % 2 else "m", "relation": relation} for i, relation in enumerate(relations)]


def household(world, n: int, last_name: str, **data) -> PlacementRequest:
    return make_request(region=world.noord, members=adults(n, last_name), **data)


def confirmed(user, request: PlacementRequest, room: Room, persons: int | None = None) -> Placement:
    persons = persons or request.members.count()
    placement = placement_reserve(user=user, request=request, allocation=[(room.pk, persons)])
    return placement_confirm(user=user, placement=placement)


def snapshot() -> dict:
    """Everything a placement service may write; equal snapshots mean nothing was written."""
    return {
        "rooms": dict(Room.objects.values_list("pk", "occupants")),
        "placements": sorted(Placement.objects.values_list("pk", "status", "location_id", "departed_on",
                                                           "departure_reason", "reserved_until")),
        "placement_rooms": sorted(PlacementRoom.objects.values_list("placement_id", "room_id", "persons", "active")),
        "requests": sorted(PlacementRequest.objects.values_list("pk", "status")),
        "events": list(PlacementEvent.objects.order_by("pk").values_list("pk", flat=True)),
    }


def capacity_agrees(location: Location) -> Capacity:
    """The capacity selectors and the placements tell the same story, room by room."""
    for room in Room.objects.filter(location=location):
        held = PlacementRoom.objects.filter(room=room, active=True).aggregate(n=Sum("persons"))["n"] or 0
        assert room.occupants == held, f"room {room.number}: occupants {room.occupants} != held {held}"
        assert room.occupants <= room.beds
    # A PlacementRoom holds beds exactly while its placement is active.
    assert not PlacementRoom.objects.filter(room__location=location, active=True).exclude(
        placement__status__in=ACTIVE_PLACEMENT_STATUSES).exists()
    assert not PlacementRoom.objects.filter(room__location=location, active=False,
                                            placement__status__in=ACTIVE_PLACEMENT_STATUSES).exists()

    capacity = Capacity.from_obj(locations_with_capacity(Location.objects.filter(pk=location.pk)).get())
    placed = Placement.objects.filter(location=location, status__in=ACTIVE_PLACEMENT_STATUSES).aggregate(
        n=Sum("persons"))["n"] or 0
    assert capacity.occupied == placed
    rooms = list(Room.objects.filter(location=location, state=RoomState.AVAILABLE))
    household_rooms = [r for r in rooms if r.occupancy == RoomOccupancy.HOUSEHOLD]
    shared_rooms = [r for r in rooms if r.occupancy == RoomOccupancy.SHARED]
    assert capacity.available == (sum(r.beds for r in household_rooms if r.occupants == 0)
                                  + sum(r.beds - r.occupants for r in shared_rooms))
    assert capacity.snijverlies == sum(r.beds - r.occupants for r in household_rooms if r.occupants)
    assert capacity.identity_holds
    return capacity


def event_rows(request: PlacementRequest) -> list[tuple]:
    return list(PlacementEvent.objects.filter(request=request).order_by("pk").values_list(
        "kind", "from_status", "to_status", "actor__username", "reason"))


@pytest.fixture
def eager_celery(monkeypatch):
    """Tasks run in this process. Celery caches its broker pool and (per thread) its result
    backend; what it builds here (a pool for the default broker, a disabled backend) is put back
    afterwards, so that a later test that talks to Redis does not inherit it."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    amqp = celery_app.amqp
    saved = (celery_app._pool, amqp._producer_pool, celery_app._local.__dict__.pop("backend", None))
    yield celery_app
    celery_app._pool, amqp._producer_pool = saved[0], saved[1]
    celery_app._local.__dict__.pop("backend", None)
    if saved[2] is not None:
        celery_app._local.backend = saved[2]


# --- the lifecycle ----------------------------------------------------------------------------

def test_every_step_writes_who_when_from_to_why_and_capacity_follows(world, personas):
    t0 = timezone.now().replace(microsecond=0)
    arrival = arrival_at(1)  # daytime: a night arrival needs a 24/7 location
    room = world.rooms_a[2]  # 4 beds, one household
    empty = capacity_agrees(world.loc_a)

    request = request_create(user=personas.belteam, region=world.noord, members=adults(2, "Levensloop"),
                             data={"expected_arrival": arrival}, now=t0)
    request_take(user=personas.belteam, request=request, now=t0 + dt.timedelta(minutes=5))
    placement = placement_reserve(user=personas.belteam, request=request, allocation=[(room.pk, 2)],
                                  now=t0 + dt.timedelta(hours=1))
    reserved = capacity_agrees(world.loc_a)
    assert (reserved.occupied, reserved.snijverlies, reserved.available) == (2, 2, empty.available - 4)
    assert placement.reserved_until == t0 + dt.timedelta(hours=1 + 4)

    placement_confirm(user=personas.coordinator, placement=placement, now=t0 + dt.timedelta(hours=2))
    assert capacity_agrees(world.loc_a) == reserved  # confirming moves no beds
    placement_arrive(user=personas.gemeente_a, placement=placement, at=arrival)
    assert capacity_agrees(world.loc_a) == reserved
    left = arrival + dt.timedelta(days=2)
    placement_depart(user=personas.gemeente_a, placement=placement, on=timezone.localdate(left),
                     reason="own_housing", note="Huurwoning gevonden", now=left)
    assert capacity_agrees(world.loc_a) == empty

    assert event_rows(request) == [
        ("request_created", "", "new", "belteam", ""),
        ("request_status", "new", "in_progress", "belteam", ""),
        ("reserved", "", "reserved", "belteam", ""),
        ("request_status", "in_progress", "reserved", "belteam", ""),
        ("confirmed", "reserved", "confirmed", "coordinator", ""),
        ("request_status", "reserved", "placed", "coordinator", ""),
        ("arrived", "confirmed", "arrived", "gemeente_a", ""),
        ("departed", "arrived", "departed", "gemeente_a", "Eigen woonruimte: Huurwoning gevonden"),
    ]
    moments = list(PlacementEvent.objects.filter(request=request).order_by("pk").values_list("at", flat=True))
    assert moments == [t0, t0 + dt.timedelta(minutes=5), *[t0 + dt.timedelta(hours=1)] * 2,
                       *[t0 + dt.timedelta(hours=2)] * 2, arrival, left]
    reserve_event = PlacementEvent.objects.get(request=request, kind="reserved")
    assert reserve_event.placement_id == placement.pk
    assert reserve_event.data == {"location": "AAD-001", "rooms": [["A3", 2]]}

    placement.refresh_from_db()
    request.refresh_from_db()
    assert (placement.status, placement.departed_on, placement.departure_reason) == (
        PlacementStatus.DEPARTED, timezone.localdate(left), "own_housing")
    assert (placement.confirmed_at, placement.arrived_at) == (t0 + dt.timedelta(hours=2), arrival)
    assert request.status == RequestStatus.PLACED


@pytest.fixture
def reserved_placement(world, personas):
    request = household(world, 2, "Overgang")
    return placement_reserve(user=personas.belteam, request=request, allocation=[(world.rooms_a[2].pk, 2)])


def test_confirming_twice_is_refused_in_dutch_and_writes_nothing(reserved_placement, personas):
    placement_confirm(user=personas.belteam, placement=reserved_placement)
    before = snapshot()

    with pytest.raises(InvalidTransition) as excinfo:
        placement_confirm(user=personas.belteam, placement=reserved_placement, notify_location=True)

    assert excinfo.value.message == "Bevestigen kan niet vanuit status 'Bevestigd'."
    assert (excinfo.value.code, excinfo.value.status_code) == ("invalid_transition", 409)
    assert snapshot() == before


def test_arriving_before_confirmation_is_refused_and_writes_nothing(reserved_placement, personas):
    before = snapshot()
    with pytest.raises(InvalidTransition) as excinfo:
        placement_arrive(user=personas.belteam, placement=reserved_placement)
    assert excinfo.value.message == "Aankomst melden kan niet vanuit status 'Gereserveerd'."
    assert snapshot() == before


@pytest.mark.parametrize(("on_days", "reason", "message"), [
    (1, "own_housing", "De vertrekdatum ligt in de toekomst."),
    (0, "moved_to_the_moon", "Kies een reden van vertrek."),
    (0, "", "Kies een reden van vertrek."),
    (-10, "own_housing", "De vertrekdatum ligt voor de aankomst."),
])
def test_a_wrong_departure_is_refused_in_dutch_and_writes_nothing(reserved_placement, personas, on_days, reason,
                                                                  message):
    placement = placement_confirm(user=personas.belteam, placement=reserved_placement)
    placement_arrive(user=personas.belteam, placement=placement)
    before = snapshot()

    with pytest.raises(ApplicationError) as excinfo:
        placement_depart(user=personas.belteam, placement=placement,
                         on=timezone.localdate() + dt.timedelta(days=on_days), reason=reason)

    assert (excinfo.value.message, excinfo.value.code) == (message, "invalid")
    assert excinfo.value.extra["fields"] in ({"on": [message]}, {"reason": [message]})
    assert snapshot() == before


# --- request_create refuses bad input ---------------------------------------------------------

def _one_main(**changes) -> list[dict]:
    return [{"first_name": "Olha", "last_name": "Invoerfout", "date_of_birth": dt.date(1990, 1, 1), "sex": "f",
             "relation": "main", **changes}]


@pytest.mark.parametrize(("members", "data", "fields"), [
    pytest.param([], {}, {"members": ["Voeg minstens één gezinslid toe."]}, id="no-members"),
    pytest.param(_one_main(date_of_birth=dt.date.today() + dt.timedelta(days=30)), {},
                 {"members[0].date_of_birth": ["De geboortedatum ligt in de toekomst."]}, id="born-in-future"),
    pytest.param(_one_main(), {"expected_arrival": timezone.now() - dt.timedelta(days=1)},
                 {"expected_arrival": ["De verwachte aankomst ligt in het verleden."]}, id="arrival-in-past"),
    pytest.param(_one_main() + _one_main(first_name="Oksana"), {},
                 {"members": ["Een huishouden heeft precies één hoofdaanvrager."]}, id="two-main-applicants"),
    pytest.param(_one_main(relation="child"), {},
                 {"members": ["Een huishouden heeft precies één hoofdaanvrager."]}, id="no-main-applicant"),
    # The pets rule is a table constraint, so its message comes without a field of its own.
    pytest.param(_one_main(), {"pets_count": 2}, {"pets_kind": ["Vul de soort huisdier in."]}, id="pets-without-kind"),
])
def test_bad_requests_are_refused_with_field_errors_and_nothing_written(world, personas, members, data, fields):
    with pytest.raises(ApplicationError) as excinfo:
        request_create(user=personas.belteam, region=world.noord, members=members,
                       data={"expected_arrival": arrival_at(), **data})

    assert excinfo.value.code == "invalid"
    assert excinfo.value.message == "Het verzoek is niet compleet of niet juist."
    assert excinfo.value.extra == {"fields": fields}
    assert not PlacementRequest.objects.exists()
    assert not HouseholdMember.objects.exists()
    assert not PlacementEvent.objects.exists()


def test_a_good_request_is_written_with_its_household_and_an_event(world, personas):
    request = request_create(user=personas.belteam, region=world.noord, members=adults(3, "Goed"),
                             data={"expected_arrival": arrival_at(), "pets_count": 1, "pets_kind": "hond"})
    assert request.members.count() == 3
    assert list(request.members.values_list("position", flat=True)) == [0, 1, 2]
    assert event_rows(request) == [("request_created", "", "new", "belteam", "")]
    assert PlacementEvent.objects.get(request=request).data == {"persons": 3, "source": "lcvs"}


# --- expiry -----------------------------------------------------------------------------------

@pytest.fixture
def three_reservations(world, personas):
    """One reservation that ran out, one still valid, one old but confirmed in time."""
    long_ago = timezone.now() - dt.timedelta(hours=5)
    expired = placement_reserve(user=personas.belteam, request=household(world, 1, "Verlopen"),
                                allocation=[(world.rooms_a[0].pk, 1)], now=long_ago)
    fresh = placement_reserve(user=personas.belteam, request=household(world, 2, "Vers"),
                              allocation=[(world.rooms_a[1].pk, 2)])
    kept = placement_reserve(user=personas.belteam, request=household(world, 3, "Bevestigd"),
                             allocation=[(world.rooms_a[2].pk, 3)], now=long_ago)
    placement_confirm(user=personas.belteam, placement=kept, now=long_ago + dt.timedelta(hours=1))
    return expired, fresh, kept


def _assert_only_expired_released(world, expired, fresh, kept):
    statuses = dict(Placement.objects.values_list("pk", "status"))
    assert statuses == {expired.pk: "released", fresh.pk: "reserved", kept.pk: "confirmed"}
    occupants = dict(Room.objects.filter(location=world.loc_a).values_list("number", "occupants"))
    assert occupants == {"A1": 0, "A2": 2, "A3": 3, "A4": 0}
    request = PlacementRequest.objects.get(pk=expired.request_id)
    assert request.status == RequestStatus.IN_PROGRESS
    assert event_rows(request)[-2:] == [
        ("expired", "reserved", "released", None, "Reservering niet op tijd bevestigd"),
        ("request_status", "reserved", "in_progress", None, "Reservering niet op tijd bevestigd"),
    ]
    assert PlacementEvent.objects.filter(kind="expired").count() == 1
    capacity_agrees(world.loc_a)


def test_expiry_releases_only_expired_unconfirmed_reservations(world, three_reservations):
    expired, fresh, kept = three_reservations

    assert services.reservations_expire(now=timezone.now()) == [expired.pk]

    _assert_only_expired_released(world, expired, fresh, kept)
    assert services.reservations_expire(now=timezone.now()) == []  # nothing twice


def test_expiry_task_runs_the_same_job(world, three_reservations, eager_celery):
    expired, fresh, kept = three_reservations

    assert expire_reservations.delay().get(timeout=10) == [expired.pk]

    _assert_only_expired_released(world, expired, fresh, kept)


def test_expiry_of_a_reservation_is_exact_to_the_moment(world, personas):
    start = timezone.now() - dt.timedelta(hours=2)
    placement = placement_reserve(user=personas.belteam, request=household(world, 1, "Grens"),
                                  allocation=[(world.rooms_a[0].pk, 1)], now=start)
    assert services.reservations_expire(now=placement.reserved_until) == []
    assert services.reservations_expire(now=placement.reserved_until + dt.timedelta(seconds=1)) == [placement.pk]


# --- release and cancel free beds -------------------------------------------------------------

def test_release_gives_the_beds_back_and_requeues_the_request(reserved_placement, world, personas):
    placement_release(user=personas.belteam, placement=reserved_placement, reason="Familie komt later")

    assert Room.objects.get(pk=world.rooms_a[2].pk).occupants == 0
    reserved_placement.refresh_from_db()
    assert (reserved_placement.status, reserved_placement.reserved_until) == (PlacementStatus.RELEASED, None)
    assert event_rows(reserved_placement.request)[-2:] == [
        ("released", "reserved", "released", "belteam", "Familie komt later"),
        ("request_status", "reserved", "in_progress", "belteam", "Familie komt later"),
    ]
    capacity_agrees(world.loc_a)


def test_cancelling_a_reserved_request_frees_its_beds(reserved_placement, world, personas):
    request_cancel(user=personas.belteam, request=reserved_placement.request, reason="Terug naar familie in Polen")

    reserved_placement.refresh_from_db()
    reserved_placement.request.refresh_from_db()
    assert reserved_placement.status == PlacementStatus.RELEASED
    assert reserved_placement.request.status == RequestStatus.CANCELLED
    assert Room.objects.get(pk=world.rooms_a[2].pk).occupants == 0
    assert event_rows(reserved_placement.request)[-2:] == [
        ("released", "reserved", "released", "belteam", "Terug naar familie in Polen"),
        ("request_status", "reserved", "cancelled", "belteam", "Terug naar familie in Polen"),
    ]
    capacity_agrees(world.loc_a)


def test_a_placed_request_is_not_cancelled_but_released_or_departed(reserved_placement, personas):
    placement_confirm(user=personas.belteam, placement=reserved_placement)
    before = snapshot()
    with pytest.raises(InvalidTransition) as excinfo:
        request_cancel(user=personas.belteam, request=reserved_placement.request, reason="Komt niet")
    assert excinfo.value.message == "Annuleren kan niet vanuit status 'Geplaatst'."
    assert snapshot() == before


def test_releasing_a_confirmed_placement_frees_its_beds(reserved_placement, world, personas):
    placement = placement_confirm(user=personas.belteam, placement=reserved_placement)
    placement_release(user=personas.belteam, placement=placement, reason="Niet op komen dagen")
    assert Room.objects.get(pk=world.rooms_a[2].pk).occupants == 0
    assert event_rows(placement.request)[-2:] == [
        ("released", "confirmed", "released", "belteam", "Niet op komen dagen"),
        ("request_status", "placed", "in_progress", "belteam", "Niet op komen dagen"),
    ]
    capacity_agrees(world.loc_a)


def test_releasing_one_single_in_a_shared_room_keeps_the_other(world, personas):
    room = RoomFactory(location=world.loc_b, number="B-GEDEELD", beds=3, occupancy=RoomOccupancy.SHARED)
    first = placement_reserve(user=personas.belteam, request=household(world, 1, "Eerste"),
                              allocation=[(room.pk, 1)])
    placement_reserve(user=personas.belteam, request=household(world, 1, "Tweede"), allocation=[(room.pk, 1)])
    assert capacity_agrees(world.loc_b).available == 3 + 4 + 1

    placement_release(user=personas.belteam, placement=first, reason="Niet komen opdagen")

    assert Room.objects.get(pk=room.pk).occupants == 1
    assert capacity_agrees(world.loc_b).available == 3 + 4 + 2


# --- transfer ---------------------------------------------------------------------------------

@pytest.fixture
def staying(world, personas):
    """A household of two that arrived in room A3 (4 beds) at Het Anker."""
    placement = confirmed(personas.belteam, household(world, 2, "Verhuizer"), world.rooms_a[2])
    return placement_arrive(user=personas.belteam, placement=placement)


def test_transfer_leaves_one_room_and_enters_another_in_one_step(staying, world, personas):
    target = world.rooms_b[0]  # B1, 3 beds, De Beuk

    new = placement_transfer(user=personas.coordinator, placement=staying, allocation=[(target.pk, 2)],
                             reason="Dichter bij school")

    staying.refresh_from_db()
    assert (staying.status, staying.departure_reason, staying.departure_note) == (
        PlacementStatus.DEPARTED, "transfer", "Dichter bij school")
    assert (new.status, new.location, new.persons, new.transferred_from) == (
        PlacementStatus.ARRIVED, world.loc_b, 2, staying)
    assert Room.objects.get(pk=world.rooms_a[2].pk).occupants == 0
    assert Room.objects.get(pk=target.pk).occupants == 2
    assert Placement.objects.filter(request=staying.request, status__in=ACTIVE_PLACEMENT_STATUSES).get() == new
    event = PlacementEvent.objects.get(kind="transferred")
    assert (event.placement, event.actor, event.from_status, event.to_status, event.reason) == (
        new, personas.coordinator, "arrived", "arrived", "Dichter bij school")
    assert event.data == {"from": "AAD-001", "to": "BEE-001", "rooms": [["B1", 2]]}
    capacity_agrees(world.loc_a)
    capacity_agrees(world.loc_b)


def test_transfer_to_a_taken_room_is_refused_and_changes_nothing(staying, world, personas):
    target = world.rooms_b[0]
    placement_reserve(user=personas.belteam, request=household(world, 1, "Eerder"), allocation=[(target.pk, 1)])
    before = snapshot()

    with pytest.raises(NotAvailable) as excinfo:
        placement_transfer(user=personas.coordinator, placement=staying, allocation=[(target.pk, 2)],
                           reason="Dichter bij school")

    assert excinfo.value.message == "Niet meer beschikbaar: kamer B1 is niet meer beschikbaar"
    assert snapshot() == before


def test_transfer_failing_after_the_vacate_step_changes_nothing(staying, world, personas):
    old_room, target = world.rooms_a[2], world.rooms_b[0]
    before = snapshot()
    seen = {}

    def broken_occupy(placement, allocation):
        # By now the old room has been vacated inside the transaction: this is halfway.
        seen["old_room_occupants"] = Room.objects.get(pk=old_room.pk).occupants
        seen["old_status"] = Placement.objects.get(pk=staying.pk).status
        raise RuntimeError("stroomstoring")

    with mock.patch("placements.services._occupy", side_effect=broken_occupy) as occupy:
        with pytest.raises(RuntimeError):
            placement_transfer(user=personas.coordinator, placement=staying, allocation=[(target.pk, 2)],
                               reason="Dichter bij school")

    assert occupy.call_count == 1
    assert seen == {"old_room_occupants": 0, "old_status": PlacementStatus.DEPARTED}
    after = snapshot()
    assert after["rooms"] == before["rooms"]
    assert after["placements"] == before["placements"]
    assert after["events"] == before["events"]
    assert after == before
    capacity_agrees(world.loc_a)
    capacity_agrees(world.loc_b)


def test_transfer_out_of_the_region_is_refused(staying, world, personas):
    before = snapshot()
    with pytest.raises(NotAvailable) as excinfo:
        placement_transfer(user=personas.coordinator, placement=staying, allocation=[(world.rooms_c[0].pk, 2)],
                           reason="Familie in het zuiden")
    # A room of another region is answered like one that does not exist (tests/security).
    assert "een kamer bestaat niet meer" in excinfo.value.message
    assert snapshot() == before


# --- swap -------------------------------------------------------------------------------------

@pytest.fixture
def two_households(world, personas):
    """Two in A3 (4 beds, Het Anker) and three in B1 (3 beds, De Beuk): each fits the other's room."""
    pair = confirmed(personas.belteam, household(world, 2, "Paar"), world.rooms_a[2])
    trio = confirmed(personas.belteam, household(world, 3, "Trio"), world.rooms_b[0])
    return pair, trio


def test_swap_exchanges_rooms_in_one_step(two_households, world, personas):
    pair, trio = two_households

    new_pair, new_trio = placement_swap(user=personas.coordinator, first=pair, second=trio,
                                        reason="Ruiling op verzoek van beide gezinnen")

    assert (new_pair.location, new_pair.persons, new_pair.status) == (world.loc_b, 2, PlacementStatus.CONFIRMED)
    assert (new_trio.location, new_trio.persons, new_trio.status) == (world.loc_a, 3, PlacementStatus.CONFIRMED)
    assert list(new_pair.rooms.values_list("room__number", "persons", "active")) == [("B1", 2, True)]
    assert list(new_trio.rooms.values_list("room__number", "persons", "active")) == [("A3", 3, True)]
    occupants = dict(Room.objects.filter(pk__in=[world.rooms_a[2].pk, world.rooms_b[0].pk])
                     .values_list("number", "occupants"))
    assert occupants == {"A3": 3, "B1": 2}
    assert set(Placement.objects.filter(pk__in=[pair.pk, trio.pk]).values_list("status", flat=True)) == {"departed"}
    swapped = PlacementEvent.objects.filter(kind="swapped").order_by("pk")
    assert [(e.placement, e.actor, e.reason) for e in swapped] == [
        (new_pair, personas.coordinator, "Ruiling op verzoek van beide gezinnen"),
        (new_trio, personas.coordinator, "Ruiling op verzoek van beide gezinnen")]
    assert [e.data["with"] for e in swapped] == [str(trio.uuid), str(pair.uuid)]
    capacity_agrees(world.loc_a)
    capacity_agrees(world.loc_b)


def test_a_swap_where_one_household_does_not_fit_is_refused_and_changes_nothing(world, personas):
    four = confirmed(personas.belteam, household(world, 4, "Vier"), world.rooms_a[2])  # A3: 4 beds
    one = confirmed(personas.belteam, household(world, 1, "Een"), world.rooms_a[0])  # A1: 1 bed
    before = snapshot()

    with pytest.raises(NotAvailable) as excinfo:
        placement_swap(user=personas.coordinator, first=four, second=one, reason="Ruiling")

    assert excinfo.value.message == "Niet meer beschikbaar: de huishoudens passen niet in elkaars kamers"
    assert snapshot() == before


def test_a_swap_failing_halfway_changes_nothing(two_households, world, personas):
    pair, trio = two_households
    before = snapshot()
    real_occupy = services._occupy
    calls = []

    def occupy_then_fail(placement, allocation):
        calls.append(placement.pk)
        if len(calls) == 1:
            return real_occupy(placement, allocation)  # the first household has moved ...
        raise RuntimeError("verbinding verbroken")  # ... and the second does not get in

    with mock.patch("placements.services._occupy", side_effect=occupy_then_fail):
        with pytest.raises(RuntimeError):
            placement_swap(user=personas.coordinator, first=pair, second=trio, reason="Ruiling")

    assert len(calls) == 2
    assert snapshot() == before
    capacity_agrees(world.loc_a)
    capacity_agrees(world.loc_b)


def test_only_confirmed_or_arrived_households_swap(reserved_placement, world, personas):
    other = confirmed(personas.belteam, household(world, 2, "Ander"), world.rooms_b[0])
    before = snapshot()
    with pytest.raises(InvalidTransition):
        placement_swap(user=personas.coordinator, first=reserved_placement, second=other, reason="Ruiling")
    assert snapshot() == before


# --- the mail to the location -----------------------------------------------------------------

@pytest.fixture
def mail_case(world, personas):
    # The primary contact sorts last by name: it must win on being primary, not on the alphabet.
    ContactPersonFactory(location=world.loc_a, name="Aaltje Vervanger", email="vervanger@example.org",
                         is_primary=False)
    ContactPersonFactory(location=world.loc_a, name="Zwaantje Locatiemanager", email="manager@example.org",
                         is_primary=True)
    members = adults(2, "Mailtest")
    request = make_request(region=world.noord, members=members, arrival=arrival_at(2), care_need=True,
                           notes=CARE_DETAIL)
    return placement_reserve(user=personas.belteam, request=request, allocation=[(world.rooms_a[2].pk, 2)])


def test_location_mail_is_queued_only_after_commit_and_tells_only_what_the_location_needs(
        mail_case, personas, django_capture_on_commit_callbacks, mailoutbox, eager_celery, settings):
    # Django's test runner swaps every MAILERS entry for the locmem backend.
    assert settings.MAILERS["default"]["BACKEND"] == "django.core.mail.backends.locmem.EmailBackend"

    with translation.override("nl"):
        with django_capture_on_commit_callbacks() as callbacks:
            placement_confirm(user=personas.belteam, placement=mail_case, notify_location=True)
        assert len(callbacks) == 1
        assert mailoutbox == []  # nothing leaves before the transaction has committed
        assert not PlacementEvent.objects.filter(kind="mail_sent").exists()

        callbacks[0]()  # the commit

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    arrival = timezone.localtime(mail_case.request.expected_arrival)
    assert message.to == ["manager@example.org"]
    assert message.subject == f"Plaatsing: 2 persoon/personen, aankomst {arrival:%d-%m-%Y} 14:00"
    assert "Er komt een huishouden van 2 persoon/personen naar Het Anker." in message.body
    assert f"{arrival.day} {MONTHS_NL[arrival.month - 1]} {arrival.year}, 14:00" in message.body
    assert "Persoon0 Mailtest" in message.body and "Persoon1 Mailtest" in message.body
    assert "A3 (2 pers.)" in message.body
    assert CARE_DETAIL not in message.body
    assert "zorg" not in message.body.lower()

    event = PlacementEvent.objects.get(kind="mail_sent")
    assert (event.placement, event.reason, event.data) == (
        mail_case, "Bericht verstuurd aan manager@example.org", {"sent": True})


def test_no_mail_when_the_confirmation_is_rolled_back(mail_case, personas, django_capture_on_commit_callbacks,
                                                      mailoutbox):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                placement_confirm(user=personas.belteam, placement=mail_case, notify_location=True)
                raise RuntimeError("later step failed")
    assert callbacks == []
    assert mailoutbox == []
    assert Placement.objects.get(pk=mail_case.pk).status == PlacementStatus.RESERVED


def test_no_mail_is_queued_unless_asked(mail_case, personas, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        placement_confirm(user=personas.belteam, placement=mail_case)
    assert callbacks == []
    assert mailoutbox == []


def test_a_location_without_mail_address_gets_a_recorded_non_mail(world, personas,
                                                                  django_capture_on_commit_callbacks,
                                                                  mailoutbox, eager_celery):
    placement = placement_reserve(user=personas.belteam, request=household(world, 1, "Zonderadres"),
                                  allocation=[(world.rooms_b[0].pk, 1)])
    with django_capture_on_commit_callbacks(execute=True):
        placement_confirm(user=personas.belteam, placement=placement, notify_location=True)
    assert mailoutbox == []
    event = PlacementEvent.objects.get(kind="mail_sent")
    assert event.data == {"sent": False}
    assert event.reason == "Geen e-mailadres van de locatie bekend; niet verstuurd."
