"""Transfer requests under concurrency, with real threads on real PostgreSQL: the services take
THE lock order (request → rooms → placement → transfer request), so a withdrawal racing the
belteam's transfer, or a new request racing a coordinator's transfer, ends in one consistent
state — never a deadlock (500), never a belteam transfer of a withdrawn request, never an open
request on a placement that has gone."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import translation

from placements.models import Placement, PlacementStatus, TransferRequest, TransferRequestStatus
from placements.services import (
    placement_confirm,
    placement_reserve,
    placement_transfer,
    transfer_request_cancel,
    transfer_request_create,
)
from rcvs.errors import ApplicationError
from tests.factories import LocationFactory, RoomFactory, make_request

pytestmark = pytest.mark.django_db(transaction=True)
REPEATS = 4
JOIN_TIMEOUT = 60


def _pair(world, personas, n):
    location = LocationFactory(municipality=world.mun_a, code=f"RACE-{n:03d}")
    here, there = RoomFactory(location=location, number="R1", beds=2), RoomFactory(location=location, number="R2",
                                                                                  beds=2)
    members = [{"first_name": "Olena", "last_name": f"Race{n}-Test", "date_of_birth": dt.date(1990, 4, 1),
                "sex": "f", "relation": "main"},
               {"first_name": "Sofiia", "last_name": f"Race{n}-Test", "date_of_birth": dt.date(2016, 2, 3),
                "sex": "f", "relation": "child"}]
    request = make_request(region=world.noord, members=members)
    placement = placement_reserve(user=personas.coordinator, request=request, allocation=[(here.pk, 2)])
    return placement_confirm(user=personas.coordinator, placement=placement), there


def _together(*calls):
    """Run the calls at the same moment, each in its own thread (own connection); the result or
    the exception of each."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index, call):
        try:
            with translation.override("nl"):
                barrier.wait(10)
                results[index] = call()
        except Exception as exc:  # asserted by the caller
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread hung (lock wait)"
    for result in results:
        assert result is None or not isinstance(result, Exception) or isinstance(result, ApplicationError), result
        assert not (isinstance(result, ApplicationError) and result.code == "concurrent_change"), result
    return results


def test_withdrawal_racing_the_belteam_transfer(world, personas):
    for n in range(REPEATS):
        placement, there = _pair(world, personas, n)
        tr = transfer_request_create(user=personas.coordinator, placement=placement, kind="transfer",
                                     reason_category="overlast")
        moved, cancelled = _together(
            lambda p=placement, r=there: placement_transfer(user=personas.belteam, placement=p,
                                                            allocation=[(r.pk, 2)], reason="Race",
                                                            require_transfer_request=True),
            lambda t=tr: transfer_request_cancel(user=personas.coordinator, transfer_request=t))
        tr.refresh_from_db()
        placement.refresh_from_db()
        if tr.status == TransferRequestStatus.DONE:
            assert isinstance(moved, Placement) and tr.result_placement_id == moved.pk
            assert isinstance(cancelled, ApplicationError) and cancelled.code == "invalid_transition"
            assert placement.status == PlacementStatus.DEPARTED
        else:
            assert tr.status == TransferRequestStatus.CANCELLED
            assert isinstance(moved, ApplicationError) and moved.code == "no_transfer_request"
            assert placement.status == PlacementStatus.CONFIRMED
            assert not Placement.objects.filter(transferred_from=placement).exists()


def test_a_new_request_racing_a_coordinator_transfer(world, personas):
    for n in range(REPEATS):
        placement, there = _pair(world, personas, 100 + n)
        moved, asked = _together(
            lambda p=placement, r=there: placement_transfer(user=personas.coordinator, placement=p,
                                                            allocation=[(r.pk, 2)], reason="Race"),
            lambda p=placement: transfer_request_create(user=personas.coordinator, placement=p, kind="swap",
                                                        reason_category="overlast"))
        assert isinstance(moved, Placement), moved
        # Either the request came first and the transfer carried it out, or it came too late.
        if isinstance(asked, TransferRequest):
            asked.refresh_from_db()
            assert asked.status == TransferRequestStatus.DONE and asked.result_placement_id == moved.pk
        else:
            assert isinstance(asked, ApplicationError) and asked.code == "not_movable", asked
        assert not TransferRequest.objects.filter(placement=placement, status=TransferRequestStatus.OPEN).exists()
