"""Subject access (issue 7, point 10; AVG art. 15): everything stored about one person, as JSON
and as PDF, for a data-subject request.

Who: coordinators with the special-category right (`can_subject_access`). The dossier holds
special-category entries, so only someone allowed to read those may compile it; a mental coach
reads them for care, not for answering requests; a superuser or beheerder gets nothing
(need-to-know, as everywhere in casework). Scope: the coordinator's own regions — each region
answers for the data it holds.

Found by the rule of the duplicate check (`placements.selectors.same_person`): the same V-number
or BSN, or the same surname and date of birth (and first name when given), over all the
person's requests, whatever their status. Cases included: those about that person, and those
about a whole household they belonged to. Other members of a household appear only as a count.

Logged: before anything is put together, one read-log row per case included (part
"subject_access", channel "export" or "pdf"; outside one's own caseload as break-glass with a
fixed reason, so the owner sees it), in one transaction — if any row cannot be written, none is
and nothing is served (ReadNotLogged). Plus a log line with the requester's id and the counts;
never a name.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from placements.models import HouseholdMember, PlacementEvent, PlacementRequest
from placements.selectors import person_records
from rcvs.accounts.models import Role
from rcvs.errors import ApplicationError, PermissionDenied

from . import selectors, services
from .models import AccessChannel, AccessPart, Case, CaseShare

if TYPE_CHECKING:
    from rcvs.accounts.models import User

logger = logging.getLogger(__name__)

# The break-glass reason recorded when the export covers a case outside one's caseload.
SUBJECT_ACCESS_REASON = "Inzageverzoek van de betrokkene (AVG art. 15)"


def can_subject_access(user: User) -> bool:
    """Coordinators with the special-category right; nobody else (see the module docstring)."""
    return selectors.can_read_special(user) and user.role == Role.COORDINATOR


@dataclass
class SubjectSearch:
    """What identifies the person. Comes by POST, never in a URL."""

    first_name: str = ""
    last_name: str = ""
    date_of_birth: dt.date | None = None
    v_number: str = ""
    bsn: str = ""

    @property
    def is_enough(self) -> bool:
        return bool(self.v_number.strip() or self.bsn.strip() or (self.last_name.strip() and self.date_of_birth))


@dataclass
class SubjectMatch:
    members: list[HouseholdMember]
    requests: list[PlacementRequest]
    cases: list[Case]


@dataclass
class Dossier:
    generated_at: dt.datetime
    match: SubjectMatch
    data: dict[str, Any] = field(default_factory=dict)


def _require(user: User) -> None:
    if not can_subject_access(user):
        raise PermissionDenied(_("Alleen coördinatoren met het recht op bijzondere persoonsgegevens behandelen "
                                 "inzageverzoeken."), code="subject_access_not_allowed")


def subject_cases(*, user: User, members: list[HouseholdMember]) -> QuerySet[Case]:
    """Cases about one of these member records, or about a whole household of theirs."""
    return (selectors.case_qs_for(user)
            .filter(Q(subject__in=[m.pk for m in members])
                    | Q(subject__isnull=True, household__in=[m.request_id for m in members]))
            .order_by("created_at", "pk"))


def subject_access_find(*, user: User, search: SubjectSearch) -> SubjectMatch:
    """Who and what would be in the dossier — for the summary before the download. No case content."""
    _require(user)
    if not search.is_enough:
        raise ApplicationError(_("Vul een V-nummer of BSN in, of een achternaam met geboortedatum."),
                               code="search_incomplete")
    members = list(person_records(user=user, first_name=search.first_name, last_name=search.last_name,
                                  date_of_birth=search.date_of_birth, v_number=search.v_number, bsn=search.bsn))
    requests = list({m.request_id: m.request for m in members}.values())
    cases = list(subject_cases(user=user, members=members)) if members else []
    return SubjectMatch(members=members, requests=requests, cases=cases)


# --- rendering helpers --------------------------------------------------------------------------

def _d(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _dt(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _who(user: Any) -> str:
    return user.get_username() if user is not None else ""


def _member(m: HouseholdMember) -> dict[str, Any]:
    return {"first_name": m.first_name, "last_name": m.last_name, "date_of_birth": _d(m.date_of_birth),
            "sex": m.get_sex_display(), "nationality": m.nationality, "relation": m.get_relation_display(),
            "v_number": m.v_number, "bsn": m.bsn, "request": str(m.request.uuid)}


def _request(r: PlacementRequest) -> dict[str, Any]:
    placements = r.placements.select_related("location", "location__municipality").order_by("reserved_at", "pk")
    events = PlacementEvent.objects.filter(request=r).select_related("actor").order_by("at", "pk")
    return {
        "id": str(r.uuid), "region": r.region.name, "source": r.get_source_display(),
        "received_at": _dt(r.received_at), "status": r.get_status_display(), "urgency": r.get_urgency_display(),
        "expected_arrival": _dt(r.expected_arrival), "household_size": r.members.count(),
        "requested_by_organisation": r.requested_by_organisation, "external_reference": r.external_reference,
        "needs": {"wheelchair": r.needs_wheelchair, "reduced_mobility": r.reduced_mobility,
                  "care_need": r.care_need, "own_transport": r.own_transport,
                  "pets": f"{r.pets_count} {r.pets_kind}".strip() if r.pets_count else ""},
        "preferred_municipality": r.preferred_municipality.name if r.preferred_municipality else "",
        "preference_reason": r.get_preference_reason_display() if r.preference_reason else "",
        "notes": r.notes,
        "placements": [{
            "id": str(p.uuid), "location": p.location.name, "municipality": p.location.municipality.name,
            "status": p.get_status_display(), "persons": p.persons, "reserved_at": _dt(p.reserved_at),
            "confirmed_at": _dt(p.confirmed_at), "arrived_at": _dt(p.arrived_at), "departed_on": _d(p.departed_on),
            "departure_reason": p.get_departure_reason_display() if p.departure_reason else "",
            "departure_note": p.departure_note,
        } for p in placements],
        "events": [{"at": _dt(e.at), "kind": e.get_kind_display(), "from_status": e.from_status,
                    "to_status": e.to_status, "reason": e.reason, "by": _who(e.actor)} for e in events],
        "supra_regional_requests": [{
            "counterpart": s.counterpart, "status": s.get_status_display(), "created_at": _dt(s.created_at),
            "names_included": bool(s.names), "note": s.note,
        } for s in r.supra_regional_requests.order_by("created_at", "pk")],
    }


def _case(user: User, case: Case) -> dict[str, Any]:
    entries = selectors.entries_visible_to(user, case).order_by("occurred_at", "pk")
    referrals = selectors.referrals_of(user, case).order_by("sent_at", "pk")
    shares = CaseShare.objects.filter(case=case).select_related("user", "created_by").order_by("created_at", "pk")
    return {
        "number": case.number, "region": case.region.name, "category": case.category.name,
        "about": (f"{case.subject.first_name} {case.subject.last_name}" if case.subject
                  else _("Hele huishouden")),
        "status": case.get_status_display(), "urgency": case.get_urgency_display(), "summary": case.summary,
        "created_at": _dt(case.created_at), "owner": _who(case.owner), "follow_up_on": _d(case.follow_up_on),
        "closed_at": _dt(case.closed_at),
        "closed_reason": case.get_closed_reason_display() if case.closed_reason else "",
        "closed_note": case.closed_note,
        "entries": [{
            "kind": e.get_kind_display(), "occurred_at": _dt(e.occurred_at), "author": _who(e.author),
            "special_category": e.special_category, "pseudonymised_at": _dt(e.pseudonymised_at),
            "versions": [{"number": v.number, "text": v.text, "author": _who(v.author), "at": _dt(v.created_at)}
                         for v in e.versions.all()],
        } for e in entries],
        "referrals": [{
            "to": r.get_to_kind_display(), "to_whom": _who(r.to_user) or r.to_organisation,
            "status": r.get_status_display(), "sent_at": _dt(r.sent_at), "answered_at": _dt(r.answered_at),
            "completed_at": _dt(r.completed_at), "note": r.note, "rejection_reason": r.rejection_reason,
        } for r in referrals],
        "shares": [{
            "with": _who(s.user), "purpose": s.purpose, "until": _d(s.until), "include_special": s.include_special,
            "shared_at": _dt(s.created_at), "by": _who(s.created_by), "revoked_at": _dt(s.revoked_at),
        } for s in shares],
        "signal_shares": [{"at": _dt(s.created_at), "by": _who(s.created_by), "text": s.text}
                          for s in case.signal_shares.select_related("created_by").order_by("created_at", "pk")],
        "read_log": [{"at": _dt(a.at), "user": a.username, "part": a.get_part_display(),
                      "channel": a.get_channel_display(), "break_glass": a.break_glass, "reason": a.reason}
                     for a in selectors.case_reads(case).order_by("at", "pk")],
    }


# --- the dossier ----------------------------------------------------------------------------------

def subject_access_dossier(*, user: User, search: SubjectSearch, channel: str = AccessChannel.EXPORT,
                           now: dt.datetime | None = None) -> Dossier:
    """Log the export of every case included (fail closed), then put the dossier together."""
    if channel not in (AccessChannel.EXPORT, AccessChannel.PDF):
        raise ValueError(f"unknown channel {channel!r}")
    now = now or timezone.now()
    match = subject_access_find(user=user, search=search)
    if not match.members:
        raise ApplicationError(_("Niemand gevonden met deze gegevens in uw regio."), code="not_found")
    with transaction.atomic():  # all rows or none: a partial log would claim an export that did not happen
        for case in match.cases:
            outside = not selectors.in_caseload(user, case)
            services.case_log_read(user=user, case=case, part=AccessPart.SUBJECT_ACCESS, channel=channel,
                                   break_glass=outside, reason=SUBJECT_ACCESS_REASON if outside else "", now=now)
    logger.info("subject access export (%s) by user %s: %d record(s), %d request(s), %d case(s)",
                channel, user.pk, len(match.members), len(match.requests), len(match.cases))
    data = {
        "generated_at": _dt(now), "generated_by": user.get_username(),
        "regions": sorted({r.region.name for r in match.requests}),
        "persons": [_member(m) for m in match.members],
        "requests": [_request(r) for r in match.requests],
        "cases": [_case(user, c) for c in match.cases],
    }
    return Dossier(generated_at=now, match=match, data=data)


def dossier_as_json(dossier: Dossier) -> bytes:
    return json.dumps(dossier.data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def dossier_as_pdf(dossier: Dossier) -> bytes:
    """A4 PDF of the same content. Slow: outside transactions."""
    from weasyprint import HTML

    html = render_to_string("casework/subject_access_pdf.html", {"d": dossier.data})
    return HTML(string=html).write_pdf()
