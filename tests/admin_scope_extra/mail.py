"""Out-of-scope objects for the mail admins (tests/admin_scope_extra/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _zuid_contact(ctx: Any) -> Any:
    from reporting.models import MailContact

    return MailContact.objects.create(municipality=ctx.world.mun_c, name="Zuid-ontvanger",
                                      email="zuid-opvang@example.org", function="beleidsadviseur")


def _zuid_mailing(ctx: Any) -> Any:
    from reporting.models import OccupancyMailing
    from reporting.snapshots import snapshot_take, snapshot_today

    snapshot = snapshot_take(region=ctx.world.zuid, as_of=snapshot_today())
    return OccupancyMailing.objects.create(municipality=ctx.world.mun_c, as_of=snapshot.as_of, snapshot=snapshot,
                                           municipality_cbs_code=ctx.world.mun_c.cbs_code, locations=1,
                                           realised=5, occupied=0, available=5, snijverlies=0)


OUT_OF_SCOPE: dict[str, Callable[[Any], Any]] = {
    "reporting.mailcontact": _zuid_contact,
    "reporting.occupancymailing": _zuid_mailing,
}
NOT_REGIONAL: dict[str, str] = {}
