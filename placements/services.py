"""Writes for placements. Every change of capacity happens here, in one transaction:

  lock order: placement requests (by pk) → rooms (by pk) → placements (by pk)
              → transfer requests (by pk)

(`_lock_for_change` takes them so for every change of an existing placement; a reservation locks
its request and then its rooms), then re-check, refuse with a domain error *before* writing anything, write, record an event,
and only after commit do side effects (mail). Room.occupants is changed with F() expressions on
locked rows; the database refuses more occupants than beds and a second household in a household
room even if this code were wrong.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import errors as psycopg_errors

from locations.models import Location, Room
from rcvs.errors import ApplicationError, Conflict, NotFound

from . import matching
from .models import (
    ACTIVE_PLACEMENT_STATUSES,
    OPEN_REQUEST_STATUSES,
    REASON_CATEGORY_PATTERN,
    DepartureReason,
    HouseholdMember,
    Placement,
    PlacementEvent,
    PlacementRequest,
    PlacementRoom,
    PlacementStatus,
    Relation,
    RequestStatus,
    TransferKind,
    TransferOrigin,
    TransferRequest,
    TransferRequestStatus,
)

if TYPE_CHECKING:
    from rcvs.accounts.models import User

Allocation = Sequence[tuple[int, int]]  # (room id, persons)
logger = logging.getLogger(__name__)


class NotAvailable(Conflict):
    """The rooms were taken meanwhile (or never fitted): the caller shows fresh candidates."""

    def __init__(self, reasons: list[str]):
        super().__init__(_("Niet meer beschikbaar: %(reasons)s") % {"reasons": "; ".join(reasons)},
                         code="not_available", extra={"reasons": reasons})


class InvalidTransition(Conflict):
    def __init__(self, what: str, status: str):
        super().__init__(_("%(what)s kan niet vanuit status '%(status)s'.") % {"what": what, "status": status},
                         code="invalid_transition")


def _event(*, request: PlacementRequest, kind: str, actor: User | None, at: dt.datetime,
           placement: Placement | None = None, from_status: str = "", to_status: str = "",
           reason: str = "", data: dict[str, Any] | None = None) -> PlacementEvent:
    return PlacementEvent.objects.create(
        request=request, placement=placement, kind=kind, actor=actor if actor and actor.is_authenticated else None,
        at=at, from_status=from_status, to_status=to_status, reason=reason, data=data or {})


def _set_request_status(request: PlacementRequest, status: str, *, actor: User | None, at: dt.datetime,
                        reason: str = "", placement: Placement | None = None) -> None:
    if request.status == status:
        return
    _event(request=request, kind=PlacementEvent.Kind.REQUEST_STATUS, actor=actor, at=at, placement=placement,
           from_status=request.status, to_status=status, reason=reason)
    request.status = status
    request.save(update_fields=["status", "updated_at"])


def _lock_requests(ids: Iterable[int]) -> dict[int, PlacementRequest]:
    return {r.pk: r for r in PlacementRequest.objects.select_for_update().filter(pk__in=set(ids)).order_by("pk")}


def _lock_rooms(ids: Iterable[int]) -> dict[int, Room]:
    rooms = Room.objects.select_for_update().filter(pk__in=set(ids)).order_by("pk")
    return {room.pk: room for room in rooms}


def _outside_region(rooms: Iterable[Room], region_id: int) -> bool:
    """Whether any of these rooms lies in another region: such a room is answered like one that does
    not exist, so that its number, state and occupants are never checked and named for the caller."""
    location_ids = {room.location_id for room in rooms}
    return Location.objects.filter(pk__in=location_ids).exclude(municipality__region_id=region_id).exists()


def _lock_placements(ids: Iterable[int]) -> dict[int, Placement]:
    return {p.pk: p for p in Placement.objects.select_for_update().filter(pk__in=set(ids)).order_by("pk")}


class _ChangedWhileLocking(Exception):
    """The rows read before locking no longer describe the placement: lock again."""


LOCK_ATTEMPTS = 3


def _lock_for_change(placement_ids: Sequence[int], *, extra_rooms: Iterable[int] = ()
                     ) -> tuple[dict[int, PlacementRequest], dict[int, Room], dict[int, Placement]]:
    """Lock what a change of these placements touches, in THE lock order: their requests (by pk),
    then their active rooms plus `extra_rooms` (by pk), then the placements (by pk).

    Every service that changes an existing placement goes through here, so the order lives in
    one place. Which request and rooms to lock is read before locking; after locking, the
    placements are read again and, should their request or active rooms have changed meanwhile
    (a transfer, a departure), the locks are given back (savepoint rollback releases row locks in
    PostgreSQL) and taken again, a few times, then the caller is told to retry. Locking the
    placement first and its request afterwards is what deadlocked an arrival with a departure."""
    assert transaction.get_connection().in_atomic_block, "lock inside the caller's transaction"
    ids = sorted(set(placement_ids))
    extra = set(extra_rooms)
    for _attempt in range(LOCK_ATTEMPTS):
        request_ids = dict(Placement.objects.filter(pk__in=ids).values_list("pk", "request_id"))
        if len(request_ids) != len(ids):
            raise NotFound(_("Deze plaatsing bestaat niet meer."), code="not_found")
        room_ids = set(PlacementRoom.objects.filter(placement_id__in=ids, active=True)
                       .values_list("room_id", flat=True))
        try:
            with transaction.atomic():
                requests = _lock_requests(request_ids.values())
                rooms = _lock_rooms(room_ids | extra)
                placements = _lock_placements(ids)
                now_active = set(PlacementRoom.objects.filter(placement_id__in=ids, active=True)
                                 .values_list("room_id", flat=True))
                if ({pk: p.request_id for pk, p in placements.items()} != request_ids
                        or not now_active <= room_ids):
                    raise _ChangedWhileLocking
                return requests, rooms, placements
        except _ChangedWhileLocking:
            continue
    raise Conflict(_concurrent_change_message(), code="concurrent_change")


def _lock_placement(placement: Placement, *, extra_rooms: Iterable[int] = ()
                    ) -> tuple[PlacementRequest, dict[int, Room], Placement]:
    """`_lock_for_change` for one placement: (its request, the rooms locked, the placement re-read)."""
    requests, rooms, placements = _lock_for_change([placement.pk], extra_rooms=extra_rooms)
    locked = placements[placement.pk]
    return requests[locked.request_id], rooms, locked


def _concurrent_change_message() -> str:
    return _("Tegelijk gewijzigd, probeer het opnieuw")


def _is_concurrency_failure(exc: OperationalError) -> bool:
    return isinstance(exc.__cause__, (psycopg_errors.DeadlockDetected, psycopg_errors.SerializationFailure,
                                      psycopg_errors.LockNotAvailable))


def conflict_on_deadlock[**P, T](func: Callable[P, T]) -> Callable[P, T]:
    """Last line of defence, not a substitute for the lock order: a deadlock or serialization
    failure that PostgreSQL still reports becomes a 409 with a Dutch message instead of a 500.
    Wrap the OUTERMOST atomic block of a service (the transaction is dead by then; only the
    caller can try again). Logged, so that a lock-order bug shows up in the logs."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except OperationalError as exc:
            if not _is_concurrency_failure(exc):
                raise
            logger.warning("%s: %s, answered as a conflict", func.__name__, type(exc.__cause__).__name__)
            raise Conflict(_concurrent_change_message(), code="concurrent_change") from exc

    return wrapper


def _occupy(placement: Placement, allocation: Sequence[tuple[Room, int]]) -> None:
    for room, persons in allocation:
        PlacementRoom.objects.create(placement=placement, room=room, persons=persons,
                                     exclusive=room.occupancy == "household")
        Room.objects.filter(pk=room.pk).update(occupants=F("occupants") + persons, updated_at=timezone.now())


def _vacate(placement: Placement) -> None:
    for placement_room in placement.rooms.filter(active=True):
        Room.objects.filter(pk=placement_room.room_id).update(
            occupants=F("occupants") - placement_room.persons, updated_at=timezone.now())
    placement.rooms.filter(active=True).update(active=False)


# --- requests ---------------------------------------------------------------------------------

REQUEST_FIELDS = {
    "source", "external_reference", "received_at", "requested_by_name", "requested_by_organisation",
    "requested_by_phone", "urgency", "expected_arrival", "pets_kind", "pets_count", "needs_wheelchair",
    "reduced_mobility", "care_need", "own_transport", "preferred_municipality", "preference_reason", "notes",
}
MEMBER_FIELDS = {"first_name", "last_name", "date_of_birth", "sex", "nationality", "relation", "v_number", "bsn"}


def _validate_household(members: Sequence[dict[str, Any]], *, today: dt.date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not members:
        errors["members"] = [_("Voeg minstens één gezinslid toe.")]
        return errors
    mains = sum(1 for m in members if m.get("relation") == Relation.MAIN)
    if mains != 1:
        errors.setdefault("members", []).append(_("Een huishouden heeft precies één hoofdaanvrager."))
    if len(members) > 12:
        errors.setdefault("members", []).append(_("Een huishouden van meer dan 12 personen: splits het verzoek."))
    for index, member in enumerate(members):
        unknown = set(member) - MEMBER_FIELDS
        if unknown:
            errors.setdefault(f"members[{index}]", []).append(
                _("Onbekende velden: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
        born = member.get("date_of_birth")
        if born and born > today:
            errors.setdefault(f"members[{index}].date_of_birth", []).append(
                _("De geboortedatum ligt in de toekomst."))
        if born and born < dt.date(today.year - 120, 1, 1):
            errors.setdefault(f"members[{index}].date_of_birth", []).append(_("Deze geboortedatum is niet geldig."))
    return errors


@transaction.atomic
def request_create(*, user: User, region: Any, data: dict[str, Any], members: Sequence[dict[str, Any]],
                   now: dt.datetime | None = None) -> PlacementRequest:
    """Register a placement request with its household. Nothing is written if anything is wrong."""
    now = now or timezone.now()
    unknown = set(data) - REQUEST_FIELDS
    if unknown:
        raise ApplicationError(_("Onbekende velden: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
                               code="unknown_fields")
    data = {"received_at": now, **data}
    errors = _validate_household(members, today=timezone.localdate(now))
    arrival = data.get("expected_arrival")
    if arrival is None:
        errors["expected_arrival"] = [_("Vul de verwachte aankomst in.")]
    elif arrival < now - dt.timedelta(minutes=15):
        errors["expected_arrival"] = [_("De verwachte aankomst ligt in het verleden.")]
    preferred = data.get("preferred_municipality")
    if preferred is not None and preferred.region_id != region.pk:
        errors["preferred_municipality"] = [_("Kies een gemeente in de eigen regio.")]
    # The table constraints behind these two would name no field; say which field to fill in.
    if data.get("pets_count") and not (data.get("pets_kind") or "").strip():
        errors["pets_kind"] = [_("Vul de soort huisdier in.")]
    if preferred is not None and not data.get("preference_reason"):
        errors["preference_reason"] = [_("Geef een reden voor de voorkeursgemeente.")]
    request = PlacementRequest(region=region, created_by=user, **data)
    try:
        request.full_clean(exclude=["region"], validate_constraints=False)
    except ValidationError as exc:
        for name, msgs in exc.message_dict.items():
            errors.setdefault(name, []).extend(msgs)
    instances = []
    for index, member in enumerate(members):
        instance = HouseholdMember(request=request, position=index, **member)
        try:
            instance.full_clean(exclude=["request"], validate_constraints=False)
        except ValidationError as exc:
            for name, msgs in exc.message_dict.items():
                errors.setdefault(f"members[{index}].{name}", []).extend(msgs)
        instances.append(instance)
    if errors:
        raise ApplicationError(_("Het verzoek is niet compleet of niet juist."), code="invalid",
                               extra={"fields": errors})
    request.save()
    HouseholdMember.objects.bulk_create(instances)
    _event(request=request, kind=PlacementEvent.Kind.REQUEST_CREATED, actor=user, at=now,
           to_status=request.status, data={"persons": len(instances), "source": request.source})
    return request


@conflict_on_deadlock
@transaction.atomic
def request_take(*, user: User, request: PlacementRequest, now: dt.datetime | None = None) -> PlacementRequest:
    """A belteam member takes a new request from the queue."""
    now = now or timezone.now()
    request = _lock_requests([request.pk])[request.pk]
    if request.status not in (RequestStatus.NEW, RequestStatus.IN_PROGRESS):
        raise InvalidTransition(_("In behandeling nemen"), request.get_status_display())
    request.assigned_to = user
    request.save(update_fields=["assigned_to", "updated_at"])
    _set_request_status(request, RequestStatus.IN_PROGRESS, actor=user, at=now)
    return request


@conflict_on_deadlock
@transaction.atomic
def request_cancel(*, user: User, request: PlacementRequest, reason: str,
                   now: dt.datetime | None = None) -> PlacementRequest:
    now = now or timezone.now()
    request = _lock_requests([request.pk])[request.pk]
    if request.status not in OPEN_REQUEST_STATUSES:
        raise InvalidTransition(_("Annuleren"), request.get_status_display())
    if not reason.strip():
        raise ApplicationError(_("Geef een reden voor het annuleren."), code="invalid",
                               extra={"fields": {"reason": [_("Geef een reden voor het annuleren.")]}})
    active = request.placements.filter(status__in=ACTIVE_PLACEMENT_STATUSES).first()
    if active is not None:
        _release(user=user, placement=active, now=now, kind=PlacementEvent.Kind.RELEASED, reason=reason,
                 requeue=False)
    _set_request_status(request, RequestStatus.CANCELLED, actor=user, at=now, reason=reason)
    return request


# --- reserve, confirm, arrive, depart ---------------------------------------------------------

@conflict_on_deadlock
def placement_reserve(*, user: User | None, request: PlacementRequest, allocation: Allocation,
                      now: dt.datetime | None = None) -> Placement:
    """Reserve beds for the whole household in one or more rooms of one location.

    Raises NotAvailable (409) if any room no longer fits; nothing is written then."""
    now = now or timezone.now()
    if not allocation:
        raise ApplicationError(_("Kies minstens één kamer."), code="invalid")
    try:
        with transaction.atomic():
            request = _lock_requests([request.pk])[request.pk]
            if request.status not in (RequestStatus.NEW, RequestStatus.IN_PROGRESS):
                raise InvalidTransition(_("Reserveren"), request.get_status_display())
            rooms = _lock_rooms(room_id for room_id, _persons in allocation)
            if (len(rooms) != len({room_id for room_id, _persons in allocation})
                    or _outside_region(rooms.values(), request.region_id)):
                raise NotAvailable([_("een kamer bestaat niet meer")])
            chosen = [(rooms[room_id], persons) for room_id, persons in allocation]
            location = Location.objects.select_related("municipality").get(pk=chosen[0][0].location_id)
            if location.municipality.region_id != request.region_id:
                raise NotAvailable([_("locatie buiten de regio van het verzoek")])
            # With the rooms locked, so that nobody of the other sex can take a bed in a shared
            # room between this check and the commit (the one-sex rule is checked here too).
            reasons = matching.check_choice(request, location, chosen)
            if reasons:
                raise NotAvailable(reasons)
            persons = sum(p for _room, p in chosen)
            placement = Placement.objects.create(
                request=request, location=location, persons=persons, status=PlacementStatus.RESERVED,
                reserved_at=now, reserved_until=now + dt.timedelta(hours=settings.PLACEMENT_RESERVATION_HOURS),
                created_by=user)
            _occupy(placement, chosen)
            _event(request=request, placement=placement, kind=PlacementEvent.Kind.RESERVED, actor=user, at=now,
                   to_status=PlacementStatus.RESERVED,
                   data={"location": location.code, "rooms": [[r.number, p] for r, p in chosen]})
            _set_request_status(request, RequestStatus.RESERVED, actor=user, at=now, placement=placement)
            return placement
    except IntegrityError as exc:
        # The database caught what the locks should have prevented: still refuse cleanly.
        raise NotAvailable([_("de kamer is net door iemand anders bezet")]) from exc


def _transition(placement: Placement, allowed: Sequence[str], what: str) -> Placement:
    """Refuse unless the (locked, freshly read) placement is in one of the allowed statuses."""
    if placement.status not in allowed:
        raise InvalidTransition(what, placement.get_status_display())
    return placement


@conflict_on_deadlock
@transaction.atomic
def placement_confirm(*, user: User, placement: Placement, notify_location: bool = False,
                      now: dt.datetime | None = None) -> Placement:
    now = now or timezone.now()
    request, _rooms, placement = _lock_placement(placement)
    placement = _transition(placement, [PlacementStatus.RESERVED], _("Bevestigen"))
    placement.status, placement.confirmed_at, placement.reserved_until = PlacementStatus.CONFIRMED, now, None
    placement.save(update_fields=["status", "confirmed_at", "reserved_until", "updated_at"])
    _event(request=request, placement=placement, kind=PlacementEvent.Kind.CONFIRMED, actor=user, at=now,
           from_status=PlacementStatus.RESERVED, to_status=PlacementStatus.CONFIRMED)
    _set_request_status(request, RequestStatus.PLACED, actor=user, at=now, placement=placement)
    if notify_location:
        # Written in this transaction, delivered by the worker after commit (rcvs/outbox).
        from .notifications import location_mail_enqueue

        location_mail_enqueue(placement=placement, region_id=request.region_id)
    return placement


@conflict_on_deadlock
@transaction.atomic
def placement_arrive(*, user: User, placement: Placement, at: dt.datetime | None = None) -> Placement:
    at = at or timezone.now()
    # The request first, like every other change: locking the placement first and then touching
    # the request (the event row's foreign key) deadlocked with a departure at the same moment.
    request, _rooms, placement = _lock_placement(placement)
    placement = _transition(placement, [PlacementStatus.CONFIRMED], _("Aankomst melden"))
    placement.status, placement.arrived_at = PlacementStatus.ARRIVED, at
    placement.save(update_fields=["status", "arrived_at", "updated_at"])
    _event(request=request, placement=placement, kind=PlacementEvent.Kind.ARRIVED, actor=user, at=at,
           from_status=PlacementStatus.CONFIRMED, to_status=PlacementStatus.ARRIVED)
    return placement


@conflict_on_deadlock
@transaction.atomic
def placement_depart(*, user: User, placement: Placement, on: dt.date, reason: str, note: str = "",
                     now: dt.datetime | None = None) -> Placement:
    now = now or timezone.now()
    if reason not in DepartureReason.values:
        raise ApplicationError(_("Kies een reden van vertrek."), code="invalid",
                               extra={"fields": {"reason": [_("Kies een reden van vertrek.")]}})
    if on > timezone.localdate(now):
        raise ApplicationError(_("De vertrekdatum ligt in de toekomst."), code="invalid",
                               extra={"fields": {"on": [_("De vertrekdatum ligt in de toekomst.")]}})
    request, _rooms, placement = _lock_placement(placement)
    placement = _transition(placement, [PlacementStatus.ARRIVED, PlacementStatus.CONFIRMED], _("Vertrek melden"))
    if placement.arrived_at and on < timezone.localdate(placement.arrived_at):
        raise ApplicationError(_("De vertrekdatum ligt voor de aankomst."), code="invalid",
                               extra={"fields": {"on": [_("De vertrekdatum ligt voor de aankomst.")]}})
    previous = placement.status
    _vacate(placement)
    _transfer_requests_cancel_with(placement, user=user, now=now, why=_("Vertrokken"))
    placement.status, placement.departed_on = PlacementStatus.DEPARTED, on
    placement.departure_reason, placement.departure_note = reason, note
    placement.save(update_fields=["status", "departed_on", "departure_reason", "departure_note", "updated_at"])
    _event(request=request, placement=placement, kind=PlacementEvent.Kind.DEPARTED, actor=user, at=now,
           from_status=previous, to_status=PlacementStatus.DEPARTED,
           reason=placement.get_departure_reason_display() + (f": {note}" if note else ""))
    return placement


def _release(*, user: User | None, placement: Placement, now: dt.datetime, kind: str, reason: str,
             requeue: bool = True) -> Placement:
    request, _rooms, placement = _lock_placement(placement)
    placement = _transition(placement, [PlacementStatus.RESERVED, PlacementStatus.CONFIRMED], _("Vrijgeven"))
    previous = placement.status
    _vacate(placement)
    _transfer_requests_cancel_with(placement, user=user, now=now, why=_("Vrijgegeven"))
    placement.status, placement.reserved_until = PlacementStatus.RELEASED, None
    placement.save(update_fields=["status", "reserved_until", "updated_at"])
    _event(request=request, placement=placement, kind=kind, actor=user, at=now, from_status=previous,
           to_status=PlacementStatus.RELEASED, reason=reason)
    if requeue:
        _set_request_status(request, RequestStatus.IN_PROGRESS, actor=user, at=now, reason=reason,
                            placement=placement)
    return placement


@conflict_on_deadlock
@transaction.atomic
def placement_release(*, user: User, placement: Placement, reason: str, now: dt.datetime | None = None) -> Placement:
    """Give reserved (or confirmed, not yet arrived) beds back; the request returns to the queue."""
    return _release(user=user, placement=placement, now=now or timezone.now(),
                    kind=PlacementEvent.Kind.RELEASED, reason=reason)


def reservations_expire(*, now: dt.datetime) -> list[int]:
    """Release every reservation not confirmed in time; returns the placement ids released."""
    released = []
    expired = Placement.objects.filter(status=PlacementStatus.RESERVED, reserved_until__lt=now).order_by("pk")
    for placement_id in expired.values_list("pk", flat=True):
        try:
            if _expire_one(placement_id, now=now):
                released.append(placement_id)
        except (Conflict, NotFound):
            continue  # changed or gone meanwhile (or a deadlock): the next run looks again
    return released


@conflict_on_deadlock
@transaction.atomic
def _expire_one(placement_id: int, *, now: dt.datetime) -> bool:
    placement = Placement.objects.get(pk=placement_id)
    if placement.status != PlacementStatus.RESERVED or placement.reserved_until >= now:
        return False
    _request, _rooms, placement = _lock_placement(placement)
    if placement.status != PlacementStatus.RESERVED or placement.reserved_until >= now:
        return False  # confirmed or released between listing and locking
    _release(user=None, placement=placement, now=now, kind=PlacementEvent.Kind.EXPIRED,
             reason=_("Reservering niet op tijd bevestigd"))
    return True


# --- transfers and swaps ----------------------------------------------------------------------

def _move(*, user: User, old: Placement, request: PlacementRequest, chosen: list[tuple[Room, int]],
          location: Location, now: dt.datetime, kind: str, reason: str, data: dict[str, Any]) -> Placement:
    """Leave `old` and take `chosen` in the same transaction (rows already locked)."""
    previous = old.status
    _vacate(old)
    old.status, old.departed_on = PlacementStatus.DEPARTED, timezone.localdate(now)
    old.departure_reason, old.departure_note = DepartureReason.TRANSFER, reason[:200]
    old.save(update_fields=["status", "departed_on", "departure_reason", "departure_note", "updated_at"])
    new = Placement.objects.create(
        request=request, location=location, persons=old.persons, status=previous, reserved_at=now,
        reserved_until=old.reserved_until, confirmed_at=old.confirmed_at or now,
        arrived_at=now if previous == PlacementStatus.ARRIVED else None, transferred_from=old, created_by=user)
    _occupy(new, chosen)
    _event(request=request, placement=new, kind=kind, actor=user, at=now, from_status=previous, to_status=previous,
           reason=reason, data={"from": old.location.code, "to": location.code,
                                "rooms": [[r.number, p] for r, p in chosen], **data})
    return new


@conflict_on_deadlock
def placement_transfer(*, user: User, placement: Placement, allocation: Allocation, reason: str,
                       now: dt.datetime | None = None, require_transfer_request: bool = False) -> Placement:
    """Overplaatsing within the region: leaving one room and entering another is one atomic step.

    An open TransferRequest of the placement is marked done in the same transaction. With
    `require_transfer_request` (a belteam member, who may move only what was asked for) the step
    is refused unless such a request is still open once everything is locked."""
    now = now or timezone.now()
    if not reason.strip():
        raise ApplicationError(_("Geef een reden voor de overplaatsing."), code="invalid",
                               extra={"fields": {"reason": [_("Geef een reden voor de overplaatsing.")]}})
    try:
        with transaction.atomic():
            request, rooms, old = _lock_placement(
                placement, extra_rooms=[room_id for room_id, _p in allocation])
            old = _transition(old, [PlacementStatus.CONFIRMED, PlacementStatus.ARRIVED], _("Overplaatsen"))
            asked = _lock_open_transfer_requests([old.pk])
            if require_transfer_request and not asked:
                raise _no_open_transfer_request()
            chosen = [(rooms[room_id], persons) for room_id, persons in allocation if room_id in rooms]
            if len(chosen) != len(allocation) or not chosen or _outside_region(
                    [room for room, _p in chosen], request.region_id):
                raise NotAvailable([_("een kamer bestaat niet meer")])
            location = Location.objects.select_related("municipality").get(pk=chosen[0][0].location_id)
            if location.municipality.region_id != request.region_id:
                raise NotAvailable([_("overplaatsen kan alleen binnen de regio")])
            own = {pr.room_id: pr.persons for pr in old.rooms.filter(active=True)}
            for room, _persons in chosen:  # the household's own beds count as free for itself
                room.occupants -= own.get(room.pk, 0)
            # Under the room locks: also the one-sex rule of shared rooms, the household itself
            # not counting as its own room-mate.
            reasons = matching.check_choice(request, location, chosen, ignore_placements=[old.pk])
            if reasons:
                raise NotAvailable(reasons)
            for room, _persons in chosen:
                room.occupants += own.get(room.pk, 0)
            new = _move(user=user, old=old, request=request, chosen=chosen, location=location, now=now,
                        kind=PlacementEvent.Kind.TRANSFERRED, reason=reason,
                        data={"transfer_requests": [str(tr.uuid) for tr in asked]} if asked else {})
            _transfer_requests_done(asked, results={old.pk: new}, user=user, now=now)
            return new
    except IntegrityError as exc:
        raise NotAvailable([_("de kamer is net door iemand anders bezet")]) from exc


def _fit_into(rooms: list[Room], persons: int) -> list[tuple[Room, int]] | None:
    """Spread `persons` over `rooms` (largest first); None if they do not fit."""
    allocation, left = [], persons
    for room in sorted(rooms, key=lambda r: (-r.beds, r.pk)):
        if left == 0:
            break
        take = min(room.beds, left)
        allocation.append((room, take))
        left -= take
    return allocation if left == 0 else None


@conflict_on_deadlock
def placement_swap(*, user: User, first: Placement, second: Placement, reason: str,
                   now: dt.datetime | None = None, require_transfer_request: bool = False
                   ) -> tuple[Placement, Placement]:
    """Ruiling: two households exchange their rooms in one step. Open TransferRequests of either
    placement are marked done in the same transaction; with `require_transfer_request` (belteam)
    the swap is refused unless at least one of the two has an open request once locked."""
    now = now or timezone.now()
    if first.pk == second.pk:
        raise ApplicationError(_("Kies twee verschillende plaatsingen."), code="invalid")
    try:
        with transaction.atomic():
            requests, rooms, placements = _lock_for_change([first.pk, second.pk])
            a, b = placements[first.pk], placements[second.pk]
            for p in (a, b):
                if p.status not in (PlacementStatus.CONFIRMED, PlacementStatus.ARRIVED):
                    raise InvalidTransition(_("Ruilen"), p.get_status_display())
            asked = _lock_open_transfer_requests([a.pk, b.pk])
            if require_transfer_request and not asked:
                raise _no_open_transfer_request()
            if requests[a.request_id].region_id != requests[b.request_id].region_id:
                raise ApplicationError(_("Ruilen kan alleen binnen de regio."), code="invalid")
            a_rooms = [rooms[pr.room_id] for pr in a.rooms.filter(active=True)]
            b_rooms = [rooms[pr.room_id] for pr in b.rooms.filter(active=True)]
            a_into_b, b_into_a = _fit_into(b_rooms, a.persons), _fit_into(a_rooms, b.persons)
            if a_into_b is None or b_into_a is None:
                raise NotAvailable([_("de huishoudens passen niet in elkaars kamers")])
            for request, location, allocation in (
                (requests[a.request_id], b.location, a_into_b), (requests[b.request_id], a.location, b_into_a),
            ):
                reasons = matching.check_choice(request, location, allocation, check_free=False,
                                                ignore_placements=[a.pk, b.pk])
                if reasons:
                    raise NotAvailable(reasons)
            a_location, b_location = a.location, b.location
            # Vacate both before occupying either, so the household-room index never sees two
            # households in one room (_move's own vacate is then a no-op).
            _vacate(a)
            _vacate(b)
            new_a = _move(user=user, old=a, request=requests[a.request_id], chosen=a_into_b, location=b_location,
                          now=now, kind=PlacementEvent.Kind.SWAPPED, reason=reason, data={"with": str(b.uuid)})
            new_b = _move(user=user, old=b, request=requests[b.request_id], chosen=b_into_a, location=a_location,
                          now=now, kind=PlacementEvent.Kind.SWAPPED, reason=reason, data={"with": str(a.uuid)})
            _transfer_requests_done(asked, results={a.pk: new_a, b.pk: new_b}, user=user, now=now)
            return new_a, new_b
    except IntegrityError as exc:
        raise NotAvailable([_("een kamer is net door iemand anders bezet")]) from exc


# --- transfer requests ------------------------------------------------------------------------
#
# A TransferRequest asks the belteam to move one placement (from a case, see casework). Every
# write locks in THE order: the placement's request, rooms and placement (`_lock_placement`),
# then the transfer request rows — the event row written with it references the request, and a
# transfer holds that request FOR UPDATE, so taking the transfer request first would deadlock.
# No free text anywhere: the reason is a category code (the belteam never sees case content).

MOVABLE_STATUSES = (PlacementStatus.CONFIRMED, PlacementStatus.ARRIVED)


def _no_open_transfer_request() -> Conflict:
    return Conflict(_("Er is (niet meer) om een overplaatsing van deze plaatsing gevraagd; alleen een "
                      "coördinator kan haar nu overplaatsen of ruilen."), code="no_transfer_request")


def _lock_open_transfer_requests(placement_ids: Iterable[int]) -> list[TransferRequest]:
    """The open transfer requests of these (already locked) placements, locked by pk."""
    return list(TransferRequest.objects.select_for_update()
                .filter(placement_id__in=set(placement_ids), status=TransferRequestStatus.OPEN).order_by("pk"))


def _transfer_requests_done(asked: Sequence[TransferRequest], *, results: dict[int, Placement], user: User,
                            now: dt.datetime) -> None:
    """Inside the transfer's or swap's transaction: what was asked for has been carried out."""
    for tr in asked:
        tr.status, tr.done_at, tr.done_by = TransferRequestStatus.DONE, now, user
        tr.result_placement = results[tr.placement_id]
        tr.save(update_fields=["status", "done_at", "done_by", "result_placement", "updated_at"])


def _transfer_requests_cancel_with(placement: Placement, *, user: User | None, now: dt.datetime, why: str) -> None:
    """The placement ends (departure, release): nothing is left to move, so an open request is
    cancelled with it instead of lingering in the queue. The placement is locked by the caller."""
    for tr in _lock_open_transfer_requests([placement.pk]):
        _cancel(tr, placement=placement, user=user, now=now, why=why)


def _cancel(tr: TransferRequest, *, placement: Placement, user: User | None, now: dt.datetime, why: str) -> None:
    tr.status, tr.cancelled_at = TransferRequestStatus.CANCELLED, now
    tr.cancelled_by = user if user is not None and user.is_authenticated else None
    tr.save(update_fields=["status", "cancelled_at", "cancelled_by", "updated_at"])
    _event(request=placement.request, placement=placement, kind=PlacementEvent.Kind.TRANSFER_REQUEST_CANCELLED,
           actor=user, at=now, reason=why, data={"transfer_request": str(tr.uuid)})


@conflict_on_deadlock
@transaction.atomic
def transfer_request_create(*, user: User, placement: Placement, kind: str, reason_category: str,
                            origin: str = TransferOrigin.OTHER, now: dt.datetime | None = None) -> TransferRequest:
    """Ask the belteam to transfer (or swap) a confirmed or arrived placement. One open request
    per placement (also a partial unique index). Who may ask is the caller's decision (casework
    checks its caseload); `user` is recorded. `reason_category` is a code, not a sentence."""
    now = now or timezone.now()
    if kind not in TransferKind.values:
        raise ApplicationError(_("Kies overplaatsing of ruil."), code="invalid",
                               extra={"fields": {"kind": [_("Kies overplaatsing of ruil.")]}})
    if origin not in TransferOrigin.values:
        raise ApplicationError(_("Onbekende herkomst van de aanvraag."), code="invalid")
    if not isinstance(reason_category, str) or not re.fullmatch(REASON_CATEGORY_PATTERN, reason_category):
        raise ApplicationError(_("De reden is een categorie (één woord), geen tekst."), code="invalid",
                               extra={"fields": {"reason_category": [_("Kies een categorie.")]}})
    request, _rooms, placement = _lock_placement(placement)
    if placement.status not in MOVABLE_STATUSES:
        raise Conflict(_("Alleen een bevestigde of aangekomen plaatsing kan worden overgeplaatst of geruild."),
                       code="not_movable")
    if _lock_open_transfer_requests([placement.pk]):
        raise Conflict(_("Voor deze plaatsing loopt al een aanvraag."), code="transfer_request_exists")
    tr = TransferRequest(placement=placement, kind=kind, reason_category=reason_category, origin=origin,
                         requested_by=user if user is not None and user.is_authenticated else None)
    try:
        with transaction.atomic():
            tr.save()
    except IntegrityError as exc:  # the lock above makes this the database's word only
        raise Conflict(_("Voor deze plaatsing loopt al een aanvraag."), code="transfer_request_exists") from exc
    _event(request=request, placement=placement, kind=PlacementEvent.Kind.TRANSFER_REQUESTED, actor=user, at=now,
           reason=f"{TransferKind(kind).label}: {tr.reason_label}",
           data={"transfer_request": str(tr.uuid), "kind": kind, "reason_category": reason_category,
                 "origin": origin})
    return tr


@conflict_on_deadlock
@transaction.atomic
def transfer_request_cancel(*, user: User, transfer_request: TransferRequest,
                            now: dt.datetime | None = None) -> TransferRequest:
    """Withdraw an open request (the caller decides who may). A request already carried out or
    withdrawn is a 409."""
    now = now or timezone.now()
    _request, _rooms, placement = _lock_placement(transfer_request.placement)
    tr = TransferRequest.objects.select_for_update().get(pk=transfer_request.pk)
    if tr.status != TransferRequestStatus.OPEN:
        raise Conflict(_("Deze aanvraag is al %(status)s.") % {"status": tr.get_status_display().lower()},
                       code="invalid_transition")
    _cancel(tr, placement=placement, user=user, now=now, why=_("Aanvraag ingetrokken"))
    return tr


# --- reconciliation ---------------------------------------------------------------------------

def rooms_reconcile_occupants(*, fix: bool = True) -> list[tuple[int, int, int]]:
    """Compare Room.occupants with the persons of the active placements in each room.

    The counter is only ever changed by this module under row locks, so a mismatch means a bug or
    a manual database edit: log it loudly (it changes capacity reported to the KCIO) and, with
    `fix`, set the counter to what the placements say. Returns (room id, counter, placements)."""
    import logging

    from django.db.models import IntegerField, OuterRef, Subquery, Sum
    from django.db.models.functions import Coalesce

    logger = logging.getLogger(__name__)
    active = (PlacementRoom.objects.filter(room=OuterRef("pk"), active=True).values("room")
              .annotate(total=Sum("persons")).values("total"))
    rooms = (Room.objects.annotate(placed=Coalesce(Subquery(active, output_field=IntegerField()), 0))
             .exclude(occupants=F("placed")).values_list("pk", "occupants", "placed").order_by("pk"))
    mismatches = list(rooms)
    for room_id, counter, placed in mismatches:
        logger.error("Room %s: occupants counter %s but active placements hold %s", room_id, counter, placed)
        if fix:
            with transaction.atomic():
                room = Room.objects.select_for_update().get(pk=room_id)
                total = (PlacementRoom.objects.filter(room=room, active=True)
                         .aggregate(total=Sum("persons"))["total"] or 0)
                Room.objects.filter(pk=room_id).update(occupants=total, updated_at=timezone.now())
    return mismatches


def rooms_breaking_one_sex_rule() -> list[int]:
    """Ids of the shared rooms where the one-sex rule is broken (see placements/matching.py):
    persons of two or more households sleeping there, not all women or all men (or one of sex
    'anders / onbekend' among them). The services refuse that under the room lock, so a room here
    was filled behind their back (a manual edit, an import of old data): logged with room ids
    only, for a person to sort out; nothing is moved automatically."""
    from django.db.models import Count, Q

    from locations.models import RoomOccupancy

    from .models import Sex

    sex = "placement_rooms__placement__request__members__sex"
    rooms = (Room.objects.filter(occupancy=RoomOccupancy.SHARED, placement_rooms__active=True)
             .values("pk")  # filter before annotate: the counts cover the active placements only
             .annotate(households=Count("placement_rooms__placement", distinct=True),
                       sexes=Count(sex, distinct=True), other=Count(sex, filter=Q(**{sex: Sex.OTHER})))
             .filter(Q(households__gte=2) & (Q(sexes__gt=1) | Q(other__gt=0)))
             .order_by("pk").values_list("pk", flat=True))
    broken = list(rooms)
    if broken:
        logger.warning("Shared rooms holding more than one sex (or sex 'other' with others): %s", broken)
    return broken
