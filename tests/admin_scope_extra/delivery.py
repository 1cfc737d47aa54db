"""Out-of-scope objects for the delivery admins (tests/admin_scope_extra/__init__.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.utils import timezone


def _zuid_kcio_delivery(ctx: Any) -> Any:
    """A failed KCIO send of region Zuid's snapshot."""
    snapshot = apps.get_model("reporting", "CapacitySnapshot").objects.create(
        region=ctx.world.zuid, as_of=dt.date(2026, 11, 30), taken_at=timezone.now())
    message = apps.get_model("outbox", "OutboxMessage").objects.create(
        kind="reporting.kcio_delivery", channel="http", payload={}, idempotency_key="kcio-delivery:zuid:2026-11-30:1",
        region=ctx.world.zuid, status="failed", attempts=8, next_attempt_at=timezone.now(), last_error="HTTP 500")
    return apps.get_model("reporting", "KcioDelivery").objects.create(
        snapshot=snapshot, sequence=1, reason="scheduled", method="https", file_format="csv",
        destination="https://kcio.example.nl/upload", outbox_message=message)


OUT_OF_SCOPE: dict[str, Callable[[Any], Any]] = {"reporting.kciodelivery": _zuid_kcio_delivery}
NOT_REGIONAL: dict[str, str] = {}
