"""The verdeelsleutel: how many places a region must provide (DOMAIN.md, "Targets").

    Ov = 2000 + ((Iv/In + Gv/Gn) / 2) × (On − 50000)

On: the national number of places asked for; Iv, In: population of the region and of the
Netherlands; Gv, Gn: their land area (CBS figures of 1 January of the year before).

Arithmetic is exact (fractions.Fraction built from the int/Decimal inputs, so no binary floating
point and no Decimal context precision in between) and rounded ONCE, at the end, half up to a
whole place: a target is a number of beds, and 1234.5 becomes 1235. The split of a region's target
over its municipalities uses the same largest-remainder method as the cost split
(reporting.money.largest_remainder), so the municipal targets add up to the region's exactly.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Sum
from django.utils.translation import gettext as _

from locations.models import Municipality, Region
from rcvs.errors import ApplicationError

from .money import largest_remainder

BASE_PLACES = 2000
NATIONAL_OFFSET = 50000


def _exact(name: str, value: object) -> Fraction:
    if value is None:
        raise ApplicationError(_("Invoer ontbreekt voor de verdeelsleutel: %(name)s.") % {"name": name},
                               code="target_input_missing", extra={"fields": {name: [_("Verplicht.")]}})
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or (
            isinstance(value, Decimal) and not value.is_finite()):
        raise ApplicationError(_("%(name)s moet een geheel of decimaal getal zijn.") % {"name": name},
                               code="target_input_invalid", extra={"fields": {name: [_("Ongeldig getal.")]}})
    if value <= 0:
        raise ApplicationError(_("%(name)s moet groter dan nul zijn.") % {"name": name},
                               code="target_input_not_positive", extra={"fields": {name: [_("Moet positief zijn.")]}})
    return Fraction(value)


def round_half_up(x: Fraction) -> int:
    return int((x + Fraction(1, 2)).__floor__())


def target_places(*, On: int, Iv: int, In: int, Gv: Decimal | int, Gn: Decimal | int) -> int:  # noqa: N803 - the formula's names
    on, iv, in_, gv, gn = (_exact(n, v) for n, v in (("On", On), ("Iv", Iv), ("In", In), ("Gv", Gv), ("Gn", Gn)))
    if iv > in_:
        raise ApplicationError(_("Het inwonertal van de regio (Iv) kan niet groter zijn dan dat van Nederland (In)."),
                               code="target_region_population_too_large")
    if gv > gn:
        raise ApplicationError(_("De oppervlakte van de regio (Gv) kan niet groter zijn dan die van Nederland (Gn)."),
                               code="target_region_area_too_large")
    ov = BASE_PLACES + ((iv / in_ + gv / gn) / 2) * (on - NATIONAL_OFFSET)
    if ov < 0:
        raise ApplicationError(_("De verdeelsleutel geeft een negatief aantal plaatsen; controleer On."),
                               code="target_negative")
    return round_half_up(ov)


def split_places[K: Hashable](total: int, populations: Mapping[K, int]) -> dict[K, int]:
    """A region's target over its municipalities by population, in whole places adding up to
    `total` (largest remainder; ties to the smallest key)."""
    return largest_remainder(total, populations)


# --- from the database: the stored national inputs and the region's municipalities -------------

@dataclass(frozen=True)
class RegionTarget:
    """A region's target with the figures it was computed from, so it can be explained."""

    year: int
    places: int
    On: int  # noqa: N815 - the formula's names
    Iv: int  # noqa: N815
    In: int  # noqa: N815
    Gv: Decimal  # noqa: N815
    Gn: Decimal  # noqa: N815


def _municipalities(region: Region, year: int) -> list[Municipality]:
    """The region's municipalities, each with `reference_population`: its population on 1 January
    of the year before (CBS, locations.selectors.populations_on_1_january). A municipality
    without that year's figure is refused by name: the target would silently mix years."""
    from locations.selectors import populations_on_1_january

    municipalities = list(region.municipalities.order_by("cbs_code"))
    if not municipalities:
        raise ApplicationError(_("Regio %(region)s heeft geen gemeenten.") % {"region": region.name},
                               code="target_no_municipalities")
    populations = populations_on_1_january(municipalities, year - 1)
    stale = [m.name for m in municipalities if m.pk not in populations]
    if stale:
        raise ApplicationError(
            _("De verdeelsleutel voor %(year)s vraagt inwonertallen van 1 januari %(ref)s; werk die eerst bij "
              "voor: %(names)s.") % {"year": year, "ref": year - 1, "names": ", ".join(stale)},
            code="target_population_year", extra={"municipalities": stale})
    for m in municipalities:
        m.reference_population = populations[m.pk].population
    return municipalities


def region_target(region: Region, year: int) -> RegionTarget:
    from .models import TargetInputs

    inputs = TargetInputs.objects.filter(year=year).first()
    if inputs is None:
        raise ApplicationError(_("Er is geen invoer voor de verdeelsleutel van %(year)s.") % {"year": year},
                               code="target_input_missing")
    municipalities = _municipalities(region, year)
    iv = sum(m.reference_population for m in municipalities)
    gv = sum((m.land_area_km2 for m in municipalities), Decimal("0"))
    places = target_places(On=inputs.national_places_asked, Iv=iv, In=inputs.national_population, Gv=gv,
                           Gn=inputs.national_land_area_km2)
    return RegionTarget(year=year, places=places, On=inputs.national_places_asked, Iv=iv,
                        In=inputs.national_population, Gv=gv, Gn=inputs.national_land_area_km2)


def municipality_targets(region: Region, year: int) -> dict[Municipality, int]:
    """The region's target split over its municipalities by population (whole places adding up
    to the region's target; ties to the smallest CBS code), in CBS-code order."""
    target = region_target(region, year)
    municipalities = _municipalities(region, year)
    by_code = split_places(target.places, {m.cbs_code: m.reference_population for m in municipalities})
    return {m: by_code[m.cbs_code] for m in municipalities}


# --- the split in use: edited by staff, or by population -----------------------------------------

@dataclass(frozen=True)
class SplitRow:
    municipality: Municipality
    places: int
    default_places: int


@dataclass(frozen=True)
class RegionSplit:
    """The split of a region's target over its municipalities as it applies now: the edited one
    when it was made against the current region target, otherwise the split by population."""

    target: RegionTarget
    rows: list[SplitRow]
    edited: bool
    set_by: object | None = None  # the user who edited it
    set_at: object | None = None  # datetime
    stale: bool = False  # an edited split exists, but was made against another region target
    stale_places: int | None = None


def region_split(region: Region, year: int) -> RegionSplit:
    """Raises ApplicationError (Dutch) when inputs for the year are missing."""
    from .models import TargetSplit

    target = region_target(region, year)
    default = municipality_targets(region, year)
    split = (TargetSplit.objects.filter(region=region, year=year).select_related("set_by")
             .prefetch_related("parts").first())
    if split is not None and split.region_places == target.places:
        edited = {part.municipality_id: part.places for part in split.parts.all()}
        rows = [SplitRow(m, edited.get(m.pk, 0), places) for m, places in default.items()]
        if sum(r.places for r in rows) == target.places:  # a municipality added to the region since
            return RegionSplit(target=target, rows=rows, edited=True, set_by=split.set_by, set_at=split.updated_at)
    rows = [SplitRow(m, places, places) for m, places in default.items()]
    return RegionSplit(target=target, rows=rows, edited=False, stale=split is not None,
                       stale_places=split.region_places if split is not None else None)


# --- realised against target (issue 8, point 5; used by the board report) -----------------------

@dataclass(frozen=True)
class TargetProgressRow:
    municipality_name: str
    cbs_code: str
    target: int | None  # None: the inputs are missing
    realised: int | None  # None: no snapshot on or before as_of
    difference: int | None  # realised − target
    percentage: Decimal | None  # realised / target × 100, one decimal


@dataclass(frozen=True)
class TargetProgress:
    region: Region
    year: int
    as_of: date
    rows: list[TargetProgressRow]
    total: TargetProgressRow
    missing: list[str]  # Dutch messages: what is missing, so no number is shown for it
    snapshot_as_of: date | None  # the day of the snapshot the realised beds come from
    region_target: RegionTarget | None
    edited: bool  # the split was edited by staff (not by population)


def _percentage(realised: int | None, target: int | None) -> Decimal | None:
    if realised is None or not target:
        return None
    return (Decimal(100) * realised / target).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _row(name: str, code: str, target: int | None, realised: int | None) -> TargetProgressRow:
    difference = None if target is None or realised is None else realised - target
    return TargetProgressRow(municipality_name=name, cbs_code=code, target=target, realised=realised,
                             difference=difference, percentage=_percentage(realised, target))


def target_progress(region: Region, *, year: int, as_of: date,
                    municipalities: Iterable[Municipality] | None = None) -> TargetProgress:
    """Realised beds (from the region's snapshot on or before `as_of`: its lines' `realised`
    summed per municipality CBS code) against each municipality's target of `year`.

    `municipalities` narrows the rows (a gemeente sees only its own: pass
    `municipality_qs_for(user)`); the total is then the total of those rows. Missing inputs give
    Dutch messages in `.missing` and None instead of a number — never a guessed one.
    A constant number of queries."""
    from .models import CapacitySnapshot, LocationSnapshot

    missing: list[str] = []
    target: RegionTarget | None = None
    targets: dict[str, int] = {}
    edited = False
    try:
        split = region_split(region, year)
    except ApplicationError as error:
        missing.append(error.message)
    else:
        target, edited = split.target, split.edited
        targets = {row.municipality.cbs_code: row.places for row in split.rows}

    snapshot = (CapacitySnapshot.objects.filter(region=region, as_of__lte=as_of).order_by("-as_of")
                .only("pk", "as_of").first())
    realised: dict[str, int] | None = None
    names: dict[str, str] = {}
    if snapshot is None:
        missing.append(_("Er is geen momentopname van de capaciteit op of vóór %(day)s; de gerealiseerde "
                         "plaatsen zijn onbekend.") % {"day": as_of.strftime("%d-%m-%Y")})
    else:
        realised = {}
        for row in (LocationSnapshot.objects.filter(snapshot=snapshot)
                    .values("municipality_cbs_code", "municipality_name")
                    .annotate(realised=Sum("realised")).order_by()):
            code = row["municipality_cbs_code"]
            realised[code] = realised.get(code, 0) + row["realised"]
            names.setdefault(code, row["municipality_name"])

    current = list(region.municipalities.order_by("cbs_code").values_list("cbs_code", "name"))
    names.update(dict(current))
    codes = [code for code, _name in current]
    # A municipality in the snapshot that has since left the region still shows its beds.
    codes += sorted(code for code in (realised or {}) if code not in dict(current))
    if municipalities is not None:
        allowed = {m.cbs_code for m in municipalities}
        codes = [code for code in codes if code in allowed]

    rows = [_row(names[code], code, targets.get(code) if target is not None else None,
                 None if realised is None else realised.get(code, 0)) for code in codes]
    sum_target = None if target is None else sum(r.target or 0 for r in rows)
    sum_realised = None if realised is None else sum(r.realised or 0 for r in rows)
    total = _row(_("Totaal"), "", sum_target, sum_realised)
    return TargetProgress(region=region, year=year, as_of=as_of, rows=rows, total=total, missing=missing,
                          snapshot_as_of=snapshot.as_of if snapshot else None, region_target=target,
                          edited=edited)
