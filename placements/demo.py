"""Synthetic households for the demo region: the residents that fill the demo rooms (as real
placements, so capacity agrees with placements everywhere) and a small queue of open requests.

Every person here is invented: first names and surnames are drawn independently from short lists
of common names, dates of birth at random. Used only by `manage.py seed_demo`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.utils import timezone

from locations.models import Region, Room, RoomOccupancy

from .models import (
    HouseholdMember,
    Placement,
    PlacementEvent,
    PlacementRequest,
    PlacementRoom,
    PlacementStatus,
    Relation,
    RequestSource,
    RequestStatus,
    SupraRegionalRequest,
    TransferRequest,
    Urgency,
)

FEMALE = ["Olena", "Iryna", "Natalia", "Oksana", "Tetiana", "Svitlana", "Yulia", "Kateryna", "Anna", "Maria",
          "Viktoriia", "Halyna", "Liudmyla", "Daryna", "Sofiia", "Polina", "Alina", "Nadiia", "Larysa", "Inna"]
MALE = ["Oleksandr", "Andrii", "Serhii", "Dmytro", "Mykola", "Volodymyr", "Ivan", "Yurii", "Taras", "Bohdan",
        "Maksym", "Artem", "Denys", "Vasyl", "Petro", "Roman", "Ihor", "Oleh", "Mykhailo", "Yaroslav"]
SURNAMES = ["Bondarenko", "Kovalenko", "Shevchenko", "Tkachenko", "Kravchenko", "Melnyk", "Boiko", "Koval",
            "Oliinyk", "Shevchuk", "Polishchuk", "Lysenko", "Marchenko", "Rudenko", "Savchenko", "Petrenko",
            "Moroz", "Pavlenko", "Levchenko", "Kharchenko", "Ivanenko", "Hnatiuk", "Zinchenko", "Tymoshenko"]
DEMO_PREFIX = "DEMO-"


def _dob(rng: random.Random, as_of: dt.date, low: int, high: int) -> dt.date:
    return as_of - dt.timedelta(days=rng.randint(low * 365 + 1, high * 365 + 300))


def _household(rng: random.Random, size: int, as_of: dt.date, *, single_sex: str | None = None) -> list[dict]:
    surname = rng.choice(SURNAMES)
    if size == 1:
        sex = single_sex or rng.choice("ffm")
        first = rng.choice(FEMALE if sex == "f" else MALE)
        return [{"first_name": first, "last_name": surname, "sex": sex, "relation": Relation.MAIN,
                 "date_of_birth": _dob(rng, as_of, 19, 75)}]
    main_sex = rng.choices("fm", weights=(75, 25))[0]
    members = [{"first_name": rng.choice(FEMALE if main_sex == "f" else MALE), "last_name": surname,
                "sex": main_sex, "relation": Relation.MAIN, "date_of_birth": _dob(rng, as_of, 25, 55)}]
    if size >= 3 and rng.random() < 0.3:
        partner_sex = "m" if main_sex == "f" else "f"
        members.append({"first_name": rng.choice(MALE if partner_sex == "m" else FEMALE), "last_name": surname,
                        "sex": partner_sex, "relation": Relation.PARTNER, "date_of_birth": _dob(rng, as_of, 25, 60)})
    elif size == 2 and rng.random() < 0.25:
        members.append({"first_name": rng.choice(FEMALE), "last_name": surname, "sex": "f",
                        "relation": Relation.PARENT, "date_of_birth": _dob(rng, as_of, 58, 80)})
    while len(members) < size:
        sex = rng.choice("fm")
        members.append({"first_name": rng.choice(FEMALE if sex == "f" else MALE), "last_name": surname,
                        "sex": sex, "relation": Relation.CHILD, "date_of_birth": _dob(rng, as_of, 0, 17)})
    return members


def clear_demo_households(region_codes: Iterable[str]) -> None:
    """Remove every request, placement and event of these regions (a demo reset starts clean)."""
    requests = PlacementRequest.objects.filter(region__code__in=list(region_codes))
    SupraRegionalRequest.objects.filter(Q(request__in=requests) | Q(region__code__in=list(region_codes))).delete()
    PlacementEvent.objects.filter(request__in=requests).delete()
    # Asked-for transfers point at the placements (PROTECT) and go first.
    TransferRequest.objects.filter(Q(placement__request__in=requests)
                                   | Q(result_placement__request__in=requests)).delete()
    PlacementRoom.objects.filter(placement__request__in=requests).delete()
    Placement.objects.filter(request__in=requests, transferred_from__isnull=False).delete()
    Placement.objects.filter(request__in=requests).delete()
    HouseholdMember.objects.filter(request__in=requests).delete()
    requests.delete()


def create_demo_residents(region: Region, *, seed: int, as_of: dt.date, now: dt.datetime) -> int:
    """One arrived placement per household room with occupants, one per person in shared rooms,
    matching Room.occupants exactly. Returns the number of persons placed."""
    rng = random.Random(f"{seed}:{region.code}:residents")
    rooms = (Room.objects.filter(location__municipality__region=region, occupants__gt=0)
             .select_related("location").order_by("location__code", "number"))
    requests, members, placements, placement_rooms, events = [], [], [], [], []
    plan: list[tuple[Room, int, str | None]] = []  # (room, persons, the sex of a shared room)
    for room in rooms:
        if room.occupancy == RoomOccupancy.SHARED:
            # A shared room holds one sex (placements/matching.py): one draw per room, men only
            # where the location is for single men.
            sex = "m" if room.location.target_single_men else rng.choice("ffm")
            plan.extend((room, 1, sex) for _ in range(room.occupants))
        else:
            plan.append((room, room.occupants, None))
    for index, (room, size, room_sex) in enumerate(plan):
        opened = room.location.opening_date or (as_of - dt.timedelta(days=540))
        span = max(1, (as_of - opened).days)
        arrived = timezone.make_aware(dt.datetime.combine(
            opened + dt.timedelta(days=rng.randint(0, span - 1)), dt.time(rng.randint(9, 20), 0)))
        arrived = min(arrived, now - dt.timedelta(hours=1))
        single_sex = room_sex or ("m" if room.location.target_single_men else None)
        request = PlacementRequest(
            region=region, source=RequestSource.LCVS, external_reference=f"{DEMO_PREFIX}{index:05d}",
            received_at=arrived - dt.timedelta(hours=rng.randint(3, 48)), expected_arrival=arrived,
            status=RequestStatus.PLACED, urgency=Urgency.NORMAL, requested_by_organisation="LCVS")
        requests.append((request, _household(rng, size, as_of, single_sex=single_sex), room, size, arrived))
    PlacementRequest.objects.bulk_create([r for r, *_ in requests], batch_size=2000)
    for request, people, room, size, arrived in requests:
        members.extend(HouseholdMember(request=request, position=i, **p) for i, p in enumerate(people))
        placements.append(Placement(request=request, location_id=room.location_id, persons=size,
                                    status=PlacementStatus.ARRIVED, reserved_at=arrived, confirmed_at=arrived,
                                    arrived_at=arrived))
    HouseholdMember.objects.bulk_create(members, batch_size=5000)
    Placement.objects.bulk_create(placements, batch_size=2000)
    for (request, _people, room, size, arrived), placement in zip(requests, placements, strict=True):
        placement_rooms.append(PlacementRoom(placement=placement, room=room, persons=size,
                                             exclusive=room.occupancy == RoomOccupancy.HOUSEHOLD))
        events.append(PlacementEvent(request=request, placement=placement, kind=PlacementEvent.Kind.ARRIVED,
                                     at=arrived, from_status=PlacementStatus.CONFIRMED,
                                     to_status=PlacementStatus.ARRIVED, reason="Demodata"))
    PlacementRoom.objects.bulk_create(placement_rooms, batch_size=5000)
    PlacementEvent.objects.bulk_create(events, batch_size=5000)
    return sum(size for _room, size, _sex in plan)


def create_demo_queue(region: Region, *, as_of: dt.date, now: dt.datetime) -> list[PlacementRequest]:
    """Open requests the belteam can place straight away when trying the demo."""
    from .services import request_create

    def at(hours: int) -> dt.datetime:
        """A whole hour some hours from now (may fall in the night window: realistic for acute cases)."""
        return (now + dt.timedelta(hours=hours + 1)).replace(minute=0, second=0, microsecond=0)

    def day(days: int, hour: int) -> dt.datetime:
        """A daytime arrival on a coming day, so the demo can be tried at any hour."""
        local = timezone.localtime(now).date() + dt.timedelta(days=days)
        return timezone.make_aware(dt.datetime.combine(local, dt.time(hour, 0)))

    def person(first: str, last: str, years: float, sex: str, relation: str) -> dict[str, Any]:
        return {"first_name": first, "last_name": last, "sex": sex, "relation": relation,
                "date_of_birth": as_of - dt.timedelta(days=int(years * 365.25))}

    queue = [
        ({"urgency": Urgency.HIGH, "expected_arrival": day(1, 14), "pets_count": 1, "pets_kind": "hond",
          "requested_by_name": "Meldpunt LCVS", "requested_by_organisation": "LCVS"},
         [person("Iryna", "Demchenko", 33, "f", "main"), person("Taras", "Demchenko", 35, "m", "partner"),
          person("Sofiia", "Demchenko", 7, "f", "child"), person("Marko", "Demchenko", 0.3, "m", "child")]),
        ({"expected_arrival": day(1, 11), "reduced_mobility": True},
         [person("Halyna", "Voronko", 74, "f", "main"), person("Petro", "Voronko", 77, "m", "partner")]),
        ({"expected_arrival": day(1, 10)}, [person("Maksym", "Sydorenko", 41, "m", "main")]),
        ({"urgency": Urgency.ACUTE, "expected_arrival": at(1), "needs_wheelchair": True,
          "requested_by_organisation": "Gemeente Assen", "source": RequestSource.MUNICIPALITY},
         [person("Oksana", "Hrytsenko", 44, "f", "main"), person("Denys", "Hrytsenko", 16, "m", "child")]),
        ({"expected_arrival": day(2, 10), "own_transport": True},
         [person("Natalia", "Yaremchuk", 38, "f", "main")]
         + [person(n, "Yaremchuk", y, s, "child") for n, y, s in
            (("Bohdan", 15, "m"), ("Daryna", 12, "f"), ("Ivan", 9, "m"), ("Polina", 6, "f"), ("Roman", 3, "m"))]
         + [person("Liudmyla", "Yaremchuk", 66, "f", "parent")]),
        ({"expected_arrival": day(1, 16), "pets_count": 1, "pets_kind": "kat"},
         [person("Alina", "Tkachuk", 29, "f", "main")]),
    ]
    created = []
    for data, members in queue:
        request = request_create(user=None, region=region, data={"source": RequestSource.LCVS, **data},
                                 members=members, now=now)
        created.append(request)
    return created


