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

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

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
    municipalities = list(region.municipalities.order_by("cbs_code"))
    if not municipalities:
        raise ApplicationError(_("Regio %(region)s heeft geen gemeenten.") % {"region": region.name},
                               code="target_no_municipalities")
    # CBS figures of 1 January of the year before; a municipality still on other figures would
    # make the target silently mix years.
    stale = [m.name for m in municipalities if m.population_year != year - 1]
    if stale:
        raise ApplicationError(
            _("De verdeelsleutel voor %(year)s vraagt inwonertallen van 1 januari %(ref)s; werk die eerst bij "
              "voor: %(names)s.") % {"year": year, "ref": year - 1, "names": ", ".join(stale)},
            code="target_population_year", extra={"municipalities": stale})
    return municipalities


def region_target(region: Region, year: int) -> RegionTarget:
    from .models import TargetInputs

    inputs = TargetInputs.objects.filter(year=year).first()
    if inputs is None:
        raise ApplicationError(_("Er is geen invoer voor de verdeelsleutel van %(year)s.") % {"year": year},
                               code="target_input_missing")
    municipalities = _municipalities(region, year)
    iv = sum(m.population for m in municipalities)
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
    by_code = split_places(target.places, {m.cbs_code: m.population for m in municipalities})
    return {m: by_code[m.cbs_code] for m in municipalities}
