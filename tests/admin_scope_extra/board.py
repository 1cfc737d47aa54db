"""Out-of-scope objects for the board admins (tests/admin_scope_extra/__init__.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any


def _zuid_item(ctx: Any) -> Any:
    from reporting.board_items import board_item_create

    return board_item_create(user=None, region=ctx.world.zuid, kind="B", title="Besluit van Zuid",
                             owner="secretaris Zuid")


def _zuid_report(ctx: Any) -> Any:
    from reporting.models import BoardReport

    return BoardReport.objects.create(region=ctx.world.zuid, period=dt.date(2026, 10, 1), status="failed",
                                      error="Mislukt (test)")


OUT_OF_SCOPE: dict[str, Callable[[Any], Any]] = {
    "reporting.boarditem": _zuid_item,
    "reporting.boardreport": _zuid_report,
}
NOT_REGIONAL: dict[str, str] = {}
