"""Taking and reading the daily capacity snapshots that the KCIO export is built from.

A snapshot records the registry's capacity *as it stands when it is taken*, stamped with the day
it reports on (`as_of`). Capacity of a past day cannot be recomputed from today's rooms (rooms
are edited and occupied in place; their history is not a ledger of beds), so a snapshot can only
be taken for today (Europe/Amsterdam): the beat job does that every morning. For a past day the
snapshot taken then is returned; a past day without one is refused, rather than reporting
today's figures under yesterday's date. Once taken, a snapshot is never changed: taking it again
for the same region and day returns the one there is (same numbers), and the database refuses
any UPDATE of its rows (migration 0001).

Which locations: every location of the region except closed ones ("gesloten counts nowhere",
README "Capacity"). Locations in preparation appear with their beds as planned and zero realised.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from locations.models import Location, LocationStatus, Region
from locations.selectors import Capacity, locations_with_capacity
from rcvs.errors import ApplicationError

from .models import CapacitySnapshot, LocationSnapshot

if TYPE_CHECKING:
    from rcvs.accounts.models import User

# Fields copied from the location as they are, so a later edit leaves the snapshot unchanged.
COPIED_LOCATION_FIELDS = ("street", "postcode", "place", "kind", "status", "end_date", "suitable_infants",
                          "suitable_pets", "suitable_wheelchair", "intake_24_7")
NUMBER_FIELDS = ("realised", "occupied", "available", "snijverlies", "out_of_service", "planned")


def snapshot_today() -> dt.date:
    """Today in the project's time zone (Europe/Amsterdam): the day a snapshot taken now reports on."""
    return timezone.localdate()


def _snapshot_locations(region: Region) -> QuerySet[Location]:
    return (locations_with_capacity(Location.objects.filter(municipality__region=region)
                                    .exclude(status=LocationStatus.CLOSED))
            .select_related("municipality")
            .order_by("municipality__name", "name", "code"))


def snapshot_take(*, region: Region, as_of: dt.date, user: User | None = None) -> CapacitySnapshot:
    """The region's snapshot for `as_of`: the existing one, or a new one of the current registry
    when `as_of` is today. Constant number of queries, whatever the number of locations."""
    existing = CapacitySnapshot.objects.filter(region=region, as_of=as_of).first()
    if existing is not None:
        return existing
    today = snapshot_today()
    if as_of != today:
        if as_of > today:
            message = _("Voor %(day)s kan nog geen momentopname worden gemaakt: die dag is nog niet begonnen.")
        else:
            message = _("Voor %(day)s is geen momentopname gemaakt. De capaciteit van een eerdere dag kan "
                        "achteraf niet worden berekend; alleen voor vandaag kan een momentopname worden gemaakt.")
        raise ApplicationError(message % {"day": as_of.strftime("%d-%m-%Y")}, code="snapshot_date_not_today",
                               extra={"as_of": as_of.isoformat(), "today": today.isoformat()})
    with transaction.atomic():
        # Two takes for the same region and day (beat and a person at once) wait for each other
        # here; the second then finds the first's snapshot instead of hitting the unique constraint.
        Region.objects.select_for_update().filter(pk=region.pk).get()
        existing = CapacitySnapshot.objects.filter(region=region, as_of=as_of).first()
        if existing is not None:
            return existing
        # One statement reads every location with its capacity, so all lines are of one moment.
        locations = list(_snapshot_locations(region))
        snapshot = CapacitySnapshot.objects.create(region=region, as_of=as_of, taken_at=timezone.now(),
                                                   created_by=user)
        lines = []
        for location in locations:
            capacity = Capacity.from_obj(location)
            lines.append(LocationSnapshot(
                snapshot=snapshot, location=location,
                municipality_cbs_code=location.municipality.cbs_code, municipality_name=location.municipality.name,
                location_code=location.code, location_name=location.name,
                **{name: getattr(location, name) for name in COPIED_LOCATION_FIELDS},
                **{name: getattr(capacity, name) for name in NUMBER_FIELDS},
            ))
        LocationSnapshot.objects.bulk_create(lines)
    return snapshot


def snapshot_lines(snapshot: CapacitySnapshot) -> list[LocationSnapshot]:
    """The snapshot's locations in export order: by municipality, then location."""
    return list(snapshot.locations.order_by("municipality_name", "municipality_cbs_code", "location_name",
                                            "location_code"))


def line_capacity(line: LocationSnapshot) -> Capacity:
    return Capacity(**{name: getattr(line, name) for name in NUMBER_FIELDS})
