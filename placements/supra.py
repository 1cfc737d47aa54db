"""Bovenregionale verplaatsing: when nothing fits in the region, ask the national coordination
(KCIO) to place the household elsewhere.

The request carries only what the receiving side needs to find a place: household size, the
composition in age bands, the needs as flags, the earliest date and who to call. Names travel
only when the user adds them on purpose (Tw Oek: minimise); care needs travel as a flag, never
as a description — the details go by phone, person to person.

Lock order as in services.py: the placement request first, then the supra-regional request.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rcvs.errors import ApplicationError, Conflict

from .models import (
    ACTIVE_PLACEMENT_STATUSES,
    PlacementEvent,
    PlacementRequest,
    RequestStatus,
    SupraRegionalRequest,
    SupraRegionalStatus,
)
from .services import InvalidTransition, _set_request_status

if TYPE_CHECKING:
    from rcvs.accounts.models import User

# (key, youngest, oldest or None, label). Keys are part of the JSON contract with integrations:
# never rename them. Ages in whole years on the earliest date of arrival.
AGE_BANDS: tuple[tuple[str, int, int | None, Any], ...] = (
    ("0-1", 0, 1, gettext_lazy("0–1 jaar (zuigeling)")),
    ("2-3", 2, 3, gettext_lazy("2–3 jaar")),
    ("4-11", 4, 11, gettext_lazy("4–11 jaar")),
    ("12-17", 12, 17, gettext_lazy("12–17 jaar")),
    ("18-64", 18, 64, gettext_lazy("18–64 jaar")),
    ("65+", 65, None, gettext_lazy("65 jaar en ouder")),
)

# Only these requests can still be forwarded: a reserved one holds beds in the region, a
# placed, cancelled or forwarded one is closed.
FORWARDABLE_STATUSES = (RequestStatus.NEW, RequestStatus.IN_PROGRESS)

ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    SupraRegionalStatus.SENT: (SupraRegionalStatus.ACCEPTED, SupraRegionalStatus.PLACED_ELSEWHERE,
                               SupraRegionalStatus.REJECTED),
}


def age_band(age: int) -> str:
    for key, youngest, oldest, _label in AGE_BANDS:
        if age >= youngest and (oldest is None or age <= oldest):
            return key
    return AGE_BANDS[0][0]  # born after the arrival date: counts as the youngest


def _actor(user: User | None) -> User | None:
    return user if user is not None and user.is_authenticated else None


def _needs(request: PlacementRequest) -> dict[str, Any]:
    return {
        "pets": {"count": request.pets_count, "kind": request.pets_kind if request.pets_count else ""},
        "wheelchair": request.needs_wheelchair,
        "reduced_mobility": request.reduced_mobility,
        # A flag only: what the care is stays in the region's casework.
        "care_need": request.care_need,
        "own_transport": request.own_transport,
    }


@transaction.atomic
def supra_request_create(*, user: User | None, request: PlacementRequest, contact_name: str, contact_phone: str,
                         contact_email: str = "", include_names: bool = False, note: str = "",
                         counterpart: str = "KCIO", now: dt.datetime | None = None) -> SupraRegionalRequest:
    """Forward a request that does not fit in the region to the national coordination.

    The placement request leaves the region's queue (status 'forwarded', with an event)."""
    now = now or timezone.now()
    request = PlacementRequest.objects.select_for_update().select_related("region").get(pk=request.pk)
    if request.placements.filter(status__in=ACTIVE_PLACEMENT_STATUSES).exists():
        raise Conflict(_("Dit verzoek heeft een plaatsing in de regio; geef die eerst vrij."),
                       code="has_placement")
    if request.status not in FORWARDABLE_STATUSES:
        raise InvalidTransition(_("Bovenregionaal doorzetten"), request.get_status_display())

    earliest = timezone.localdate(request.expected_arrival)
    members = list(request.members.order_by("position", "pk"))
    composition = {key: 0 for key, *_rest in AGE_BANDS}
    for member in members:
        composition[age_band(max(member.age_on(earliest), 0))] += 1
    names = ""
    if include_names:
        names = "\n".join(f"{m.first_name} {m.last_name} ({max(m.age_on(earliest), 0)})" for m in members)

    supra = SupraRegionalRequest(
        region=request.region, request=request, direction=SupraRegionalRequest.Direction.OUTGOING,
        counterpart=counterpart.strip(), status=SupraRegionalStatus.SENT, household_size=len(members),
        composition=composition, needs=_needs(request), earliest_date=earliest,
        contact_name=contact_name.strip(), contact_phone=contact_phone.strip(), contact_email=contact_email.strip(),
        names=names, note=note.strip(), created_by=_actor(user))
    try:
        supra.full_clean(exclude=["region", "request", "created_by"])
    except ValidationError as exc:
        raise ApplicationError(_("Het bovenregionale verzoek is niet compleet of niet juist."), code="invalid",
                               extra={"fields": exc.message_dict}) from exc
    supra.save()

    PlacementEvent.objects.create(
        request=request, kind=PlacementEvent.Kind.FORWARDED, actor=_actor(user), at=now,
        from_status=request.status, to_status=RequestStatus.FORWARDED,
        reason=_("Bovenregionaal verzoek aan %(counterpart)s") % {"counterpart": supra.counterpart},
        data={"supra": str(supra.uuid), "supra_status": supra.status, "names_included": include_names})
    request.status = RequestStatus.FORWARDED
    request.save(update_fields=["status", "updated_at"])
    return supra


@transaction.atomic
def supra_request_set_status(*, user: User | None, supra: SupraRegionalRequest, status: str, note: str = "",
                             now: dt.datetime | None = None) -> SupraRegionalRequest:
    """Record the answer of the national coordination. A refusal puts the household back in the
    region's queue: someone has to find a place after all."""
    now = now or timezone.now()
    request = None
    if supra.request_id is not None:
        request = PlacementRequest.objects.select_for_update().get(pk=supra.request_id)
    supra = SupraRegionalRequest.objects.select_for_update().get(pk=supra.pk)
    if status not in ALLOWED_TRANSITIONS.get(supra.status, ()):
        raise InvalidTransition(_("Status wijzigen naar '%(status)s'") % {
            "status": SupraRegionalStatus(status).label if status in SupraRegionalStatus.values else status,
        }, supra.get_status_display())
    previous = supra.status
    supra.status = status
    supra.save(update_fields=["status", "updated_at"])
    if request is not None:
        PlacementEvent.objects.create(
            request=request, kind=PlacementEvent.Kind.FORWARDED, actor=_actor(user), at=now,
            from_status=previous, to_status=status, reason=note.strip()[:300],
            data={"supra": str(supra.uuid), "supra_status": status})
        if status == SupraRegionalStatus.REJECTED and request.status == RequestStatus.FORWARDED:
            _set_request_status(request, RequestStatus.IN_PROGRESS, actor=_actor(user), at=now,
                                reason=_("Bovenregionaal verzoek afgewezen"))
    return supra


# --- renderings -------------------------------------------------------------------------------

def supra_as_json(supra: SupraRegionalRequest) -> dict[str, Any]:
    """For an integration: stable English keys; `names` only when the user added them."""
    data: dict[str, Any] = {
        "id": str(supra.uuid),
        "direction": supra.direction,
        "counterpart": supra.counterpart,
        "status": supra.status,
        "region": {"code": supra.region.code, "name": supra.region.name},
        "household_size": supra.household_size,
        "composition": {key: int(supra.composition.get(key, 0)) for key, *_rest in AGE_BANDS},
        "needs": supra.needs,
        "earliest_date": _as_date(supra.earliest_date).isoformat(),
        "contact": {"name": supra.contact_name, "phone": supra.contact_phone, "email": supra.contact_email},
        "note": supra.note,
    }
    if supra.names:
        data["names"] = supra.names.splitlines()
    return data


def _as_date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _need_lines(needs: dict[str, Any]) -> list[str]:
    lines = []
    pets = needs.get("pets") or {}
    if pets.get("count"):
        lines.append(_("Huisdieren: %(count)s (%(kind)s)") % {"count": pets["count"], "kind": pets.get("kind", "")})
    if needs.get("wheelchair"):
        lines.append(_("Rolstoel: rolstoeltoegankelijke locatie en kamer nodig"))
    if needs.get("reduced_mobility"):
        lines.append(_("Beperkt mobiel: geen trappen en geen bovenste stapelbed"))
    if needs.get("care_need"):
        lines.append(_("Zorgbehoefte: ja (toelichting alleen telefonisch via de contactpersoon)"))
    if needs.get("own_transport"):
        lines.append(_("Heeft eigen vervoer (afgelegen locatie mogelijk)"))
    return lines


def _context(supra: SupraRegionalRequest) -> dict[str, Any]:
    return {
        "supra": supra,
        "reference": str(supra.uuid)[:8],
        "region": supra.region,
        "composition": [(label, supra.composition.get(key, 0)) for key, _y, _o, label in AGE_BANDS
                        if supra.composition.get(key, 0)],
        "needs": _need_lines(supra.needs),
        "earliest": formats.date_format(_as_date(supra.earliest_date), "j F Y"),
        "names": supra.names.splitlines() if supra.names else [],
    }


def supra_as_text(supra: SupraRegionalRequest) -> str:
    """Dutch plain text for an e-mail to the national coordination."""
    c = _context(supra)
    lines = [
        _("Bovenregionaal plaatsingsverzoek"),
        "",
        _("Van: %(region)s (RCVS)") % {"region": supra.region.name},
        _("Aan: %(counterpart)s") % {"counterpart": supra.counterpart},
        _("Kenmerk: %(reference)s") % {"reference": c["reference"]},
        _("Status: %(status)s") % {"status": supra.get_status_display()},
        "",
        _("Huishouden: %(n)s persoon/personen") % {"n": supra.household_size},
        _("Samenstelling naar leeftijd:"),
        *(f"  - {label}: {count}" for label, count in c["composition"]),
        _("Behoeften:"),
        *(f"  - {line}" for line in c["needs"] or [_("geen bijzondere behoeften")]),
        _("Vroegste datum van plaatsing: %(date)s") % {"date": c["earliest"]},
        "",
        _("Contactpersoon: %(name)s") % {"name": supra.contact_name},
        _("Telefoon: %(phone)s") % {"phone": supra.contact_phone},
    ]
    if supra.contact_email:
        lines.append(_("E-mail: %(email)s") % {"email": supra.contact_email})
    if c["names"]:
        lines += ["", _("Namen (bewust toegevoegd):"), *(f"  - {name}" for name in c["names"])]
    if supra.note:
        lines += ["", _("Toelichting:"), supra.note]
    return "\n".join(str(line) for line in lines) + "\n"


def supra_as_pdf(supra: SupraRegionalRequest) -> bytes:
    """The same content as an A4 PDF to attach to the e-mail. Slow: call it outside transactions."""
    from weasyprint import HTML

    html = render_to_string("placements/supra_pdf.html", _context(supra))
    return HTML(string=html).write_pdf()
