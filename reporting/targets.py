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
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

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
