"""Handlers per kind of outbox message.

A kind is a dotted name ("placement.location_mail") bound to one function that performs the side
effect for one message, and to a channel ("mail" now; "http" for the KCIO deliveries later). The
handler gets the OutboxMessage, reads what it needs from the database by the ids in the payload, and
either returns (delivered) or raises: any exception is a failed attempt that is retried later,
`PermanentError` fails the message at once (retrying cannot help, e.g. a 4xx from a receiver).
Handlers run outside any database transaction and must not assume they run only once: see
services.outbox_deliver for the crash window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from .models import OutboxMessage

CHANNELS = ("mail", "http")


class PermanentError(Exception):
    """Raised by a handler when another attempt cannot succeed: the message fails without retries."""


@dataclass(frozen=True)
class Handler:
    kind: str
    channel: str
    deliver: Callable[[OutboxMessage], None]


_handlers: dict[str, Handler] = {}


def register(kind: str, *, channel: str) -> Callable[[Callable[[OutboxMessage], None]], Callable]:
    if channel not in CHANNELS:
        raise ImproperlyConfigured(f"Outbox channel {channel!r} is not one of {CHANNELS}.")

    def decorator(func: Callable[[OutboxMessage], None]) -> Callable[[OutboxMessage], None]:
        known = _handlers.get(kind)
        if known is not None and known.deliver.__qualname__ != func.__qualname__:
            raise ImproperlyConfigured(f"Outbox kind {kind!r} is registered twice.")
        _handlers[kind] = Handler(kind=kind, channel=channel, deliver=func)
        return func

    return decorator


def get(kind: str) -> Handler:
    try:
        return _handlers[kind]
    except KeyError:
        raise LookupError(f"No outbox handler is registered for kind {kind!r}.") from None


def kinds() -> list[str]:
    return sorted(_handlers)
