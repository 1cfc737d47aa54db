"""`{% case_transfers case %}` on the case page: the transfers and swaps asked from the case,
their state, links to the belteam's transfer page (for a viewer who may open the placement),
and the buttons to ask for one. Kept with the transfer-request code so that the case page needs
only this one line."""

from __future__ import annotations

from typing import Any

from django import template

from casework import selectors
from casework.models import Case
from placements.models import ACTIVE_PLACEMENT_STATUSES, Placement, PlacementStatus, TransferRequestStatus
from placements.selectors import placement_qs_for

register = template.Library()


@register.inclusion_tag("casework/_transfers.html", takes_context=True)
def case_transfers(context: template.Context, case: Case) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    links = list(selectors.transfer_requests_of(case))
    placement_ids = {link.transfer_request.placement_id for link in links}
    placement_ids |= {link.transfer_request.result_placement_id for link in links
                      if link.transfer_request.result_placement_id}
    visible = set(placement_qs_for(user).filter(pk__in=placement_ids).values_list("pk", flat=True))
    active = (Placement.objects.filter(request_id=case.household_id, status__in=ACTIVE_PLACEMENT_STATUSES)
              .select_related("location").first())
    has_open = any(link.transfer_request.status == TransferRequestStatus.OPEN for link in links)
    may_ask = (selectors.can_casework(user) and not case.is_closed and selectors.in_caseload(user, case))
    return {
        "case": case, "csrf_token": context.get("csrf_token"),
        "rows": [{"link": link, "tr": link.transfer_request,
                  "placement_visible": link.transfer_request.placement_id in visible,
                  "result_visible": link.transfer_request.result_placement_id in visible} for link in links],
        "may_ask": may_ask and not has_open and active is not None
        and active.status in (PlacementStatus.CONFIRMED, PlacementStatus.ARRIVED),
        "may_cancel": may_ask,
        "no_placement": active is None,
        "has_open": has_open,
        "transfer_form": context.get("transfer_form"),
    }
