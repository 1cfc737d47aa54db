"""Out-of-scope objects for the targets admins (tests/admin_scope_extra/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _zuid_split(ctx: Any) -> Any:
    from reporting.models import TargetSplit, TargetSplitPart

    split = TargetSplit.objects.create(region=ctx.world.zuid, year=2026, region_places=5)
    TargetSplitPart.objects.create(split=split, municipality=ctx.world.mun_c, places=5)
    return split


def _zuid_split_event(ctx: Any) -> Any:
    from reporting.models import TargetSplitEvent

    return TargetSplitEvent.objects.create(region=ctx.world.zuid, year=2026, action="set", region_places=5,
                                           parts={ctx.world.mun_c.cbs_code: 5})


OUT_OF_SCOPE: dict[str, Callable[[Any], Any]] = {
    "reporting.targetsplit": _zuid_split,
    "reporting.targetsplitevent": _zuid_split_event,
}
NOT_REGIONAL: dict[str, str] = {}
