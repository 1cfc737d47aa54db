"""A municipality's compensation from the normbedrag (issue 8, point 7).

place-days = the sum over the period's days of the municipality's realised beds in that day's
snapshot; amount = Σ (that day's realised beds × that day's normbedrag), reporting.money.compensation.
Only days with a snapshot count. A day without one is listed as missing — its beds are not
guessed from the day before (a snapshot cannot be made afterwards, reporting/snapshots.py) — and
a day without a normbedrag is listed too and paid nothing until a rate is entered for it; both
make the report incomplete (`.complete` is False), and the page says so.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from locations.models import Municipality, Region
from rcvs.errors import ApplicationError

from .money import RatePeriod, compensation, norm_rate_periods


@dataclass(frozen=True)
class RateUse:
    """One normbedrag period as used for one municipality: the days of the period that had a
    snapshot, the place-days in them and what they earned."""

    valid_from: dt.date
    valid_until: dt.date | None
    rate: Decimal
    days: int
    place_days: int
    amount: Decimal


@dataclass(frozen=True)
class CompensationRow:
    municipality_name: str
    cbs_code: str
    place_days: int
    amount: Decimal
    rate_periods: list[RateUse] = field(default_factory=list)


@dataclass(frozen=True)
class CompensationReport:
    region: Region
    start: dt.date
    end: dt.date
    rows: list[CompensationRow]
    total: CompensationRow
    missing_days: list[dt.date]  # days of the period without a snapshot
    unrated_days: list[dt.date]  # days with a snapshot but without a normbedrag
    snapshot_days: int

    @property
    def complete(self) -> bool:
        return not self.missing_days and not self.unrated_days

    @property
    def messages(self) -> list[str]:
        """Dutch messages for what is missing (empty when complete)."""
        out = []
        if self.missing_days:
            out.append(ngettext(
                "Voor %(n)d dag in de periode is geen momentopname; die dag telt niet mee.",
                "Voor %(n)d dagen in de periode is geen momentopname; die dagen tellen niet mee.",
                len(self.missing_days)) % {"n": len(self.missing_days)})
        if self.unrated_days:
            out.append(ngettext(
                "Voor %(n)d dag is geen normbedrag vastgesteld; die dag is nog niet vergoed.",
                "Voor %(n)d dagen is geen normbedrag vastgesteld; die dagen zijn nog niet vergoed.",
                len(self.unrated_days)) % {"n": len(self.unrated_days)})
        return out


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ApplicationError(_("De einddatum ligt vóór de begindatum."), code="period_reversed",
                               extra={"fields": {"end": [_("Ligt vóór de begindatum.")]}})
    limit = settings.COMPENSATION_MAX_DAYS
    if (end - start).days + 1 > limit:
        raise ApplicationError(_("Kies een periode van hoogstens %(n)d dagen.") % {"n": limit},
                               code="period_too_long", extra={"fields": {"end": [_("Periode te lang.")]}})


def _period_of(day: dt.date, periods: list[RatePeriod]) -> RatePeriod | None:
    matching = [p for p in periods if p.covers(day)]
    return matching[0] if len(matching) == 1 else None


def municipality_compensation(region: Region, *, start: dt.date, end: dt.date,
                              municipalities: Iterable[Municipality] | None = None) -> CompensationReport:
    """Compensation per municipality of `region` over [start, end] (both inclusive) from the
    region's daily snapshots. `municipalities` narrows the rows (a gemeente: its own); the total
    is that of the rows shown. Two queries for the snapshots and one for the rate table."""
    from .models import CapacitySnapshot, LocationSnapshot

    check_period(start, end)
    snapshot_days = set(CapacitySnapshot.objects.filter(region=region, as_of__range=(start, end))
                        .values_list("as_of", flat=True))
    missing_days = [day for day in _days(start, end) if day not in snapshot_days]

    places: dict[str, dict[dt.date, int]] = defaultdict(dict)
    names: dict[str, str] = {}
    for row in (LocationSnapshot.objects.filter(snapshot__region=region, snapshot__as_of__range=(start, end))
                .values("snapshot__as_of", "municipality_cbs_code", "municipality_name")
                .annotate(realised=Sum("realised")).order_by()):
        code, day = row["municipality_cbs_code"], row["snapshot__as_of"]
        places[code][day] = places[code].get(day, 0) + row["realised"]
        names.setdefault(code, row["municipality_name"])

    current = list(region.municipalities.order_by("cbs_code").values_list("cbs_code", "name"))
    names.update(dict(current))
    codes = [code for code, _name in current] + sorted(c for c in places if c not in dict(current))
    if municipalities is not None:
        allowed = {m.cbs_code for m in municipalities}
        codes = [code for code in codes if code in allowed]

    periods = norm_rate_periods()
    period_of = {day: _period_of(day, periods) for day in sorted(snapshot_days)}
    unrated_days = [day for day, period in period_of.items() if period is None]

    rows = []
    for code in codes:
        per_day = {day: places[code].get(day, 0) for day in snapshot_days}
        uses = []
        for period in periods:
            days = {day: n for day, n in per_day.items() if period_of[day] is period}
            if not days:
                continue
            uses.append(RateUse(valid_from=period.valid_from, valid_until=period.valid_until, rate=period.amount,
                                days=len(days), place_days=sum(days.values()),
                                amount=compensation(places_per_day=days, rates=[period])))
        rated = {day: n for day, n in per_day.items() if period_of[day] is not None}
        rows.append(CompensationRow(
            municipality_name=names[code], cbs_code=code, place_days=sum(rated.values()),
            amount=compensation(places_per_day=rated, rates=periods), rate_periods=uses))
    total = CompensationRow(municipality_name=_("Totaal"), cbs_code="",
                            place_days=sum(r.place_days for r in rows),
                            amount=sum((r.amount for r in rows), Decimal("0.00")))
    return CompensationReport(region=region, start=start, end=end, rows=rows, total=total,
                              missing_days=missing_days, unrated_days=unrated_days,
                              snapshot_days=len(snapshot_days))
