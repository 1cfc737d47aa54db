"""Reads for casework, and who may see what. THE scoping function is `case_qs_for`: every page,
API call and export fetches cases through it; a case outside it answers 404.

Need-to-know, not rank: superuser status grants nothing here. Coordinators and mental coaches
see the cases of their regions; special-category entries only with the right
(`can_read_special`); a gemeente user only cases shared with them (active share, and the
household still staying in one of their municipalities); belteam, bestuur and beheerder none.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from locations.models import Region
from placements.models import ACTIVE_PLACEMENT_STATUSES, HouseholdMember, Placement, PlacementStatus
from rcvs.accounts.models import Role

from .models import (
    OPEN_CASE_STATUSES,
    Case,
    CaseAccess,
    CaseEntry,
    CaseEntryVersion,
    CaseShare,
    CaseTransfer,
    LegalBasis,
    Referral,
    ReferralStatus,
)

if TYPE_CHECKING:
    from rcvs.accounts.models import User

MENTAL_COACH = str(Role.MENTAL_COACH)
CASEWORK_ROLES = (str(Role.COORDINATOR), MENTAL_COACH)


# --- rights -----------------------------------------------------------------------------------

def can_casework(user: User) -> bool:
    """Coordinators and mental coaches: full case access in their regions."""
    return bool(user.is_authenticated and user.is_active and user.role in CASEWORK_ROLES)


def can_read_special(user: User) -> bool:
    """Special-category data (health and the like): mental coaches, and coordinators given the right."""
    if not can_casework(user):
        return False
    return user.role == MENTAL_COACH or user.special_category_access


def casework_regions(user: User) -> QuerySet[Region]:
    """The user's own regions (not "all regions" for a superuser: need-to-know)."""
    if not can_casework(user):
        return Region.objects.none()
    return Region.objects.filter(users=user)


def casework_users_of(region: Region | int) -> QuerySet[User]:
    """Who may own or work on a case of the region."""
    from rcvs.accounts.models import User

    return User.objects.filter(is_active=True, role__in=CASEWORK_ROLES, regions=region).order_by("username")


def mental_coaches_of(region: Region | int) -> QuerySet[User]:
    from rcvs.accounts.models import User

    return User.objects.filter(is_active=True, role=MENTAL_COACH, regions=region).order_by("username")


# --- location and municipality: follow the household's active placement -----------------------

def with_current_location(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate `current_location_id/_name` and `current_municipality_id/_name` from the
    household's active placement (one per household, by a unique index), in the same query.
    After a transfer they name the new location; with no active placement they are None."""
    active = Placement.objects.filter(request=OuterRef("household_id"), status__in=ACTIVE_PLACEMENT_STATUSES)
    return qs.annotate(
        current_location_id=Subquery(active.values("location_id")[:1]),
        current_location_name=Subquery(active.values("location__name")[:1]),
        current_municipality_id=Subquery(active.values("location__municipality_id")[:1]),
        current_municipality_name=Subquery(active.values("location__municipality__name")[:1]),
    )


def _active_shares(user: User, today: dt.date) -> QuerySet[CaseShare]:
    return CaseShare.objects.filter(user=user, revoked_at__isnull=True, until__gte=today)


def _shared_case_ids(user: User, today: dt.date) -> QuerySet[CaseShare]:
    """Cases shared with this gemeente user, while the household stays in one of their
    municipalities: a transfer elsewhere ends what the share allows."""
    staying = Placement.objects.filter(
        request=OuterRef("case__household_id"), status__in=ACTIVE_PLACEMENT_STATUSES,
        location__municipality__in=user.municipalities.all())
    return _active_shares(user, today).filter(Exists(staying)).values("case_id")


def case_qs_for(user: User, *, today: dt.date | None = None) -> QuerySet[Case]:
    """THE scoping function for cases (see the module docstring). Annotated with the current
    location and municipality; the usual joins done."""
    if not (user.is_authenticated and user.is_active):
        return Case.objects.none()
    today = today or timezone.localdate()
    base = Case.objects.select_related("region", "category", "owner", "subject", "household")
    if can_casework(user):
        qs = base.filter(region__in=casework_regions(user))
    elif user.role == Role.GEMEENTE:
        qs = base.filter(pk__in=_shared_case_ids(user, today))
    else:
        return Case.objects.none()
    return with_current_location(qs)


def share_for(user: User, case: Case, *, today: dt.date | None = None) -> CaseShare | None:
    """The active share through which a gemeente user sees this case (None for others)."""
    if not user.is_authenticated or user.role != Role.GEMEENTE:
        return None
    return _active_shares(user, today or timezone.localdate()).filter(case=case).order_by("-until").first()


def in_caseload(user: User, case: Case) -> bool:
    """Own caseload: owner, co-worker, or the mental coach a referral of the case went to (and
    who did not turn it down).
    Opening a case of the region outside it is break-glass (a written reason, logged)."""
    if not user.is_authenticated:
        return False
    if case.owner_id == user.pk:
        return True
    return (case.co_workers.filter(pk=user.pk).exists()
            or Referral.objects.filter(case=case, to_user=user).exclude(status=ReferralStatus.REJECTED).exists())


def can_see_special_of(user: User, case: Case, *, today: dt.date | None = None) -> bool:
    if can_read_special(user):
        return case_qs_for(user).filter(pk=case.pk).exists()
    share = share_for(user, case, today=today)
    return share is not None and share.include_special


def entries_visible_to(user: User, case: Case, *, today: dt.date | None = None) -> QuerySet[CaseEntry]:
    """The timeline as this user may see it: special-category entries only with the right, or
    through a share that includes them. Versions prefetched (oldest first)."""
    if not case_qs_for(user, today=today).filter(pk=case.pk).exists():
        return CaseEntry.objects.none()
    qs = (CaseEntry.objects.filter(case=case).select_related("author")
          .prefetch_related(Prefetch("versions", queryset=CaseEntryVersion.objects.select_related("author")
                                     .order_by("number"))))
    if not can_see_special_of(user, case, today=today):
        qs = qs.filter(special_category=False)
    return qs.order_by("-occurred_at", "-pk")


# Referrals that by their recipient alone say something about health.
HEALTH_REFERRAL_KINDS = (MENTAL_COACH, "huisarts_ggz")


def referrals_of(user: User, case: Case) -> QuerySet[Referral]:
    """The case's referrals for this user. Whoever may not see the case's special-category data
    (a gemeente user whose share leaves it out) does not see referrals to a mental coach or
    huisarts/GGZ either. Views show `note` and `rejection_reason` only when
    `can_see_special_of(user, case)`: they may carry health information."""
    if not case_qs_for(user).filter(pk=case.pk).exists():
        return Referral.objects.none()
    qs = Referral.objects.filter(case=case).select_related("to_user", "created_by").order_by("-sent_at", "-pk")
    if not can_casework(user) and not can_see_special_of(user, case):
        qs = qs.exclude(to_kind__in=HEALTH_REFERRAL_KINDS)
    return qs


def case_get(*, user: User, uuid: Any) -> Case:
    """One case in the user's scope, by its uuid; NotFound (404) otherwise — also for a malformed uuid."""
    from django.core.exceptions import ValidationError

    from rcvs.errors import NotFound

    try:
        return case_qs_for(user).get(uuid=uuid)
    except (Case.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(_("Deze casus bestaat niet."), code="not_found") from exc


def can_see_read_log(user: User, case: Case) -> bool:
    """"Wie heeft dit ingezien" is for the coordinators and mental coaches of the case's region."""
    return can_casework(user) and casework_regions(user).filter(pk=case.region_id).exists()


def case_reads(case: Case) -> QuerySet[CaseAccess]:
    """"Wie heeft dit ingezien": the read log of one case, newest first."""
    return CaseAccess.objects.filter(case_id=case.pk).order_by("-at", "-pk")


def break_glass_reads_for(user: User, *, since: dt.datetime) -> QuerySet[CaseAccess]:
    """Break-glass reads of the cases this user owns, for their dashboard."""
    owned = Case.objects.filter(owner=user).values("pk")
    return CaseAccess.objects.filter(break_glass=True, case_id__in=owned, at__gte=since).order_by("-at", "-pk")


# --- lists, dashboard, search -----------------------------------------------------------------

@dataclass
class CaseFilters:
    category: str = ""  # a category code
    status: str = ""
    location_id: int | None = None
    municipality_id: int | None = None
    owner_id: int | None = None
    open_only: bool = False


def case_list(*, user: User, filters: CaseFilters | None = None) -> QuerySet[Case]:
    qs = case_qs_for(user)
    f = filters or CaseFilters()
    if f.category:
        qs = qs.filter(category__code=f.category)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.open_only:
        qs = qs.filter(status__in=OPEN_CASE_STATUSES)
    if f.location_id:
        qs = qs.filter(current_location_id=f.location_id)
    if f.municipality_id:
        qs = qs.filter(current_municipality_id=f.municipality_id)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    return qs.order_by("-last_activity_at", "-pk")


@dataclass
class Dashboard:
    my_cases: list[Case] = field(default_factory=list)
    follow_ups_due: list[Case] = field(default_factory=list)  # due today
    follow_ups_overdue: list[Case] = field(default_factory=list)
    unowned: list[Case] = field(default_factory=list)
    break_glass: list[CaseAccess] = field(default_factory=list)


def case_dashboard(*, user: User, now: dt.datetime) -> Dashboard:
    """My open cases (owner, co-worker, or a live referral to me); follow-ups due today and overdue (of my caseload); open cases without an
    owner for longer than CASEWORK_UNOWNED_HOURS; break-glass reads of my cases (30 days).
    A constant number of queries whatever the number of cases."""
    if not can_casework(user):
        return Dashboard()
    today = timezone.localdate(now)
    open_ = case_qs_for(user, today=today).filter(status__in=OPEN_CASE_STATUSES)
    # Own caseload, as in_caseload: owner, co-worker, or the mental coach a live referral went to.
    live_referrals = Referral.objects.filter(to_user=user, status__in=(ReferralStatus.SENT, ReferralStatus.ACCEPTED))
    mine = open_.filter(Q(owner=user) | Q(pk__in=Case.co_workers.through.objects.filter(user=user).values("case_id"))
                        | Q(pk__in=live_referrals.values("case_id")))
    hours = getattr(settings, "CASEWORK_UNOWNED_HOURS", 24)
    unowned = (open_.filter(owner__isnull=True)
               .annotate(unowned_since=Coalesce("assigned_at", "created_at"))
               .filter(unowned_since__lt=now - dt.timedelta(hours=hours)).order_by("unowned_since", "pk"))
    follow_ups = list(mine.filter(follow_up_on__isnull=False, follow_up_on__lte=today).order_by("follow_up_on", "pk"))
    return Dashboard(
        my_cases=list(mine.order_by("follow_up_on", "-last_activity_at", "pk")),
        follow_ups_due=[c for c in follow_ups if c.follow_up_on == today],
        follow_ups_overdue=[c for c in follow_ups if c.follow_up_on < today],
        unowned=list(unowned),
        break_glass=list(break_glass_reads_for(user, since=now - dt.timedelta(days=30))),
    )


@dataclass
class CaseSearch:
    """What a user types to find a resident's cases. Comes by POST (never in a URL)."""

    name: str = ""
    date_of_birth: dt.date | None = None
    v_number: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.name.strip() or self.date_of_birth or self.v_number.strip())


def _member_match(search: CaseSearch) -> Q:
    match = Q()
    if search.v_number.strip():
        match &= Q(v_number=search.v_number.strip())
    if search.date_of_birth:
        match &= Q(date_of_birth=search.date_of_birth)
    for token in search.name.split():
        match &= Q(first_name__icontains=token) | Q(last_name__icontains=token)
    return match


def case_search(*, user: User, search: CaseSearch) -> QuerySet[Case]:
    """Cases about a resident found by name, date of birth and/or V-number (all given parts
    must match): cases with that resident as subject, and cases about their whole household."""
    if search.is_empty:
        return Case.objects.none()
    members = HouseholdMember.objects.filter(_member_match(search))
    qs = case_qs_for(user).filter(
        Q(subject__in=members) | Q(subject__isnull=True, household__in=members.values("request_id")))
    return qs.order_by("-last_activity_at", "-pk")


def members_search(*, user: User, search: CaseSearch, limit: int = 25) -> QuerySet[HouseholdMember]:
    """Residents of the user's casework regions, to start a case for (POST search)."""
    if search.is_empty or not can_casework(user):
        return HouseholdMember.objects.none()
    return (HouseholdMember.objects.filter(_member_match(search), request__region__in=casework_regions(user))
            .select_related("request").order_by("last_name", "first_name", "pk")[:limit])


# --- legal basis ------------------------------------------------------------------------------

def legal_basis_for(region: Region | int, on: dt.date) -> LegalBasis | None:
    """The legal basis (mandate under art. 6 and 7 Tw Oek) valid in the region on that day."""
    region_id = region if isinstance(region, int) else region.pk
    return (LegalBasis.objects.filter(region_id=region_id, valid_from__lte=on)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on)).order_by("-valid_from", "-pk").first())


# --- aggregates for reports ---------------------------------------------------------------------

SMALL_NUMBER = 5
COUNT_DIMENSIONS = ("category", "month", "municipality", "location")


def small_count(n: int) -> str:
    """Counts under 5 are shown as "<5" so that nobody can be recognised in a report."""
    return "<5" if 0 < n < SMALL_NUMBER else str(n)


def _placement_at_case_start() -> QuerySet[Placement]:
    """The household's placement when the case was opened: the latest one reserved before it
    (a released reservation never housed anyone and does not count). Historical, so a report
    for a past period stays the same after later transfers."""
    return (Placement.objects.filter(request=OuterRef("household_id"), reserved_at__lte=OuterRef("created_at"))
            .exclude(status=PlacementStatus.RELEASED).order_by("-reserved_at", "-pk"))


def case_counts(*, region: Region | int, period_start: dt.date, period_end: dt.date,
                by: Iterable[str] = COUNT_DIMENSIONS) -> list[dict[str, Any]]:
    """Cases opened in [period_start, period_end) in the region, counted by the dimensions
    asked for (category, month, municipality, location — where the household stayed when the
    case was opened). Each row: the dimension values, `count` (int) and `display` ("<5" for
    1–4). For reporting: no access check here — the caller shows it to those who may see
    aggregates of the region."""
    by = tuple(by)
    unknown = set(by) - set(COUNT_DIMENSIONS)
    if unknown:
        raise ValueError(f"unknown dimensions: {sorted(unknown)}")
    region_id = region if isinstance(region, int) else region.pk
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period_start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period_end, dt.time.min, tzinfo=tz)
    at_start = _placement_at_case_start()
    rows = (Case.objects.filter(region_id=region_id, created_at__gte=start, created_at__lt=end)
            .annotate(location_name=Subquery(at_start.values("location__name")[:1]),
                      municipality_name=Subquery(at_start.values("location__municipality__name")[:1]))
            .values_list("category__name", "created_at", "municipality_name", "location_name"))
    counter: Counter[tuple[Any, ...]] = Counter()
    for category, created_at, municipality, location in rows:
        values = {"category": category, "month": timezone.localtime(created_at, tz).strftime("%Y-%m"),
                  "municipality": municipality or "", "location": location or ""}
        counter[tuple(values[d] for d in by)] += 1
    return [{**dict(zip(by, key, strict=True)), "count": n, "display": small_count(n)}
            for key, n in sorted(counter.items())]


# --- transfer requests asked from a case ------------------------------------------------------

def transfer_requests_of(case: Case) -> QuerySet[CaseTransfer]:
    """The transfers and swaps asked from this case, newest first, with their placements' state
    (the request, where the household was, where it went). For the case page: the caller has
    fetched the case through case_qs_for. Link the transfer page only for a viewer who may open
    the placement (placements.selectors.placement_qs_for)."""
    return (CaseTransfer.objects.filter(case=case)
            .select_related("transfer_request", "transfer_request__placement__location",
                            "transfer_request__result_placement__location", "transfer_request__requested_by",
                            "transfer_request__done_by")
            .order_by("-created_at", "-pk"))
