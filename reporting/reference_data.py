"""Reference data that must exist in every installation: the published normbedrag rates.

The first phase is taken to start on 1 March 2022, the first full month of reception after the
invasion of 24 February 2022 ("at least €100 in the first phase"; a user can move the start if the
region counts from earlier). Each period ends the day before the next starts. The 2025 rate ends on
31 December 2025: later rates are entered by the user, and a day without a rate is refused rather
than paid at an old rate (DOMAIN.md, "Money").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

PUBLISHED_RATES = [
    ("2022-03-01", "2022-10-14", "100.00", "Eerste fase 2022: ten minste € 100 per plaats per dag"),
    ("2022-10-15", "2023-12-31", "83.00", "Vanaf 15 oktober 2022"),
    ("2024-01-01", "2024-12-31", "61.00", "Vanaf 1 januari 2024"),
    ("2025-01-01", "2025-12-31", "44.00", "2025"),
]


def ensure_norm_rates(model: Any) -> None:
    """Seed the published rates into an empty table. A table that holds any rate is left alone:
    the user may have corrected a period, and an overlapping seed would be refused anyway."""
    if model.objects.exists():
        return
    model.objects.bulk_create([
        model(valid_from=dt.date.fromisoformat(start), valid_until=dt.date.fromisoformat(end),
              amount=Decimal(amount), note=note)
        for start, end, amount, note in PUBLISHED_RATES])


def ensure_after_migrate(sender: Any, **kwargs: Any) -> None:
    """post_migrate: after every migrate and after a flush (the tests' transactional cases empty
    every table), the published rates exist again."""
    from django.apps import apps as global_apps

    apps = kwargs.get("apps") or global_apps  # flush sends no `apps`
    try:
        model = apps.get_model("reporting", "NormRate")
    except LookupError:
        return
    ensure_norm_rates(model)
