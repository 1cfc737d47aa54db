"""One lock order, really: placement requests → rooms → placements, in every service.

Real threads on real PostgreSQL (each thread its own connection). The first test makes the old
deadlock happen on purpose: a transaction that follows the documented order (request, then the
placement — what a departure does) against placement_arrive. The second runs every pair of
lifecycle operations at the same moment on one placement, a few times, and checks that nobody
deadlocks, only domain errors come back, and the counters and events agree afterwards.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone, translation

from locations.models import Room, RoomState
from locations.services import room_block
from placements.models import (
    ACTIVE_PLACEMENT_STATUSES,
    Placement,
    PlacementEvent,
    PlacementRoom,
    PlacementStatus,
)
from placements.services import (
    conflict_on_deadlock,
    placement_arrive,
    placement_confirm,
    placement_depart,
    placement_release,
    placement_reserve,
    placement_swap,
    placement_transfer,
    reservations_expire,
    rooms_reconcile_occupants,
)
from rcvs.errors import ApplicationError, Conflict
from tests.factories import LocationFactory, RoomFactory, make_request

JOIN_TIMEOUT = 60
REPEATS = 3


def pair_of(last: str) -> list[dict]:
    return [
        {"first_name": "Olena", "last_name": last, "date_of_birth": dt.date(1990, 4, 1), "sex": "f",
         "relation": "main"},
        {"first_name": "Sofiia", "last_name": last, "date_of_birth": dt.date(2016, 2, 3), "sex": "f",
         "relation": "child"},
    ]


def backend_waits_for_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return bool(row) and row[0] == "Lock"


# --- the deadlock of issue 6, made to happen ---------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_arrival_does_not_deadlock_with_a_transaction_that_locks_request_then_placement(world, personas):
    """Transaction A locks the request (as a departure does first); then placement_arrive starts
    and is made to wait; then A locks the placement. The old arrive had locked the placement
    first and waited for the request (its event row refers to it): a lock cycle, and PostgreSQL
    killed one of them with a deadlock (a 500). In the order, arrive waits for the request
    before it touches the placement, so A goes through and then arrive does."""
    location = LocationFactory(municipality=world.mun_a, code="LOCK-001")
    room = RoomFactory(location=location, number="L1", beds=2)
    request = make_request(region=world.noord, members=pair_of("Slot-Test"))
    placement = placement_reserve(user=personas.belteam, request=request, allocation=[(room.pk, 2)])
    placement = placement_confirm(user=personas.belteam, placement=placement)

    state = SimpleNamespace(arrive_pid=None, arrive=None, a_error=None)
    request_locked, pid_known = threading.Event(), threading.Event()

    def transaction_a() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT id FROM placements_placementrequest WHERE id = %s FOR UPDATE",
                                   [request.pk])
                request_locked.set()
                pid_known.wait(10)
                deadline = time.monotonic() + 10
                while not backend_waits_for_lock(state.arrive_pid) and time.monotonic() < deadline:
                    time.sleep(0.02)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT id FROM placements_placement WHERE id = %s FOR UPDATE", [placement.pk])
                    cursor.execute("UPDATE placements_placement SET updated_at = now() WHERE id = %s",
                                   [placement.pk])
        except OperationalError as exc:
            state.a_error = exc
        finally:
            connection.close()

    def arrive() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                state.arrive_pid = cursor.fetchone()[0]
            request_locked.wait(10)
            pid_known.set()
            with translation.override("nl"):
                try:
                    state.arrive = placement_arrive(user=personas.belteam, placement=placement)
                except Exception as exc:  # asserted below
                    state.arrive = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=transaction_a), threading.Thread(target=arrive)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"

    assert state.a_error is None, f"transaction A deadlocked: {state.a_error!r}"
    assert isinstance(state.arrive, Placement), repr(state.arrive)
    placement.refresh_from_db()
    assert placement.status == PlacementStatus.ARRIVED
    assert PlacementEvent.objects.filter(placement=placement, kind=PlacementEvent.Kind.ARRIVED).count() == 1


def test_a_deadlock_that_still_happens_is_a_conflict_in_dutch_not_a_500(db):
    """The last line of defence: PostgreSQL's deadlock error becomes a 409 with a Dutch message."""
    from psycopg import errors

    @conflict_on_deadlock
    def deadlocks() -> None:
        try:
            raise errors.DeadlockDetected("deadlock detected")
        except errors.DeadlockDetected as exc:
            raise OperationalError("deadlock detected") from exc

    @conflict_on_deadlock
    def other_failure() -> None:
        raise OperationalError("server closed the connection")

    with translation.override("nl"), pytest.raises(Conflict) as caught:
        deadlocks()
    assert caught.value.status_code == 409
    assert caught.value.code == "concurrent_change"
    assert caught.value.message == "Tegelijk gewijzigd, probeer het opnieuw"
    with pytest.raises(OperationalError):
        other_failure()  # not every database error is a conflict


# --- every pair of lifecycle operations at once --------------------------------------------------

OPERATIONS = ("confirm", "arrive", "depart", "release", "transfer", "swap", "expire", "block")
# Operations that need a reservation; the others need a confirmed placement to start from.
FROM_RESERVED = {"confirm", "expire"}


def setup_run(world, personas, tag: str, start: str) -> SimpleNamespace:
    location = LocationFactory(municipality=world.mun_a, code=f"PAIR-{tag}")
    home, other, spare = (RoomFactory(location=location, number=f"P{i}", beds=2) for i in (1, 2, 3))
    user = personas.belteam
    placement = placement_reserve(user=user, request=make_request(region=world.noord, members=pair_of("Een-Test")),
                                  allocation=[(home.pk, 2)])
    partner = placement_reserve(user=user, request=make_request(region=world.noord, members=pair_of("Twee-Test")),
                                allocation=[(other.pk, 2)])
    partner = placement_confirm(user=user, placement=partner)
    if start == PlacementStatus.RESERVED:
        Placement.objects.filter(pk=placement.pk).update(reserved_until=timezone.now() - dt.timedelta(minutes=1))
    else:
        placement = placement_confirm(user=user, placement=placement)
    placement = Placement.objects.get(pk=placement.pk)
    return SimpleNamespace(placement=placement, partner=partner, home=home, spare=spare, location=location)


def operation(name: str, run: SimpleNamespace, personas) -> Callable[[], object]:
    user, p = personas.belteam, run.placement
    return {
        "confirm": lambda: placement_confirm(user=user, placement=p),
        "arrive": lambda: placement_arrive(user=user, placement=p),
        "depart": lambda: placement_depart(user=user, placement=p, on=timezone.localdate(), reason="own_housing"),
        "release": lambda: placement_release(user=user, placement=p, reason="Test"),
        "transfer": lambda: placement_transfer(user=user, placement=p, allocation=[(run.spare.pk, 2)],
                                               reason="Test"),
        "swap": lambda: placement_swap(user=user, first=p, second=run.partner, reason="Test"),
        "expire": lambda: reservations_expire(now=timezone.now()),
        "block": lambda: room_block(user=personas.beheerder, room=run.home, reason="Lekkage"),
    }[name]


def run_together(calls: list[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(calls), timeout=30)
    outcomes: list[object] = [None] * len(calls)

    def go(index: int) -> None:
        try:
            with translation.override("nl"):
                connection.ensure_connection()
                barrier.wait()
                try:
                    outcomes[index] = calls[index]()
                except Exception as exc:  # asserted by the caller
                    outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcomes


# Events that carry a placement's own status; TRANSFERRED and SWAPPED belong to the new placement.
STATUS_EVENTS = {PlacementEvent.Kind.RESERVED, PlacementEvent.Kind.CONFIRMED, PlacementEvent.Kind.ARRIVED,
                 PlacementEvent.Kind.DEPARTED, PlacementEvent.Kind.RELEASED, PlacementEvent.Kind.EXPIRED,
                 PlacementEvent.Kind.TRANSFERRED, PlacementEvent.Kind.SWAPPED}


def assert_consistent(run: SimpleNamespace) -> None:
    assert rooms_reconcile_occupants(fix=False) == []  # Room.occupants == the active PlacementRooms
    for room in Room.objects.filter(location=run.location):
        if room.state == RoomState.BLOCKED:
            assert room.occupants == 0
    placements = Placement.objects.filter(location__code__startswith="PAIR-") | Placement.objects.filter(
        request__in=[run.placement.request_id, run.partner.request_id])
    # By pk, the order the rows were written (the locks serialise the writers); `at` is the moment
    # each caller acted, which can be earlier for the one that had to wait.
    for placement in placements.distinct():
        active_rooms = PlacementRoom.objects.filter(placement=placement, active=True).count()
        assert (active_rooms > 0) == (placement.status in ACTIVE_PLACEMENT_STATUSES), placement.status
        kinds = list(PlacementEvent.objects.filter(placement=placement, kind__in=STATUS_EVENTS)
                     .order_by("pk").values_list("kind", "to_status"))
        assert len({k for k, _s in kinds}) == len(kinds), f"a step happened twice: {kinds}"
        moved_on = placement.status == PlacementStatus.DEPARTED and placement.departure_reason == "transfer"
        if moved_on:
            assert Placement.objects.filter(transferred_from=placement).exists()
        else:
            assert kinds and kinds[-1][1] == placement.status, (placement.status, kinds)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first,second", list(itertools.combinations(OPERATIONS, 2)))
def test_two_lifecycle_operations_at_once_on_one_placement(world, personas, first, second):
    for attempt in range(REPEATS):
        start = PlacementStatus.RESERVED if {first, second} & FROM_RESERVED else PlacementStatus.CONFIRMED
        run = setup_run(world, personas, f"{first[:3]}{second[:3]}{attempt}".upper(), start)
        outcomes = run_together([operation(first, run, personas), operation(second, run, personas)])
        for name, outcome in zip((first, second), outcomes, strict=True):
            if isinstance(outcome, Exception):
                # Only a domain refusal (this step no longer fits the state); never a database
                # error, and never a deadlock turned into "probeer het opnieuw".
                assert isinstance(outcome, ApplicationError), f"{name}: {outcome!r}"
                assert outcome.code != "concurrent_change", f"{name} deadlocked: {outcome!r}"
        assert_consistent(run)


@pytest.mark.django_db(transaction=True)
def test_rooms_that_change_between_reading_and_locking_are_locked_too(world, personas, monkeypatch):
    """_lock_for_change reads which rooms to lock, then locks. Should the placement gain a room in
    between (another transaction, committed), the re-read after locking sees it, and the locks are
    taken again so that this room, too, is locked before the placement."""
    import placements.services as services

    location = LocationFactory(municipality=world.mun_a, code="LOCK-002")
    home, extra = RoomFactory(location=location, number="R1", beds=2), RoomFactory(location=location, number="R2")
    placement = placement_reserve(user=personas.belteam, request=make_request(region=world.noord,
                                  members=pair_of("Herlees-Test")), allocation=[(home.pk, 2)])
    real_lock_requests = services._lock_requests
    calls = []

    def lock_requests_while_someone_adds_a_room(ids):
        locked = real_lock_requests(ids)
        calls.append(1)
        if len(calls) == 1:
            def add_room() -> None:  # what a concurrent writer would commit right now
                try:
                    PlacementRoom.objects.create(placement_id=placement.pk, room=extra, persons=1, exclusive=False)
                finally:
                    connection.close()
            thread = threading.Thread(target=add_room)
            thread.start()
            thread.join(JOIN_TIMEOUT)
        return locked

    monkeypatch.setattr(services, "_lock_requests", lock_requests_while_someone_adds_a_room)
    with transaction.atomic():
        request, rooms, locked = services._lock_placement(placement)

    assert len(calls) == 2  # locked once more after the re-read
    assert set(rooms) == {home.pk, extra.pk}
    assert (request.pk, locked.pk) == (placement.request_id, placement.pk)
    PlacementRoom.objects.filter(room=extra).delete()  # leave the counters consistent
