"""Who may do what in reporting: one place, used by every page, API view, export and admin.

What an object belongs to (its region, its municipality) is scoped by the functions of
locations/selectors.py (`region_qs_for`, `municipality_qs_for`); these functions only say which
*roles* may use a capability at all. A view checks both: the role here, the object's scope there
(out of scope is a 404, a role without the capability a 403).

- RCVS staff (coordinator, beheerder; a superuser): exports and their delivery, occupancy-mail
  contacts, targets and their split, cost entries and declarations, the board's decision list.
- Bestuur: reports only — trends, targets, costs in aggregate, the board reports. Never a person,
  never case content.
- Gemeente: the figures of its own municipalities (trends, targets, compensation, its share of
  the non-declarable costs), and its own occupancy-mail contacts.
- Belteam and mental coach: none of reporting (their work is placements and casework).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

from rcvs.accounts.models import Role

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from locations.models import Region
    from rcvs.accounts.models import User

STAFF_ROLES = frozenset({Role.COORDINATOR, Role.BEHEERDER})
REPORT_READER_ROLES = STAFF_ROLES | {Role.BESTUUR}


def _active(user: User) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_reporting_staff(user: User) -> bool:
    """Coordinators and beheerders (and a superuser): run exports, keep costs and targets."""
    return _active(user) and (user.is_superuser or user.role in STAFF_ROLES)


def can_read_reports(user: User) -> bool:
    """Region-wide figures (trends, targets, costs in aggregate, board reports): staff and bestuur."""
    return _active(user) and (user.is_superuser or user.role in REPORT_READER_ROLES)


def can_read_municipal_figures(user: User) -> bool:
    """Figures per municipality: the report readers, and a gemeente for its own municipalities
    (narrow the rows with locations.selectors.municipality_qs_for)."""
    return can_read_reports(user) or (_active(user) and user.is_gemeente)


def can_manage_exports(user: User) -> bool:
    return is_reporting_staff(user)


def can_manage_costs(user: User) -> bool:
    return is_reporting_staff(user)


def can_manage_targets(user: User) -> bool:
    return is_reporting_staff(user)


def can_manage_board_items(user: User) -> bool:
    return is_reporting_staff(user)


def can_manage_mail_contacts(user: User) -> bool:
    """Staff for every municipality of their regions; a gemeente for its own municipalities."""
    return is_reporting_staff(user) or (_active(user) and user.is_gemeente)


# --- which region a reporting page shows --------------------------------------------------------

def report_regions_for(user: User) -> QuerySet[Region]:
    """The regions whose figures this user may open: a gemeente user those of its own
    municipalities, everyone else the regions of locations.selectors.region_qs_for."""
    from locations.models import Region
    from locations.selectors import municipality_qs_for, region_qs_for

    if user.is_gemeente and not user.is_superuser:
        return Region.objects.filter(pk__in=municipality_qs_for(user).values("region_id")).order_by("name")
    return region_qs_for(user).order_by("name")


def report_region(user: User, code: str | None) -> Region:
    """The region a page's `?regio=` names (the first of the user's when empty); 404 outside them."""
    from django.http import Http404
    from django.shortcuts import get_object_or_404

    regions = report_regions_for(user)
    region = get_object_or_404(regions, code=code) if code else regions.first()
    if region is None:
        raise Http404
    return region


def require(check: Callable[[User], bool], user: User) -> None:
    """403 unless the role rule `check` allows the user."""
    if not check(user):
        raise PermissionDenied
