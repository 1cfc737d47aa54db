"""Reads for placements, and who may see and do what with them.

Persons are special: a bestuur user sees no persons at all; a gemeente user sees the residents
of its own municipalities' locations (not the request queue, and never casework); belteam,
coordinators and beheerders see the requests and placements of their regions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from locations.selectors import location_qs_for, region_qs_for
from rcvs.accounts.models import Role

from .models import (
    ACTIVE_PLACEMENT_STATUSES,
    OPEN_REQUEST_STATUSES,
    HouseholdMember,
    Placement,
    PlacementRequest,
    TransferRequest,
    TransferRequestStatus,
    Urgency,
)

if TYPE_CHECKING:
    from rcvs.accounts.models import User

PLACING_ROLES = (Role.BELTEAM, Role.COORDINATOR, Role.BEHEERDER)
MOVING_ROLES = (Role.COORDINATOR, Role.BEHEERDER)


def can_place(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in PLACING_ROLES)


def can_move(user: User) -> bool:
    """Transfers and swaps are the coordinators' work."""
    return user.is_authenticated and (user.is_superuser or user.role in MOVING_ROLES)


def can_move_placement(user: User, placement: Placement) -> bool:
    """Transfer or swap THIS placement: the coordinators always; the belteam (any placing role)
    only while someone has asked for it (an open TransferRequest). Scope is checked by the
    caller (placement_qs_for). The services re-check the open request under their locks."""
    if can_move(user):
        return True
    return can_place(user) and has_open_transfer_request(placement)


def has_open_transfer_request(placement: Placement) -> bool:
    return TransferRequest.objects.filter(placement=placement, status=TransferRequestStatus.OPEN).exists()


def request_qs_for(user: User) -> QuerySet[PlacementRequest]:
    if not can_place(user):
        return PlacementRequest.objects.none()
    return PlacementRequest.objects.filter(region__in=region_qs_for(user)).select_related(
        "region", "preferred_municipality", "assigned_to")


def placement_qs_for(user: User) -> QuerySet[Placement]:
    base = Placement.objects.select_related("location", "location__municipality", "request")
    if can_place(user):
        return base.filter(request__region__in=region_qs_for(user))
    if user.is_authenticated and user.role == Role.GEMEENTE:
        return base.filter(location__in=location_qs_for(user))
    return Placement.objects.none()


def can_register_stay(user: User, placement: Placement) -> bool:
    """Arrival and departure: the placing roles, and the municipality where the household stays."""
    return placement_qs_for(user).filter(pk=placement.pk).exists() and (
        can_place(user) or user.role == Role.GEMEENTE)


def request_queue(*, user: User) -> QuerySet[PlacementRequest]:
    """Open requests, urgent first, then the oldest."""
    urgency_rank = Case(When(urgency=Urgency.ACUTE, then=Value(0)), When(urgency=Urgency.HIGH, then=Value(1)),
                        default=Value(2), output_field=IntegerField())
    return (request_qs_for(user).filter(status__in=OPEN_REQUEST_STATUSES)
            .annotate(urgency_rank=urgency_rank).order_by("urgency_rank", "received_at", "pk")
            .prefetch_related(Prefetch("members", queryset=HouseholdMember.objects.order_by("position", "pk"))))


def same_person(*, first_name: str = "", last_name: str = "", date_of_birth: dt.date | None = None,
                v_number: str = "", bsn: str = "") -> Q:
    """Same V-number (or BSN), or same surname with the same date of birth (first name too when
    given). THE rule for "is this the same person": the duplicate check and subject access use it."""
    match = Q()
    if v_number:
        match |= Q(v_number=v_number)
    if bsn:
        match |= Q(bsn=bsn)
    if last_name and date_of_birth:
        same = Q(last_name__iexact=last_name.strip(), date_of_birth=date_of_birth)
        if first_name:
            same &= Q(first_name__iexact=first_name.strip())
        match |= same
    return match


_same_person = same_person  # the older, private name


def person_records(*, user: User, first_name: str = "", last_name: str = "", date_of_birth: dt.date | None = None,
                   v_number: str = "", bsn: str = "") -> QuerySet[HouseholdMember]:
    """Every household-member record of one person in the user's scope, over all their requests
    (open, placed, departed, cancelled), by the same rule as the duplicate check. For a
    data-subject request."""
    match = same_person(first_name=first_name, last_name=last_name, date_of_birth=date_of_birth,
                        v_number=v_number.strip(), bsn=bsn.strip())
    if not match:
        return HouseholdMember.objects.none()
    return (HouseholdMember.objects.filter(request__in=request_qs_for(user)).filter(match)
            .select_related("request", "request__region").order_by("request__received_at", "pk"))


def possible_duplicates(*, user: User, people: Iterable[dict[str, Any]] = (),
                        exclude_request: PlacementRequest | None = None,
                        **person: Any) -> QuerySet[HouseholdMember]:
    """Persons already waiting or placed who look like one of `people` (or like the one person
    given by keyword), in one query whatever the size of the household."""
    match = Q()
    for p in [*people, person]:
        match |= _same_person(**{k: p.get(k) or ("" if k != "date_of_birth" else None)
                                 for k in ("first_name", "last_name", "date_of_birth", "v_number")})
    if not match:
        return HouseholdMember.objects.none()
    live = Q(request__status__in=OPEN_REQUEST_STATUSES) | Q(request__placements__status__in=ACTIVE_PLACEMENT_STATUSES)
    qs = (HouseholdMember.objects.filter(request__in=request_qs_for(user)).filter(match).filter(live)
          .select_related("request").distinct().order_by("pk"))
    if exclude_request is not None:
        qs = qs.exclude(request=exclude_request)
    return qs


def residents_of(*, user: User, location_id: int) -> QuerySet[Placement]:
    """Households staying at (or expected at) a location, with their members, for the viewer."""
    return (placement_qs_for(user).filter(location_id=location_id, status__in=ACTIVE_PLACEMENT_STATUSES)
            .prefetch_related("rooms__room", Prefetch("request__members",
                                                      queryset=HouseholdMember.objects.order_by("position", "pk")))
            .order_by("status", "reserved_at"))


def transfer_request_qs_for(user: User) -> QuerySet[TransferRequest]:
    """Transfer requests of the placing roles' regions (the belteam queue); nobody else's."""
    if not can_place(user):
        return TransferRequest.objects.none()
    return TransferRequest.objects.filter(placement__request__region__in=region_qs_for(user)).select_related(
        "placement", "placement__location", "placement__location__municipality", "placement__request",
        "result_placement", "result_placement__location")


def open_transfer_requests(*, user: User) -> QuerySet[TransferRequest]:
    """The "Overplaatsingen" of the queue: open requests, urgent households first, then the oldest,
    with the household's members for the queue's summary."""
    urgency_rank = Case(When(placement__request__urgency=Urgency.ACUTE, then=Value(0)),
                        When(placement__request__urgency=Urgency.HIGH, then=Value(1)),
                        default=Value(2), output_field=IntegerField())
    return (transfer_request_qs_for(user).filter(status=TransferRequestStatus.OPEN)
            .annotate(urgency_rank=urgency_rank).order_by("urgency_rank", "created_at", "pk")
            .prefetch_related(Prefetch("placement__request__members",
                                       queryset=HouseholdMember.objects.order_by("position", "pk"))))


def open_transfer_request_of(placement: Placement) -> TransferRequest | None:
    return TransferRequest.objects.filter(placement=placement, status=TransferRequestStatus.OPEN).first()
