"""Find anyone: households (open, placed or departed) by name, date of birth or V-number.

Scoped in the query, like every other read: the placing roles search the requests of their
regions; a gemeente user only the households placed in its own municipalities' locations (never
the queue). The terms come from a POST body only, so that no name or date of birth ever lands
in a URL, a log line or a browser history.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from .models import (
    ACTIVE_PLACEMENT_STATUSES,
    OPEN_REQUEST_STATUSES,
    HouseholdMember,
    Placement,
    PlacementRequest,
    PlacementStatus,
)
from .selectors import can_place, placement_qs_for, request_qs_for

if TYPE_CHECKING:
    from rcvs.accounts.models import User

SEARCH_LIMIT = 25
MIN_NAME_LENGTH = 2
# Placements a household can be found by: holding beds now, or left (a released reservation never
# lived anywhere).
FOUND_PLACEMENT_STATUSES = (*ACTIVE_PLACEMENT_STATUSES, PlacementStatus.DEPARTED)

_DATE = re.compile(r"([0-9]{1,2})[-./ ]([0-9]{1,2})[-./ ]([0-9]{4})")
_V_NUMBER = re.compile(r"[0-9]{10}")


def can_search(user: User) -> bool:
    return user.is_authenticated and (can_place(user) or user.is_gemeente)


def parse_date_of_birth(raw: str) -> dt.date:
    """dd-mm-jjjj whatever the browser's locale (also with / . or a space); ASCII digits only."""
    match = _DATE.fullmatch(raw.strip())
    if not match:
        raise forms.ValidationError(_("Typ de geboortedatum als dd-mm-jjjj, bijvoorbeeld 14-03-1991."),
                                    code="invalid")
    day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise forms.ValidationError(_("Deze datum bestaat niet."), code="invalid") from None


def normalise_name(raw: str) -> list[str]:
    """The typed name as terms: surrounding and repeated spaces dropped, case folded."""
    return raw.casefold().split()


class SearchForm(forms.Form):
    name = forms.CharField(label=_("Naam"), required=False, max_length=80,
                           help_text=_("Voornaam, achternaam of een deel ervan."),
                           widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off",
                                                         "spellcheck": "false", "type": "search"}))
    date_of_birth = forms.CharField(label=_("Geboortedatum"), required=False, max_length=12,
                                    help_text=_("dd-mm-jjjj"),
                                    widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                                                  "placeholder": "dd-mm-jjjj"}))
    v_number = forms.CharField(label=_("V-nummer"), required=False, max_length=16,
                               help_text=_("10 cijfers"),
                               widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def clean_name(self) -> list[str]:
        terms = normalise_name(self.cleaned_data["name"])
        if terms and len("".join(terms)) < MIN_NAME_LENGTH:
            raise forms.ValidationError(_("Typ minstens twee letters van de naam."), code="too_short")
        return terms

    def clean_date_of_birth(self) -> dt.date | None:
        raw = self.cleaned_data["date_of_birth"].strip()
        return parse_date_of_birth(raw) if raw else None

    def clean_v_number(self) -> str:
        raw = re.sub(r"[\s.\-]", "", self.cleaned_data["v_number"])
        if raw and not _V_NUMBER.fullmatch(raw):
            raise forms.ValidationError(_("Een V-nummer heeft 10 cijfers."), code="invalid")
        return raw

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not (data.get("name") or data.get("date_of_birth") or data.get("v_number")):
            raise forms.ValidationError(_("Vul een naam, een geboortedatum of een V-nummer in."), code="empty")
        return data


@dataclass
class SearchResult:
    rows: list[PlacementRequest] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.rows))


def member_match(*, name_terms: list[str], date_of_birth: dt.date | None, v_number: str) -> Q:
    """Every given criterion must hold for one and the same member; each name term may be in the
    first or the last name ("kovalenko iryna" finds Iryna Kovalenko)."""
    match = Q()
    for term in name_terms:
        match &= Q(first_name__icontains=term) | Q(last_name__icontains=term)
    if date_of_birth is not None:
        match &= Q(date_of_birth=date_of_birth)
    if v_number:
        match &= Q(v_number=v_number)
    return match


def household_search(*, user: User, name_terms: list[str], date_of_birth: dt.date | None = None,
                     v_number: str = "", limit: int = SEARCH_LIMIT) -> SearchResult:
    """Households with a member matching all criteria, newest request first, at most `limit`,
    with the total. Four queries whatever the data: the count, the rows, the members and the
    placements (each request carries `.found_members` and `.found_placements`, the
    latter only placements the user may see, newest first)."""
    match = member_match(name_terms=name_terms, date_of_birth=date_of_birth, v_number=v_number)
    if not match:
        return SearchResult()
    visible_placements = placement_qs_for(user).filter(status__in=FOUND_PLACEMENT_STATUSES)
    matching_members = HouseholdMember.objects.filter(match, request=OuterRef("pk"))
    placed_here = visible_placements.filter(request=OuterRef("pk"))
    if can_place(user):
        base = request_qs_for(user).filter(Q(status__in=OPEN_REQUEST_STATUSES) | Exists(placed_here))
    elif user.is_authenticated and user.is_gemeente:
        # Only its own residents: a household placed (or once placed) in one of its locations.
        base = PlacementRequest.objects.filter(Exists(placed_here))
    else:
        return SearchResult()
    qs = base.filter(Exists(matching_members))
    total = qs.count()
    if not total:
        return SearchResult()
    active_first = visible_placements.select_related("location", "location__municipality").order_by(
        "-reserved_at", "-pk")
    rows = list(qs.order_by("-received_at", "-pk").prefetch_related(
        Prefetch("members", queryset=HouseholdMember.objects.order_by("position", "pk"), to_attr="all_members"),
        Prefetch("placements", queryset=active_first, to_attr="found_placements"),
    )[:limit])
    for row in rows:
        row.found_members = [m for m in row.all_members if _member_matches(m, name_terms, date_of_birth, v_number)]
        row.current_placement = _current(row.found_placements)
    return SearchResult(rows=rows, total=total)


def _member_matches(member: HouseholdMember, name_terms: list[str], date_of_birth: dt.date | None,
                    v_number: str) -> bool:
    names = f"{member.first_name} {member.last_name}".casefold()
    return (all(term in names for term in name_terms)
            and (date_of_birth is None or member.date_of_birth == date_of_birth)
            and (not v_number or member.v_number == v_number))


def _current(placements: list[Placement]) -> Placement | None:
    """The placement holding beds, else the one left last (placements come newest first)."""
    return next((p for p in placements if p.is_active), placements[0] if placements else None)

