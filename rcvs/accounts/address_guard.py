"""A second brake on guessing: failed logins counted per client address, whatever the username.

django-axes locks a username from one address after AXES_FAILURE_LIMIT failures. That does not
stop *spraying*: one address trying a few passwords on many usernames never trips it. So every
failed login (page, admin, token endpoint) also counts against its address, and an address with
LOGIN_FAILURES_PER_ADDRESS failures within LOGIN_ADDRESS_WINDOW_MINUTES may not try again until
the window has passed. The limit is far above what one office behind a shared address mistypes
(30 by default), so colleagues do not lock each other out. The count lives in the cache: set
CACHE_URL (Redis) so every worker shares it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

log = logging.getLogger(__name__)


def _address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    from axes.helpers import get_client_ip_address  # the same address axes uses (AXES_CLIENT_IP_HEADERS)

    return get_client_ip_address(request) or None


def _key(address: str) -> str:
    return f"rcvs:login-failures:{address}"


def address_blocked(request: HttpRequest | None) -> bool:
    address = _address(request)
    return bool(address) and (cache.get(_key(address)) or 0) >= settings.LOGIN_FAILURES_PER_ADDRESS


def record_failure(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
                   **kwargs: Any) -> None:
    """user_login_failed receiver."""
    address = _address(request)
    if not address:
        return
    key = _key(address)
    cache.add(key, 0, timeout=settings.LOGIN_ADDRESS_WINDOW_MINUTES * 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_ADDRESS_WINDOW_MINUTES * 60)
        count = 1
    if count == settings.LOGIN_FAILURES_PER_ADDRESS:
        log.warning("Logins from address %s refused for %d minutes after %d failures", address,
                    settings.LOGIN_ADDRESS_WINDOW_MINUTES, count)


class AddressGuardBackend:
    """First authentication backend: refuses every login from a blocked address before any
    password is checked, and lets axes' middleware answer with the lockout page (429)."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        if address_blocked(request):
            request.axes_locked_out = True  # AxesMiddleware and the token view turn this into a 429
            request.rcvs_address_blocked = True
            raise PermissionDenied
        return None
    # No get_user(): this backend logs nobody in, so sessions never name it (Django's test client
    # and login() pick the first backend that has one).
