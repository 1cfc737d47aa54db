"""Casework's answer to placements' question "where did this transfer request come from?"
(placements/origins.py; registered in CaseworkConfig.ready).

Every viewer of the belteam queue may read "Gevraagd vanuit casus 2026-0042": a number, no
content. The link to the case is given only to a viewer for whom the case is in
`case_qs_for` (its coordinators and mental coaches); belteam, beheerder and bestuur get the
label alone. Following the link still passes the case page's own gate (second factor, read log,
break-glass)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from placements.models import TransferRequest
from placements.origins import Origin

from .models import CaseTransfer
from .selectors import can_casework, case_qs_for


def describe_transfer_origins(user: Any, transfer_requests: Sequence[TransferRequest]) -> dict[int, Origin]:
    links = list(CaseTransfer.objects.filter(transfer_request__in=[tr.pk for tr in transfer_requests])
                 .values_list("transfer_request_id", "case_id", "case__number", "case__uuid"))
    readable: set[int] = set()
    if links and can_casework(user):
        readable = set(case_qs_for(user).filter(pk__in=[case_id for _tr, case_id, _n, _u in links])
                       .values_list("pk", flat=True))
    found = {}
    for tr_id, case_id, number, case_uuid in links:
        label = _("Gevraagd vanuit casus %(number)s") % {"number": number}
        url = reverse("casework:case_detail", args=[case_uuid]) + "#overplaatsingen" if case_id in readable else ""
        found[tr_id] = Origin(label=label, url=url)
    return found
