"""A readable history per location: who changed what, when, from what to what.

Reads the django-simple-history tables of the location, its rooms (also deleted ones) and its
contacts in three queries, and diffs consecutive records of each object in Python (rather than
`diff_against`, which would fetch the previous record once per entry).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from django.db import models
from django.utils import formats
from django.utils.translation import gettext as _

from .models import ContactPerson, Location, Municipality, Room

IGNORED = {"id", "history_id", "history_date", "history_change_reason", "history_type", "history_user",
           "history_user_id", "history_relation", "uuid", "created_at", "updated_at"}


@dataclass
class FieldChange:
    field: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: dt.datetime
    user: Any
    subject: str
    action: str  # "created" | "changed" | "deleted"
    reason: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def action_label(self) -> str:
        return {"created": _("aangemaakt"), "changed": _("gewijzigd"), "deleted": _("verwijderd")}[self.action]


def _display(model: type[models.Model], name: str, value: Any, names: dict[int, str]) -> str:
    if value is None or value == "":
        return "—"
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return _("ja") if value else _("nee")
    if isinstance(model_field, models.ForeignKey):
        return names.get(value, str(value))
    if isinstance(value, dt.date):
        return formats.date_format(value, "d-m-Y")
    return str(value)


def _tracked_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.attname not in IGNORED and f.name not in IGNORED]


def _entries_for(model: type[models.Model], records: list[Any], subject: Any, names: dict[int, str]) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    fields = _tracked_fields(model)
    for _pk, group in groupby(records, key=lambda r: r.id):
        previous = None
        for record in group:
            action = {"+": "created", "~": "changed", "-": "deleted"}[record.history_type]
            changes: list[FieldChange] = []
            if action == "changed" and previous is not None:
                for f in fields:
                    old, new = getattr(previous, f.attname), getattr(record, f.attname)
                    if old != new:
                        changes.append(FieldChange(str(f.verbose_name), _display(model, f.name, old, names),
                                                   _display(model, f.name, new, names)))
                if not changes:
                    previous = record
                    continue  # a save that changed nothing visible is not worth a line
            elif action == "created":
                for f in fields:
                    value = getattr(record, f.attname)
                    if f.name in ("location",) or value in (None, "", False):
                        continue
                    changes.append(FieldChange(str(f.verbose_name), "—", _display(model, f.name, value, names)))
            entries.append(HistoryEntry(
                when=record.history_date, user=record.history_user, subject=subject(record), action=action,
                reason=record.history_change_reason or "", changes=changes,
            ))
            previous = record
    return entries


def location_history(location: Location) -> list[HistoryEntry]:
    names = dict(Municipality.objects.values_list("pk", "name"))
    ordering = ("id", "history_date", "history_id")
    loc_records = list(Location.history.filter(id=location.pk).select_related("history_user").order_by(*ordering))
    room_records = list(Room.history.filter(location_id=location.pk).select_related("history_user").order_by(*ordering))
    contact_records = list(
        ContactPerson.history.filter(location_id=location.pk).select_related("history_user").order_by(*ordering)
    )
    entries = (
        _entries_for(Location, loc_records, lambda r: _("Locatie"), names)
        + _entries_for(Room, room_records, lambda r: _("Kamer %(number)s") % {"number": r.number}, names)
        + _entries_for(ContactPerson, contact_records,
                       lambda r: _("Contactpersoon %(name)s") % {"name": r.name}, names)
    )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries
