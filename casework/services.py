"""Writes for casework. Keyword-only, typed, atomic: a service checks everything, refuses with a
Dutch ApplicationError (and a code) before writing anything, then writes.

Lock order (where a service locks): case → entry / referral / share, by pk.

Status changes of cases and referrals are recorded by simple-history with who and why
(`history_user`, `history_change_reason`); the why is always a fixed label, never free text, so
that nothing special-category reaches a history table. Free texts that may carry health data
(entry text, referral note and rejection reason, the close note) are excluded from history.

Special-category text never goes into an error message or a log line here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from locations.models import Region
from placements.models import (
    ACTIVE_PLACEMENT_STATUSES,
    HouseholdMember,
    Placement,
    PlacementRequest,
    TransferKind,
    TransferOrigin,
    Urgency,
)
from placements.services import transfer_request_cancel, transfer_request_create
from rcvs.accounts.models import Role
from rcvs.errors import ApplicationError, Conflict, NotFound, PermissionDenied

from . import selectors
from .models import (
    OPEN_CASE_STATUSES,
    AccessChannel,
    AccessPart,
    Case,
    CaseAccess,
    CaseCategory,
    CaseEntry,
    CaseEntryVersion,
    CaseShare,
    CaseStatus,
    CaseTransfer,
    ClosedReason,
    EntryKind,
    Referral,
    ReferralKind,
    ReferralStatus,
    SignalShare,
)

if TYPE_CHECKING:
    from rcvs.accounts.models import User

logger = logging.getLogger(__name__)

SUMMARY_MAX = 200
# The Dutch source of the refusal (for tests; the service translates it).
NO_LEGAL_BASIS_MESSAGE = (
    "Er is geen grondslag (mandaat Tw Oek art. 6/7) vastgelegd voor deze regio; "
    "bijzondere persoonsgegevens kunnen niet worden opgeslagen.")
# A break-glass reason covers further reads of the same case by the same user for this long.
BREAK_GLASS_REUSE = dt.timedelta(hours=1)


class ReadNotLogged(ApplicationError):
    """The read could not be recorded: the content must not be served (fail closed)."""

    status_code = 503


def _invalid(field: str, message: str, code: str = "invalid") -> ApplicationError:
    return ApplicationError(message, code=code, extra={"fields": {field: [message]}})


def _history(obj: Any, *, user: User | None, reason: str) -> None:
    """Who and why for the next history row of obj (a fixed label, never free text)."""
    obj._history_user = user if user is not None and user.is_authenticated else None
    obj._change_reason = reason


def _require_casework(user: User, region_id: int) -> None:
    """Writes are the work of coordinators and mental coaches of the case's region. A case of
    another region does not exist for them (404), as elsewhere."""
    if not selectors.can_casework(user):
        raise PermissionDenied(_("Alleen coördinatoren en mental coaches werken in casussen."),
                               code="not_casework")
    if not selectors.casework_regions(user).filter(pk=region_id).exists():
        raise NotFound(_("Deze casus bestaat niet."), code="not_found")


def _lock_case(case: Case) -> Case:
    try:
        return Case.objects.select_for_update(of=("self",), no_key=True).select_related("category").get(pk=case.pk)
    except Case.DoesNotExist as exc:
        raise NotFound(_("Deze casus bestaat niet."), code="not_found") from exc


def _require_open(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise Conflict(_("Deze casus is afgesloten; heropen hem eerst."), code="case_closed")


def _check_follow_up(follow_up_on: dt.date | None, *, today: dt.date) -> None:
    if follow_up_on is not None and follow_up_on < today:
        raise _invalid("follow_up_on", _("De opvolgdatum ligt in het verleden."), code="follow_up_in_past")


def _check_summary(summary: str) -> str:
    summary = (summary or "").strip()
    if not summary:
        raise _invalid("summary", _("Geef de casus een titel."))
    if len(summary) > SUMMARY_MAX:
        raise _invalid("summary", _("De titel is te lang (hoogstens 200 tekens)."))
    return summary


def _check_urgency(urgency: str) -> None:
    if urgency not in Urgency.values:
        raise _invalid("urgency", _("Kies een urgentie."))


def _check_category(category: CaseCategory | None) -> CaseCategory:
    if category is None or not category.active:
        raise _invalid("category", _("Kies een categorie."))
    return category


def _check_casework_users(users: Iterable[User], *, region_id: int, field: str) -> None:
    ids = {u.pk for u in users}
    allowed = set(selectors.casework_users_of(region_id).filter(pk__in=ids).values_list("pk", flat=True))
    if ids - allowed:
        raise _invalid(field, _("Kies coördinatoren of mental coaches van de regio van de casus."),
                       code="not_casework_user")


def _next_number(region: Region, *, year: int) -> str:
    """"2026-0042": per region and year. The region row is locked so that two cases opened at
    the same moment do not get the same number (the unique constraint would refuse the second).
    FOR NO KEY UPDATE: it serialises case numbering but does not block inserts elsewhere that
    merely reference the region (their foreign-key check takes FOR KEY SHARE)."""
    Region.objects.select_for_update(no_key=True).get(pk=region.pk)
    prefix = f"{year}-"
    numbers = Case.objects.filter(region=region, number__startswith=prefix).values_list("number", flat=True)
    highest = max((int(n.removeprefix(prefix)) for n in numbers if n.removeprefix(prefix).isdigit()), default=0)
    return f"{prefix}{highest + 1:04d}"


def _touch(case: Case, now: dt.datetime) -> None:
    # An update(), not save(): activity is not a change of the case worth a history row.
    Case.objects.filter(pk=case.pk).update(last_activity_at=now)


# --- cases --------------------------------------------------------------------------------------

@transaction.atomic
def case_create(*, user: User, household: PlacementRequest | None, category: CaseCategory | None, summary: str,
                subject: HouseholdMember | None = None, urgency: str = Urgency.NORMAL,
                follow_up_on: dt.date | None = None, owner: User | None = None,
                now: dt.datetime | None = None) -> Case:
    """Open a case about a resident (`subject`, a member of `household`) or the whole household."""
    now = now or timezone.now()
    if not selectors.can_casework(user):
        raise PermissionDenied(_("Alleen coördinatoren en mental coaches werken in casussen."),
                               code="not_casework")
    if household is None:
        raise _invalid("household", _("Kies het huishouden of de bewoner."))
    if not selectors.casework_regions(user).filter(pk=household.region_id).exists():
        raise NotFound(_("Dit huishouden bestaat niet."), code="not_found")
    if subject is not None and subject.request_id != household.pk:
        raise _invalid("subject", _("Deze bewoner hoort niet bij dit huishouden."), code="subject_not_in_household")
    summary = _check_summary(summary)
    _check_category(category)
    _check_urgency(urgency)
    _check_follow_up(follow_up_on, today=timezone.localdate(now))
    if owner is not None:
        _check_casework_users([owner], region_id=household.region_id, field="owner")
    region = Region.objects.get(pk=household.region_id)
    case = Case(region=region, number=_next_number(region, year=timezone.localdate(now).year), household=household,
                subject=subject, category=category, urgency=urgency, summary=summary, follow_up_on=follow_up_on,
                owner=owner, assigned_at=now if owner else None, created_by=user, last_activity_at=now)
    _history(case, user=user, reason=_("Casus geopend"))
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:  # a number taken meanwhile: the region lock should prevent it
        raise Conflict(_("Tegelijk gewijzigd, probeer het opnieuw"), code="concurrent_change") from exc
    return case


CASE_UPDATE_FIELDS = {"category", "urgency", "summary", "follow_up_on", "subject"}


@transaction.atomic
def case_update(*, user: User, case: Case, data: dict[str, Any], now: dt.datetime | None = None) -> Case:
    """Change category, urgency, title, follow-up date or subject (a member of the household, or
    None for the whole household)."""
    now = now or timezone.now()
    unknown = set(data) - CASE_UPDATE_FIELDS
    if unknown:
        raise ApplicationError(_("Onbekende velden: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
                               code="unknown_fields")
    _require_casework(user, case.region_id)
    case = _lock_case(case)
    _require_open(case)
    if "summary" in data:
        data["summary"] = _check_summary(data["summary"])
    if "category" in data:
        _check_category(data["category"])
    if "urgency" in data:
        _check_urgency(data["urgency"])
    if "follow_up_on" in data:
        _check_follow_up(data["follow_up_on"], today=timezone.localdate(now))
    if data.get("subject") is not None and data["subject"].request_id != case.household_id:
        raise _invalid("subject", _("Deze bewoner hoort niet bij dit huishouden."), code="subject_not_in_household")
    for name, value in data.items():
        setattr(case, name, value)
    case.last_activity_at = now
    _history(case, user=user, reason=_("Casus gewijzigd"))
    case.save()
    return case


@transaction.atomic
def case_assign(*, user: User, case: Case, owner: User | None, co_workers: Iterable[User] | None = None,
                now: dt.datetime | None = None) -> Case:
    """Set the owner (None: nobody) and, when given, the co-workers. All must be coordinators or
    mental coaches of the case's region."""
    now = now or timezone.now()
    _require_casework(user, case.region_id)
    case = _lock_case(case)
    if owner is not None:
        _check_casework_users([owner], region_id=case.region_id, field="owner")
    workers = list(co_workers) if co_workers is not None else None
    if workers:
        _check_casework_users(workers, region_id=case.region_id, field="co_workers")
    if (owner.pk if owner else None) != case.owner_id:
        case.owner = owner
        case.assigned_at = now
        case.last_activity_at = now
        _history(case, user=user, reason=_("Eigenaar gewijzigd") if owner else _("Eigenaar verwijderd"))
        case.save()
    if workers is not None:
        case.co_workers.set(workers)
    return case


def _set_status(case: Case, status: str, *, user: User, now: dt.datetime, reason: str) -> None:
    case.status = status
    case.last_activity_at = now
    _history(case, user=user, reason=reason)
    case.save()


@transaction.atomic
def case_set_status(*, user: User, case: Case, status: str, now: dt.datetime | None = None) -> Case:
    """Open, in behandeling or doorverwezen. Closing goes through case_close (it needs a reason)."""
    now = now or timezone.now()
    if status not in (CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.REFERRED):
        raise _invalid("status", _("Kies een status; afsluiten gaat met een reden."))
    _require_casework(user, case.region_id)
    case = _lock_case(case)
    _require_open(case)
    if case.status != status:
        _set_status(case, status, user=user, now=now,
                    reason=_("Status: %(status)s") % {"status": CaseStatus(status).label})
    return case


@transaction.atomic
def case_close(*, user: User, case: Case, reason: str, note: str = "", now: dt.datetime | None = None) -> Case:
    """Close with a reason (a ClosedReason code); the note is optional and not historised."""
    now = now or timezone.now()
    if reason not in ClosedReason.values:
        raise _invalid("reason", _("Kies een reden om de casus af te sluiten."), code="close_reason_required")
    _require_casework(user, case.region_id)
    case = _lock_case(case)
    _require_open(case)
    case.closed_reason, case.closed_note, case.closed_at = reason, note.strip(), now
    _set_status(case, CaseStatus.CLOSED, user=user, now=now,
                reason=_("Afgesloten: %(reason)s") % {"reason": ClosedReason(reason).label})
    return case


@transaction.atomic
def case_reopen(*, user: User, case: Case, now: dt.datetime | None = None) -> Case:
    now = now or timezone.now()
    _require_casework(user, case.region_id)
    case = _lock_case(case)
    if case.status != CaseStatus.CLOSED:
        raise Conflict(_("Deze casus is niet afgesloten."), code="invalid_transition")
    case.closed_reason, case.closed_note, case.closed_at = "", "", None
    _set_status(case, CaseStatus.IN_PROGRESS, user=user, now=now, reason=_("Heropend"))
    return case


# --- entries ------------------------------------------------------------------------------------

def _check_special_allowed(*, user: User, case: Case, on: dt.date) -> None:
    if not selectors.can_read_special(user):
        raise PermissionDenied(
            _("U mag geen bijzondere persoonsgegevens vastleggen. Maak een aantekening zonder "
              "bijzondere persoonsgegevens of vraag een collega met dat recht."), code="special_not_allowed")
    if selectors.legal_basis_for(case.region_id, on) is None:
        raise ApplicationError(
            _("Er is geen grondslag (mandaat Tw Oek art. 6/7) vastgelegd voor deze regio; "
              "bijzondere persoonsgegevens kunnen niet worden opgeslagen."), code="no_legal_basis")


@transaction.atomic
def entry_add(*, user: User, case: Case, kind: str, text: str, occurred_at: dt.datetime | None = None,
              special_category: bool | None = None, now: dt.datetime | None = None) -> CaseEntry:
    """Add an entry to the timeline. In a special category it is special unless the author says
    otherwise. Special ones need the right and a legal basis of the region valid today (the day
    it is stored); without, nothing is written."""
    now = now or timezone.now()
    occurred_at = occurred_at or now
    if kind not in EntryKind.values:
        raise _invalid("kind", _("Kies de soort aantekening."))
    text = (text or "").strip()
    if not text:
        raise _invalid("text", _("Schrijf de aantekening."))
    if occurred_at > now + dt.timedelta(minutes=5):
        raise _invalid("occurred_at", _("Het tijdstip ligt in de toekomst."))
    _require_casework(user, case.region_id)
    case = _lock_case(case)
    _require_open(case)
    special = case.category.special_category if special_category is None else bool(special_category)
    if special:
        _check_special_allowed(user=user, case=case, on=timezone.localdate(now))
    entry = CaseEntry.objects.create(
        case=case, kind=kind, special_category=special, author=user, occurred_at=occurred_at,
        locks_at=now + dt.timedelta(minutes=settings.CASEWORK_ENTRY_LOCK_MINUTES))
    CaseEntryVersion.objects.create(entry=entry, number=1, text=text, author=user)
    _touch(case, now)
    return entry


@transaction.atomic
def entry_edit(*, user: User, entry: CaseEntry, text: str, now: dt.datetime | None = None) -> CaseEntryVersion:
    """Before the entry locks, an edit rewrites its latest version; after, it appends a new
    version (shown as "gewijzigd (versie N)", earlier versions stay readable). Only the author
    edits; a special entry only with the right (and a legal basis, as when adding)."""
    now = now or timezone.now()
    text = (text or "").strip()
    if not text:
        raise _invalid("text", _("Schrijf de aantekening."))
    _require_casework(user, entry.case.region_id)
    case = _lock_case(entry.case)
    _require_open(case)
    entry = CaseEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.author_id != user.pk:
        raise PermissionDenied(_("Alleen de auteur kan deze aantekening wijzigen."), code="not_author")
    if entry.pseudonymised_at is not None:
        raise Conflict(_("Deze aantekening is gepseudonimiseerd en kan niet meer worden gewijzigd."),
                       code="pseudonymised")
    if entry.special_category:
        _check_special_allowed(user=user, case=case, on=timezone.localdate(now))
    latest = entry.versions.order_by("-number").first()
    if latest is not None and not entry.is_locked(now):
        latest.text, latest.author = text, user
        latest.save(update_fields=["text", "author", "updated_at"])
        version = latest
    else:
        number = (entry.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        try:
            with transaction.atomic():
                version = CaseEntryVersion.objects.create(entry=entry, number=number, text=text, author=user)
        except IntegrityError as exc:  # cannot happen under the entry lock; refuse cleanly if it does
            raise Conflict(_("Tegelijk gewijzigd, probeer het opnieuw"), code="concurrent_change") from exc
    _touch(case, now)
    return version


# --- referrals ----------------------------------------------------------------------------------

@transaction.atomic
def referral_create(*, user: User, case: Case, to_kind: str, to_user: User | None = None,
                    to_organisation: str = "", note: str = "", now: dt.datetime | None = None) -> Referral:
    """Refer to a mental coach of the team (by name) or to an organisation. The case becomes
    "doorverwezen" if it was open or in behandeling."""
    now = now or timezone.now()
    if to_kind not in ReferralKind.values:
        raise _invalid("to_kind", _("Kies naar wie de verwijzing gaat."), code="no_recipient")
    to_organisation = (to_organisation or "").strip()
    _require_casework(user, case.region_id)
    if to_kind == ReferralKind.MENTAL_COACH:
        if to_user is None:
            raise _invalid("to_user", _("Kies de mental coach naar wie de verwijzing gaat."), code="no_recipient")
        if not selectors.mental_coaches_of(case.region_id).filter(pk=to_user.pk).exists():
            raise _invalid("to_user", _("Kies een mental coach van de regio van de casus."), code="no_recipient")
        to_organisation = ""
    else:
        if not to_organisation:
            raise _invalid("to_organisation", _("Vul de organisatie in naar wie de verwijzing gaat."),
                           code="no_recipient")
        to_user = None
    case = _lock_case(case)
    _require_open(case)
    referral = Referral(case=case, to_kind=to_kind, to_user=to_user, to_organisation=to_organisation,
                        note=(note or "").strip(), created_by=user, sent_at=now)
    _history(referral, user=user, reason=_("Verwijzing verstuurd"))
    referral.save()
    if case.status in (CaseStatus.OPEN, CaseStatus.IN_PROGRESS):
        _set_status(case, CaseStatus.REFERRED, user=user, now=now, reason=_("Doorverwezen"))
    else:
        _touch(case, now)
    return referral


def _lock_referral(referral: Referral, *, user: User) -> tuple[Case, Referral]:
    """Who may answer: the mental coach it went to, or a coordinator/mental coach of the
    region recording an organisation's answer."""
    case = referral.case
    _require_casework(user, case.region_id)
    case = _lock_case(case)
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.to_kind == ReferralKind.MENTAL_COACH and referral.to_user_id != user.pk \
            and user.role == selectors.MENTAL_COACH:
        raise PermissionDenied(_("Deze verwijzing is aan een andere mental coach gericht."), code="not_recipient")
    return case, referral


def _referral_transition(referral: Referral, allowed: Iterable[str], what: str) -> None:
    if referral.status not in allowed:
        raise Conflict(_("%(what)s kan niet vanuit status '%(status)s'.")
                       % {"what": what, "status": referral.get_status_display()}, code="invalid_transition")


@transaction.atomic
def referral_accept(*, user: User, referral: Referral, now: dt.datetime | None = None) -> Referral:
    now = now or timezone.now()
    case, referral = _lock_referral(referral, user=user)
    _referral_transition(referral, [ReferralStatus.SENT], _("Accepteren"))
    referral.status, referral.answered_at = ReferralStatus.ACCEPTED, now
    _history(referral, user=user, reason=_("Verwijzing geaccepteerd"))
    referral.save()
    _touch(case, now)
    return referral


@transaction.atomic
def referral_reject(*, user: User, referral: Referral, reason: str, now: dt.datetime | None = None) -> Referral:
    """The reason is stored on the referral (not in its history: it may say something about health)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("Geef een reden voor de afwijzing."), code="rejection_reason_required")
    case, referral = _lock_referral(referral, user=user)
    _referral_transition(referral, [ReferralStatus.SENT], _("Afwijzen"))
    referral.status, referral.answered_at, referral.rejection_reason = ReferralStatus.REJECTED, now, reason
    _history(referral, user=user, reason=_("Verwijzing afgewezen"))
    referral.save()
    _touch(case, now)
    return referral


def referral_answer(*, user: User, referral: Referral, accept: bool, reason: str = "",
                    now: dt.datetime | None = None) -> Referral:
    """Accept, or reject with a reason (the design's name for both)."""
    if accept:
        return referral_accept(user=user, referral=referral, now=now)
    return referral_reject(user=user, referral=referral, reason=reason, now=now)


@transaction.atomic
def referral_complete(*, user: User, referral: Referral, now: dt.datetime | None = None) -> Referral:
    now = now or timezone.now()
    case, referral = _lock_referral(referral, user=user)
    _referral_transition(referral, [ReferralStatus.ACCEPTED], _("Afronden"))
    referral.status, referral.completed_at = ReferralStatus.COMPLETED, now
    _history(referral, user=user, reason=_("Verwijzing afgerond"))
    referral.save()
    _touch(case, now)
    return referral


# --- shares with a municipality ---------------------------------------------------------------------

@transaction.atomic
def share_create(*, user: User, case: Case, to_user: User | None, purpose: str, until: dt.date | None,
                 include_special: bool = False, now: dt.datetime | None = None) -> CaseShare:
    """Share a case with a gemeente user of the municipality where the household stays now,
    for a purpose, until a date at most CASEWORK_SHARE_MAX_DAYS ahead. Special-category entries
    only when asked for, and only by someone who may read them."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    purpose = (purpose or "").strip()
    if not purpose:
        raise _invalid("purpose", _("Geef het doel van het delen."), code="purpose_required")
    if until is None:
        raise _invalid("until", _("Geef aan tot wanneer de casus gedeeld wordt."), code="until_required")
    max_days = settings.CASEWORK_SHARE_MAX_DAYS
    if until < today:
        raise _invalid("until", _("De einddatum ligt in het verleden."), code="until_invalid")
    if until > today + dt.timedelta(days=max_days):
        raise _invalid("until", _("Delen kan hoogstens %(days)s dagen.") % {"days": max_days}, code="until_invalid")
    _require_casework(user, case.region_id)
    if include_special and not selectors.can_read_special(user):
        raise PermissionDenied(_("U mag geen bijzondere persoonsgegevens delen."), code="special_not_allowed")
    located = selectors.with_current_location(Case.objects.filter(pk=case.pk)).values(
        "current_municipality_id").first()
    municipality_id = located and located["current_municipality_id"]
    if municipality_id is None:
        raise Conflict(_("Dit huishouden heeft nu geen plaatsing; delen met een gemeente kan niet."),
                       code="no_municipality")
    if to_user is None or not (to_user.is_active and to_user.role == Role.GEMEENTE
            and to_user.municipalities.filter(pk=municipality_id).exists()):
        raise _invalid("to_user", _("Kies een gebruiker van de gemeente waar het huishouden nu verblijft."),
                       code="not_municipality_user")
    case = _lock_case(case)
    share = CaseShare(case=case, user=to_user, purpose=purpose, until=until, include_special=include_special,
                      created_by=user)
    _history(share, user=user, reason=_("Gedeeld"))
    share.save()
    _touch(case, now)
    return share


@transaction.atomic
def share_revoke(*, user: User, share: CaseShare, now: dt.datetime | None = None) -> CaseShare:
    now = now or timezone.now()
    _require_casework(user, share.case.region_id)
    share = CaseShare.objects.select_for_update().get(pk=share.pk)
    if share.revoked_at is not None:
        return share
    share.revoked_at, share.revoked_by = now, user
    _history(share, user=user, reason=_("Delen ingetrokken"))
    share.save()
    return share


case_share_create = share_create  # the design's names
case_share_revoke = share_revoke


# --- the read log -------------------------------------------------------------------------------

def case_log_read(*, user: User, case: Case, part: str, channel: str, break_glass: bool = False,
                  reason: str = "", now: dt.datetime | None = None) -> CaseAccess:
    """Record a read of case content BEFORE it is rendered. If the row cannot be written this
    raises ReadNotLogged and the caller must not serve the content (fail closed)."""
    if part not in AccessPart.values or channel not in AccessChannel.values:
        raise ValueError(f"unknown read-log part/channel: {part!r}/{channel!r}")
    if break_glass and not reason.strip():
        raise ApplicationError(_("Geef een reden om deze casus buiten uw caseload in te zien."),
                               code="break_glass_required")
    try:
        with transaction.atomic():
            return CaseAccess.objects.create(
                at=now or timezone.now(), user_id=user.pk, username=user.get_username(), case_id=case.pk,
                case_uuid=case.uuid, region_id=case.region_id, part=part, channel=channel,
                break_glass=break_glass, reason=reason.strip())
    except DatabaseError as exc:
        logger.error("read log write failed for case %s (%s/%s): %s", case.pk, part, channel, type(exc).__name__)
        raise ReadNotLogged(_("Het inzien kon niet worden vastgelegd; de gegevens worden niet getoond."),
                            code="read_not_logged") from exc


def read_log_purge(*, before: dt.datetime) -> int:
    """Delete read-log rows older than `before` — the one way the database allows (the trigger
    of migration 0002 checks every row against this cutoff). For the retention job. The cutoff is
    cleared again at the end, so that later statements of an enclosing transaction are refused
    as usual."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('rcvs.retention_cutoff', %s, true)", [before.isoformat()])
        deleted, _by_model = CaseAccess.objects.filter(at__lt=before).delete()
        cursor.execute("SELECT set_config('rcvs.retention_cutoff', '', true)")
    return deleted


def break_glass_reusable(*, user: User, case: Case, now: dt.datetime) -> QuerySet[CaseAccess]:
    """The break-glass reads whose reason covers a further read or write of this case now: a
    reason the user wrote for it within BREAK_GLASS_REUSE. Not a subject-access export: that
    row carries a fixed reason nobody typed, and must not open the case for an hour."""
    return CaseAccess.objects.filter(user_id=user.pk, case_id=case.pk, break_glass=True,
                                     at__gte=now - BREAK_GLASS_REUSE).exclude(part=AccessPart.SUBJECT_ACCESS)


def case_open_for_read(*, user: User, case: Case, part: str, channel: str, reason: str = "",
                       now: dt.datetime | None = None) -> CaseAccess:
    """The gate before rendering case content: in scope (else 404); a coordinator or mental
    coach opening a case outside their own caseload must give a reason (break-glass, code
    "break_glass_required"); the read is logged (break_glass=True outside the caseload).
    A reason given for this case in the last hour covers further reads (logged again each time)."""
    now = now or timezone.now()
    if not selectors.case_qs_for(user, today=timezone.localdate(now)).filter(pk=case.pk).exists():
        raise NotFound(_("Deze casus bestaat niet."), code="not_found")
    if part == AccessPart.SPECIAL and not selectors.can_see_special_of(user, case):
        raise PermissionDenied(_("U mag de bijzondere persoonsgegevens van deze casus niet inzien."),
                               code="special_not_allowed")
    outside = selectors.can_casework(user) and not selectors.in_caseload(user, case)
    reason = (reason or "").strip()
    if outside and not reason:
        earlier = (break_glass_reusable(user=user, case=case, now=now)
                   .order_by("-at").values_list("reason", flat=True).first())
        if not earlier:
            raise PermissionDenied(
                _("Deze casus hoort niet bij uw caseload. Geef een reden om hem toch in te zien; "
                  "dat wordt vastgelegd en de eigenaar ziet het."), code="break_glass_required")
        reason = earlier
    return case_log_read(user=user, case=case, part=part, channel=channel, break_glass=outside,
                         reason=reason if outside else "", now=now)


def case_log_reads(*, user: User, cases: Iterable[Case], part: str, channel: str,
                   now: dt.datetime | None = None) -> list[CaseAccess]:
    """Record in ONE statement that a list showed these cases' header fields (API list and
    search: one row per case shown, part "case", never break-glass — a list is not an opening of
    the case). Fail closed like case_log_read: ReadNotLogged, and the list is not served.
    (Added by cw-api.)"""
    if part not in AccessPart.values or channel not in AccessChannel.values:
        raise ValueError(f"unknown read-log part/channel: {part!r}/{channel!r}")
    at = now or timezone.now()
    rows = [CaseAccess(at=at, user_id=user.pk, username=user.get_username(), case_id=case.pk, case_uuid=case.uuid,
                       region_id=case.region_id, part=part, channel=channel) for case in cases]
    if not rows:
        return []
    try:
        with transaction.atomic():
            return CaseAccess.objects.bulk_create(rows)
    except DatabaseError as exc:
        logger.error("read log write failed for %d listed cases (%s/%s): %s", len(rows), part, channel,
                     type(exc).__name__)
        raise ReadNotLogged(_("Het inzien kon niet worden vastgelegd; de gegevens worden niet getoond."),
                            code="read_not_logged") from exc

# --- SIGNAL share -------------------------------------------------------------------------------

@transaction.atomic
def signal_share_create(*, user: User, case: Case, text: str, now: dt.datetime | None = None) -> SignalShare:
    """Record the anonymised summary the user reviewed and copied (the anonymiser that drafts it
    lives with the SIGNAL pages). The record is the log of the share."""
    text = (text or "").strip()
    if not text:
        raise _invalid("text", _("De samenvatting is leeg."))
    _require_casework(user, case.region_id)
    share = SignalShare.objects.create(case=case, text=text, created_by=user, created_at=now or timezone.now())
    return share


# --- transfer requests ----------------------------------------------------------------------------
#
# From a case a coordinator or mental coach asks the belteam to transfer or swap the household.
# The placements TransferRequest carries only a reason category, never case content; the link
# to the case is CaseTransfer, on this side. Lock order: the case first (as every casework
# write), then placements' own order (request → rooms → placement → transfer request).

# The reason the belteam sees for a case in a special category (health, trauma, substance use,
# care): the category itself would tell them something about a resident's health (AVG art. 9),
# which the belteam may never see. Other categories ("overlast", "schoolverzuim") are shown.
CONFIDENTIAL_REASON = "vertrouwelijk"


def transfer_reason_for(case: Case) -> str:
    """The one word the belteam sees as the reason: the category code, or "vertrouwelijk"."""
    return CONFIDENTIAL_REASON if case.category.special_category else case.category.code


def _active_placement_of(case: Case) -> Placement | None:
    return Placement.objects.filter(request_id=case.household_id, status__in=ACTIVE_PLACEMENT_STATUSES).first()


def _require_caseload(user: User, case: Case) -> None:
    if not selectors.in_caseload(user, case):
        raise PermissionDenied(_("Alleen de eigenaar en medewerkers van de casus vragen een overplaatsing aan."),
                               code="not_in_caseload")


@transaction.atomic
def case_request_transfer(*, user: User, case: Case, kind: str, now: dt.datetime | None = None) -> CaseTransfer:
    """Ask the belteam to transfer (kind "transfer") or swap ("swap") the household of the case.
    Only a coordinator or mental coach of the case's own caseload, on an open case whose
    household is placed (confirmed or arrived); one open request per placement."""
    now = now or timezone.now()
    if kind not in TransferKind.values:
        raise _invalid("kind", _("Kies overplaatsing of ruil."))
    _require_casework(user, case.region_id)
    case = _lock_case(case)
    _require_open(case)
    _require_caseload(user, case)
    placement = _active_placement_of(case)
    if placement is None:
        raise Conflict(_("Dit huishouden heeft nu geen plaatsing; een overplaatsing aanvragen kan niet."),
                       code="no_placement")
    transfer_request = transfer_request_create(user=user, placement=placement, kind=kind,
                                               reason_category=transfer_reason_for(case),
                                               origin=TransferOrigin.CASE, now=now)
    link = CaseTransfer.objects.create(case=case, transfer_request=transfer_request, created_at=now)
    _touch(case, now)
    return link


@transaction.atomic
def case_cancel_transfer(*, user: User, case_transfer: CaseTransfer, now: dt.datetime | None = None) -> CaseTransfer:
    """Withdraw an open request asked from the case (its caseload only)."""
    now = now or timezone.now()
    case = case_transfer.case
    _require_casework(user, case.region_id)
    case = _lock_case(case)
    _require_caseload(user, case)
    transfer_request_cancel(user=user, transfer_request=case_transfer.transfer_request, now=now)
    _touch(case, now)
    case_transfer.transfer_request.refresh_from_db()
    return case_transfer


__all__ = [
    "NO_LEGAL_BASIS_MESSAGE", "OPEN_CASE_STATUSES", "ReadNotLogged", "case_assign", "case_close", "case_create",
    "case_log_read", "case_log_reads", "case_open_for_read", "case_reopen", "case_set_status", "case_share_create",
    "case_share_revoke", "case_update", "entry_add", "entry_edit", "referral_accept", "referral_answer",
    "read_log_purge", "referral_complete", "referral_create", "referral_reject", "share_create", "share_revoke",
    "signal_share_create", "case_request_transfer", "case_cancel_transfer", "transfer_reason_for",
]
