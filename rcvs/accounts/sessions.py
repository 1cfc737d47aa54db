"""When a session ends: after a period without requests (idle) and after an absolute lifetime.

Both moments live in the session itself (seconds since the epoch), stamped at login."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from .models import Role

LOGIN_AT = "rcvs_login_at"
SEEN_AT = "rcvs_seen_at"
# Refresh "last seen" at most once a minute, not with a session write on every request.
SEEN_RESOLUTION = 60


def stamp_login(session: Any, now: float | None = None) -> None:
    now = int(now if now is not None else time.time())
    session[LOGIN_AT] = session[SEEN_AT] = now


# Roles that can read case content (health and other special-category data): the shortest idle
# time. The same roles as rcvs.accounts.otp.SECOND_FACTOR_ROLES; gemeente included because a case
# can be shared with any gemeente user at any time.
CASEWORK_ROLES = frozenset({Role.COORDINATOR, Role.MENTAL_COACH, Role.GEMEENTE})


def idle_seconds_for(user: Any) -> int:
    """Coordinators, mental coaches and gemeente users can read case content: the shortest idle
    time (SESSION_IDLE_MINUTES_CASEWORK). Bestuur sees figures, not persons: a longer one. Everyone
    else (belteam, beheerder, superuser) sees names and dates of birth and gets the usual one."""
    role = getattr(user, "role", None)
    minutes = settings.SESSION_IDLE_MINUTES
    if role in CASEWORK_ROLES:
        minutes = min(minutes, settings.SESSION_IDLE_MINUTES_CASEWORK)
    elif role == Role.BESTUUR and not user.is_superuser:
        minutes = settings.SESSION_IDLE_MINUTES_BESTUUR
    return minutes * 60


def expiry_reason(session: Any, user: Any, now: float) -> str | None:
    """"idle", "lifetime" or None (still valid). A session without stamps (made before this
    check existed) counts from now on."""
    login_at = session.get(LOGIN_AT)
    seen_at = session.get(SEEN_AT)
    if login_at is None or seen_at is None:
        stamp_login(session, now)
        return None
    if now - login_at >= settings.SESSION_MAX_HOURS * 3600:
        return "lifetime"
    if now - seen_at >= idle_seconds_for(user):
        return "idle"
    if now - seen_at >= SEEN_RESOLUTION:
        session[SEEN_AT] = int(now)
    return None
