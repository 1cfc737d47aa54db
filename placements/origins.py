"""Where a transfer request came from, as the placements pages show it — without placements
knowing casework (imports flow casework → placements, never back).

An app that creates TransferRequests registers a *describer* here (casework does so in its
AppConfig.ready). The placements views ask `describe(user, transfer_requests)` and render what
comes back: a label that every viewer of the queue may see ("Gevraagd vanuit casus 2026-0042")
and, only when the describer says this viewer may open the origin, a URL. So the decision who
may follow the link to a case stays with casework's own scoping, and the placements templates
hold no case data at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import TransferRequest


@dataclass(frozen=True)
class Origin:
    label: str  # safe for every viewer: a number, never content
    url: str = ""  # only for a viewer who may open the origin


Describer = Callable[[Any, Sequence["TransferRequest"]], dict[int, Origin]]
_describers: list[Describer] = []


def register(describer: Describer) -> None:
    """Idempotent: AppConfig.ready may run more than once (tests, autoreload)."""
    if describer not in _describers:
        _describers.append(describer)


def describe(user: Any, transfer_requests: Iterable[TransferRequest]) -> dict[int, Origin]:
    """Origins by transfer request id, as far as a registered describer knows them."""
    requests = list(transfer_requests)
    found: dict[int, Origin] = {}
    if not requests:
        return found
    for describer in _describers:
        for pk, origin in describer(user, requests).items():
            found.setdefault(pk, origin)
    return found
