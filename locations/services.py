"""Writes to the registry. Views, API, admin actions, the importer and commands call these.

Every write checks the user's right to the municipality, validates the model (so the database
constraints are met with a Dutch message rather than an IntegrityError), and records history
with the acting user and a reason.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rcvs.errors import ApplicationError, NotFound, PermissionDenied

from .models import ContactPerson, Location, Municipality, Room, RoomState
from .selectors import editable_municipality_qs_for, location_qs_for

if TYPE_CHECKING:
    from rcvs.accounts.models import User


# Location codes are unique nationally: the KCIO's daily location data knows a location by its
# code, so the registry keeps one code per location across regions. A taken code may therefore
# belong to another region; this message says so without saying where (forms, API, import).
LOCATION_CODE_TAKEN = gettext_lazy("Deze locatiecode is al in gebruik; kies een andere code.")


class RegistryValidationError(ApplicationError):
    """Field errors from model validation, keyed by field name (`extra["fields"]`)."""

    def __init__(self, error: ValidationError):
        fields = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        message = "; ".join(f"{msgs[0]}" for msgs in fields.values())
        super().__init__(message, code="invalid", extra={"fields": fields})
        self.validation_error = error


def _require_editable(user: User, municipality: Municipality) -> None:
    if not editable_municipality_qs_for(user).filter(pk=municipality.pk).exists():
        # Outside the user's scope entirely: pretend it does not exist (404), as the UI does.
        if not location_qs_for(user).filter(municipality=municipality).exists() and not user.is_superuser:
            raise NotFound(_("Niet gevonden."), code="not_found")
        raise PermissionDenied(_("U mag locaties van deze gemeente niet wijzigen."), code="forbidden")


# Which form field a database constraint is about, so its message lands next to that field.
CONSTRAINT_FIELDS = {
    "location_end_not_before_opening": "end_date",
    "location_coordinates_valid": "latitude",
    "room_unique_number_per_location": "number",
    "room_beds_1_to_6": "beds",
    "room_bunks_within_beds": "bunk_beds",
    "room_blocked_has_reason": "blocked_reason",
    "room_blocked_is_empty": "state",
    "room_not_overbooked": "beds",
}


def _constraint_error(instance: Any, exc: IntegrityError) -> ApplicationError:
    """Turn a violated database constraint into the Dutch message the model declares for it."""
    name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    constraint = next((c for c in instance._meta.constraints if c.name == name), None)
    if constraint is None:
        return ApplicationError(_("De wijziging botst met een regel in de database."), code="integrity_error",
                                extra={"constraint": name})
    field_name = CONSTRAINT_FIELDS.get(name, "__all__")
    return RegistryValidationError(ValidationError({field_name: [str(constraint.violation_error_message)]}))


def _save(instance: Any, *, user: User | None, reason: str) -> Any:
    instance._change_reason = reason
    if user is not None and user.is_authenticated:
        instance._history_user = user
    try:
        # Constraints are left to the database, which checks them anyway: validating them in
        # Python costs one query per constraint per save (a bulk import of rooms paid 8 per row).
        instance.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise RegistryValidationError(exc) from exc
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise _constraint_error(instance, exc) from exc
    return instance


LOCATION_FIELDS = {
    "municipality", "code", "name", "street", "postcode", "place", "latitude", "longitude", "kind", "status",
    "opening_date", "end_date", "suitable_infants", "suitable_pets", "suitable_wheelchair", "suitable_care",
    "has_stairs", "has_bunk_beds", "is_remote", "intake_24_7", "target_families", "target_singles",
    "target_single_men", "notes",
}
ROOM_FIELDS = {"number", "floor", "beds", "bunk_beds", "step_free", "wheelchair_accessible", "occupancy"}
CONTACT_FIELDS = {"name", "function", "phone", "email", "is_primary"}


def _apply(instance: Any, data: dict[str, Any], allowed: set[str]) -> list[str]:
    unknown = set(data) - allowed
    if unknown:
        raise ApplicationError(_("Onbekende velden: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
                               code="unknown_fields")
    changed = []
    for name, value in data.items():
        model_field = instance._meta.get_field(name)
        if model_field.is_relation:
            # compare ids: reading an unset relation on a new instance raises
            current, new = getattr(instance, model_field.attname), getattr(value, "pk", value)
        else:
            current, new = getattr(instance, name), value
        if current != new:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def normalise_postcode(value: str) -> str:
    compact = (value or "").replace(" ", "").upper()
    return f"{compact[:4]} {compact[4:]}" if len(compact) == 6 else (value or "").strip().upper()


def location_create(*, user: User, data: dict[str, Any], reason: str = "") -> Location:
    location = Location()
    _apply(location, data, LOCATION_FIELDS)
    if location.municipality_id is None:
        raise RegistryValidationError(ValidationError({"municipality": [_("Kies een gemeente.")]}))
    _require_editable(user, location.municipality)
    location.postcode = normalise_postcode(location.postcode)
    return _save(location, user=user, reason=reason or _("Locatie aangemaakt"))


@transaction.atomic
def location_update(*, user: User, location: Location, data: dict[str, Any], reason: str = "") -> Location:
    _require_editable(user, location.municipality)
    # NO KEY UPDATE: placements referencing this location (KEY SHARE) need not wait for an edit.
    location = Location.objects.select_for_update(no_key=True).get(pk=location.pk)
    _apply(location, data, LOCATION_FIELDS)
    if "municipality" in data:
        _require_editable(user, location.municipality)  # may not move a location out of one's own scope
    location.postcode = normalise_postcode(location.postcode)
    return _save(location, user=user, reason=reason or _("Locatie gewijzigd"))


def room_create(*, user: User, location: Location, data: dict[str, Any], reason: str = "") -> Room:
    _require_editable(user, location.municipality)
    room = Room(location=location)
    _apply(room, data, ROOM_FIELDS)
    return _save(room, user=user, reason=reason or _("Kamer aangemaakt"))


@transaction.atomic
def room_update(*, user: User, room: Room, data: dict[str, Any], reason: str = "") -> Room:
    _require_editable(user, room.location.municipality)
    locked = Room.objects.select_for_update().select_related("location__municipality").get(pk=room.pk)
    _apply(locked, data, ROOM_FIELDS)
    if locked.beds < locked.occupants:
        raise ApplicationError(
            _("Kamer %(room)s heeft %(n)s bewoners; minder bedden dan dat kan niet.")
            % {"room": locked.number, "n": locked.occupants}, code="beds_below_occupants")
    return _save(locked, user=user, reason=reason or _("Kamer gewijzigd"))


@transaction.atomic
def room_block(*, user: User, room: Room, reason: str, until: dt.date | None = None) -> Room:
    """Take a room out of service. Only an empty room can be blocked: its residents must be
    transferred first, so that out-of-service beds never hide occupied ones."""
    _require_editable(user, room.location.municipality)
    locked = Room.objects.select_for_update().select_related("location__municipality").get(pk=room.pk)
    if not (reason or "").strip():
        raise RegistryValidationError(ValidationError({"blocked_reason": [_("Geef een reden voor de blokkade.")]}))
    if locked.occupants:
        raise ApplicationError(
            _("Kamer %(room)s heeft %(n)s bewoners en kan niet worden geblokkeerd.")
            % {"room": locked.number, "n": locked.occupants}, code="room_occupied")
    if until is not None and until < dt.date.today():
        raise RegistryValidationError(ValidationError({"blocked_until": [_("Deze datum ligt in het verleden.")]}))
    locked.state = RoomState.BLOCKED
    locked.blocked_reason = reason.strip()
    locked.blocked_until = until
    return _save(locked, user=user, reason=_("Kamer geblokkeerd: %(reason)s") % {"reason": reason.strip()})


@transaction.atomic
def room_unblock(*, user: User, room: Room) -> Room:
    _require_editable(user, room.location.municipality)
    locked = Room.objects.select_for_update().select_related("location__municipality").get(pk=room.pk)
    locked.state = RoomState.AVAILABLE
    locked.blocked_reason = ""
    locked.blocked_until = None
    return _save(locked, user=user, reason=_("Blokkade opgeheven"))


@transaction.atomic
def room_delete(*, user: User, room: Room) -> None:
    _require_editable(user, room.location.municipality)
    locked = Room.objects.select_for_update().get(pk=room.pk)
    if locked.occupants:
        raise ApplicationError(_("Een kamer met bewoners kan niet worden verwijderd."), code="room_occupied")
    locked._change_reason = _("Kamer verwijderd")
    locked._history_user = user
    locked.delete()


def contact_save(*, user: User, location: Location, data: dict[str, Any],
                 contact: ContactPerson | None = None) -> ContactPerson:
    _require_editable(user, location.municipality)
    contact = contact or ContactPerson(location=location)
    _apply(contact, data, CONTACT_FIELDS)
    return _save(contact, user=user, reason=_("Contactpersoon opgeslagen"))


def contact_delete(*, user: User, contact: ContactPerson) -> None:
    _require_editable(user, contact.location.municipality)
    contact._history_user = user
    contact._change_reason = _("Contactpersoon verwijderd")
    contact.delete()


def rooms_release_expired_blocks(*, as_of: dt.date) -> list[int]:
    """Unblock rooms whose 'blocked until' date has passed, one row lock at a time (by pk, the
    capacity lock order), so the beds count as available again without anyone having to remember.
    Returns the ids of the rooms released."""
    released: list[int] = []
    candidates = Room.objects.filter(state=RoomState.BLOCKED, blocked_until__lt=as_of).order_by("pk")
    for room_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            room = Room.objects.select_for_update().get(pk=room_id)
            if room.state != RoomState.BLOCKED or room.blocked_until is None or room.blocked_until >= as_of:
                continue  # changed since we listed it
            room.state = RoomState.AVAILABLE
            room.blocked_reason = ""
            room.blocked_until = None
            room._change_reason = _("Blokkade verlopen op %(date)s") % {"date": as_of.isoformat()}
            room.save()
            released.append(room.pk)
    return released
