"""The board's decision and action list: numbered B/K/A items per region (services and selectors).

Numbers count per region and kind (B-1, B-2, K-1, A-1 …) and are never reused: the next number is
the highest one there is plus one, read while the region's row is locked, so two people adding an
item at the same moment wait for each other instead of both taking B-4 (the unique constraint
would refuse the second; the lock makes it not happen). Every change writes a BoardItemEvent
with the old and new value of each changed field: the history is data."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from locations.models import Region
from locations.selectors import region_qs_for
from rcvs.errors import ApplicationError

from . import permissions
from .models import BoardItem, BoardItemEvent, BoardItemKind, BoardItemStatus
from .models.board import OPEN_ITEM_STATUSES

if TYPE_CHECKING:
    from rcvs.accounts.models import User

EDITABLE_FIELDS = ("title", "description", "owner", "due_date", "status", "decided_on")


def board_item_qs_for(user: User) -> QuerySet[BoardItem]:
    """The items a user may read: those of their regions, for staff and bestuur; nothing else."""
    if not permissions.can_read_reports(user):
        return BoardItem.objects.none()
    return BoardItem.objects.filter(region__in=region_qs_for(user)).select_related("region")


def board_items_for_report(region: Region, *, period_start: dt.date, period_end: dt.date) -> dict[str, list]:
    """For the board report: the items as they stood at the end of the period (`period_end`
    exclusive), replayed from their events so that a later change does not rewrite last month's
    report. `open`: open or in uitvoering then, whenever made; `recent`: made or closed in the
    period and no longer open then. Each item gets `status_then` (a BoardItemStatus). Two queries."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period_start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period_end, dt.time.min, tzinfo=tz)
    items = list(BoardItem.objects.filter(region=region, created_at__lt=end)
                 .prefetch_related(Prefetch("events", to_attr="events_then",
                                            queryset=BoardItemEvent.objects.filter(at__lt=end).order_by("at", "pk"))))
    open_items, recent = [], []
    for item in items:
        status, closed_at = BoardItemStatus.OPEN, None
        for event in item.events_then:
            if "status" in event.changes:
                status = event.changes["status"][1]
                closed_at = None if status in OPEN_ITEM_STATUSES else event.at
        item.status_then = BoardItemStatus(status)
        if status in OPEN_ITEM_STATUSES:
            open_items.append(item)
        elif item.created_at >= start or (closed_at is not None and closed_at >= start):
            recent.append(item)
    order = {kind: n for n, kind in enumerate(BoardItemKind.values)}
    open_items.sort(key=lambda i: (order[i.kind], i.number))
    recent.sort(key=lambda i: (order[i.kind], i.number))
    return {"open": open_items, "recent": recent}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {}
    title = (values.get("title") or "").strip()
    if "title" in values and not title:
        raise ApplicationError(_("Geef een titel."), code="invalid", extra={"fields": {"title": [_("Geef een titel.")]}})
    for name in EDITABLE_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if isinstance(value, str):
            value = value.strip()
        cleaned[name] = value
    if "status" in cleaned and cleaned["status"] not in BoardItemStatus.values:
        raise ApplicationError(_("Kies een geldige status."), code="invalid",
                               extra={"fields": {"status": [_("Kies een geldige status.")]}})
    return cleaned


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


@transaction.atomic
def board_item_create(*, user: User | None, region: Region, kind: str, title: str, description: str = "",
                      owner: str = "", due_date: dt.date | None = None, status: str = BoardItemStatus.OPEN,
                      decided_on: dt.date | None = None) -> BoardItem:
    if kind not in BoardItemKind.values:
        raise ApplicationError(_("Kies B (besluit), K (knelpunt) of A (actie)."), code="invalid",
                               extra={"fields": {"kind": [_("Kies B (besluit), K (knelpunt) of A (actie).")]}})
    values = _clean({"title": title, "description": description, "owner": owner, "due_date": due_date,
                     "status": status, "decided_on": decided_on})
    # The region's row is the lock for its numbering (see the module docstring).
    Region.objects.select_for_update().filter(pk=region.pk).get()
    last = BoardItem.objects.filter(region=region, kind=kind).aggregate(n=Max("number"))["n"] or 0
    item = BoardItem.objects.create(region=region, kind=kind, number=last + 1, created_by=user, **values)
    BoardItemEvent.objects.create(item=item, kind=BoardItemEvent.Kind.CREATED, actor=user, at=timezone.now(),
                                  changes={name: [None, _jsonable(v)] for name, v in values.items() if v not in ("", None)})
    return item


@transaction.atomic
def board_item_update(*, user: User | None, item: BoardItem, **values: Any) -> BoardItem:
    """Change title, description, owner, due date, status or meeting date. Kind, number and region
    never change: B-3 stays B-3 in the minutes that cite it."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(_("Deze velden kunnen niet worden gewijzigd."), code="invalid",
                               extra={"fields": {name: [_("Kan niet worden gewijzigd.")] for name in sorted(unknown)}})
    cleaned = _clean(values)
    item = BoardItem.objects.select_for_update().get(pk=item.pk)
    changes = {}
    for name, value in cleaned.items():
        old = getattr(item, name)
        if old != value:
            changes[name] = [_jsonable(old), _jsonable(value)]
            setattr(item, name, value)
    if changes:
        item.save(update_fields=[*changes, "updated_at"])
        BoardItemEvent.objects.create(item=item, kind=BoardItemEvent.Kind.CHANGED, actor=user, at=timezone.now(),
                                      changes=changes)
    return item
