"""Out-of-scope objects for the mail admins (tests/admin_scope_extra/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OUT_OF_SCOPE: dict[str, Callable[[Any], Any]] = {}
NOT_REGIONAL: dict[str, str] = {}
