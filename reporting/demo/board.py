"""Demo data: board (reporting/demo/__init__.py) — a synthetic B/K/A list for the demo region.

Titles and owners are invented functions of a team, never persons. The report itself is not built
here (rendering takes seconds): the scheduled job (reporting.tasks_board, daily by default) makes
the previous month's report of every region that lacks it, so a new demo has one the next
morning; the page makes one on request at once."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

# (kind, title, owner, status, due in days from as_of (None: no date), decided days before as_of)
DEMO_ITEMS = (
    ("B", "Noodopvang sporthal verlengen tot 1 juli", "bestuurssecretaris", "done", None, 40),
    ("B", "Verdeelsleutel volgen bij nieuwe locaties", "bestuurssecretaris", "done", None, 26),
    ("B", "Reservecapaciteit van 5% aanhouden", "bestuurssecretaris", "in_progress", 60, 12),
    ("K", "Te weinig rolstoeltoegankelijke plaatsen", "coördinator huisvesting", "open", 45, None),
    ("K", "Contracten van drie locaties lopen binnen een half jaar af", "coördinator huisvesting", "in_progress",
     30, None),
    ("A", "Gesprek met gemeenten over verlenging locaties", "teamleider RCVS", "in_progress", 21, 12),
    ("A", "Declaratie eerste halfjaar indienen", "financieel medewerker", "open", 14, None),
    ("A", "Inventarisatie schoolplaatsen nieuwe locaties", "themacoördinator onderwijs", "done", None, 33),
    ("A", "Vervoer naar de huisarts regelen voor buitengebied", "themacoördinator zorg", "lapsed", None, 50),
)


def seed(region: Any, *, seed: int, as_of: dt.date) -> str | None:
    """The demo list, once: a region that has any item keeps its list as it is (idempotent; what
    a user changed is kept on `make run --keep-existing`)."""
    from reporting.board_items import board_item_create
    from reporting.models import BoardItem

    if BoardItem.objects.filter(region=region).exists():
        return None
    from django.utils import timezone

    from reporting.models import BoardItemEvent

    rng = random.Random(seed)
    tz = timezone.get_current_timezone()
    for kind, title, owner, status, due_days, decided_days in DEMO_ITEMS:
        item = board_item_create(
            user=None, region=region, kind=kind, title=title, owner=owner, status=status,
            description="Synthetisch voorbeeld." if rng.random() < 0.5 else "",
            due_date=as_of + dt.timedelta(days=due_days) if due_days is not None else None,
            decided_on=as_of - dt.timedelta(days=decided_days) if decided_days is not None else None)
        # Dated back to the meeting (or a few weeks), so last month's board report has a list.
        made = dt.datetime.combine(as_of - dt.timedelta(days=decided_days or rng.randint(10, 45)), dt.time(10),
                                   tzinfo=tz)
        BoardItem.objects.filter(pk=item.pk).update(created_at=made, updated_at=made)
        BoardItemEvent.objects.filter(item=item).update(at=made)
    return f"besluitenlijst: {len(DEMO_ITEMS)} besluiten, knelpunten en acties"
