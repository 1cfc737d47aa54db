"""Demo data: trends (reporting/demo/__init__.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def seed(region: Any, *, seed: int, as_of: dt.date) -> str | None:
    """Create the synthetic demo data of this capability for the region; return a one-line
    Dutch summary for seed_demo's output, or None. Idempotent."""
    return None
