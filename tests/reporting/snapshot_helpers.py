"""Hand-made capacity snapshots for the targets and compensation tests (no registry needed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.utils import timezone

from reporting.models import CapacitySnapshot, LocationSnapshot


def make_snapshot(region, as_of: dt.date, lines: Mapping[tuple[str, str], list[int]]) -> CapacitySnapshot:
    """`lines`: (CBS code, municipality name) -> the realised beds of each of its locations."""
    snapshot = CapacitySnapshot.objects.create(region=region, as_of=as_of, taken_at=timezone.now())
    rows = []
    for (code, name), beds in lines.items():
        for i, realised in enumerate(beds):
            occupied = realised // 2
            rows.append(LocationSnapshot(
                snapshot=snapshot, municipality_cbs_code=code, municipality_name=name,
                location_code=f"{code}-{i}", location_name=f"Locatie {code}-{i}", street="Teststraat 1",
                postcode="9401 AB", place="Teststad", kind="goo", status="open", end_date=None,
                suitable_infants=False, suitable_pets=False, suitable_wheelchair=False, intake_24_7=False,
                realised=realised, occupied=occupied, available=realised - occupied, snijverlies=0,
                out_of_service=0, planned=0))
    LocationSnapshot.objects.bulk_create(rows)
    return snapshot
