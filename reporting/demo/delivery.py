"""Demo data: KCIO delivery (reporting/demo/__init__.py).

Nothing. The demo has delivery switched off (KCIO_DELIVERY_METHOD=off), so its export history
truthfully says "niet verstuurd" for every day: a demo row marked "verzonden" for a file that
went nowhere would teach a new user to trust a status that means nothing. To see a delivery,
switch it on towards a local receiver (README, "KCIO delivery") and press "Nu exporteren".
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def seed(region: Any, *, seed: int, as_of: dt.date) -> str | None:
    return None
