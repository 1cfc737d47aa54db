"""Pure money arithmetic of the reporting app: no database, no float.

The non-declarable costs of a region are shared by its municipalities by population on 1 January
of the year (DOMAIN.md, "verdeelsleutel aantal inwoners"). The parts are paid by different
municipalities, so they must add up to the total exactly: each gets its exact share rounded down
to the cent, and the cents that are left over go to the largest remainders (Hamilton's method).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from rcvs.errors import ApplicationError

CENT = Decimal("0.01")


def largest_remainder[K: Hashable](total: int, weights: Mapping[K, int]) -> dict[K, int]:
    """Split the whole number `total` over `weights` in whole units that add up to `total`.

    Every key gets floor(total × weight / sum); the units left over go one each to the keys with
    the largest remainder. Ties are broken by the key in ascending order (a CBS code, a pk), so
    the same inputs always give the same split, whatever the order of the mapping. Exact rational
    arithmetic (Fraction): no rounding happens before the split itself."""
    if total < 0:
        raise ApplicationError(_("Een negatief bedrag of aantal kan niet worden verdeeld."), code="negative_total")
    if not weights:
        raise ApplicationError(_("Er is niets om over te verdelen: geen gemeenten."), code="no_weights")
    if any(not isinstance(w, int) or isinstance(w, bool) or w < 0 for w in weights.values()):
        raise ApplicationError(_("Inwonertallen moeten hele, niet-negatieve getallen zijn."), code="invalid_weight")
    whole = sum(weights.values())
    if whole == 0:
        raise ApplicationError(_("Het totale aantal inwoners is nul; er kan niet naar inwoners worden verdeeld."),
                               code="zero_weights")
    exact = {key: Fraction(total * w, whole) for key, w in weights.items()}
    parts = {key: share.numerator // share.denominator for key, share in exact.items()}
    left = total - sum(parts.values())
    # Largest remainder first; equal remainders by key, ascending.
    order = sorted(weights, key=lambda key: (-(exact[key] - parts[key]), key))
    for key in order[:left]:
        parts[key] += 1
    return parts


def split_by_population[K: Hashable](total: Decimal, populations: Mapping[K, int]) -> dict[K, Decimal]:
    """Divide `total` (euros, whole cents) over `populations` (inhabitants on 1 January), to the
    cent, so that the parts add up to `total` exactly. Keys are whatever identifies a
    municipality to the caller; ties in the remainders go to the smallest key."""
    if not isinstance(total, Decimal) or not total.is_finite():
        raise ApplicationError(_("Het bedrag moet een decimaal bedrag in euro's zijn."), code="invalid_amount")
    if total < 0:
        raise ApplicationError(_("Een negatief bedrag kan niet worden verdeeld."), code="negative_total")
    if total != total.quantize(CENT):
        raise ApplicationError(_("Het bedrag moet in hele centen zijn (hoogstens twee decimalen)."),
                               code="not_whole_cents")
    cents = largest_remainder(int(total.scaleb(2)), populations)
    return {key: Decimal(c).scaleb(-2).quantize(CENT) for key, c in cents.items()}


# --- normbedrag: a rate per realised place per day, by date ------------------------------------

class RatePeriod:
    """One row of the rate table as plain data: `valid_until` is inclusive, None = open-ended."""

    __slots__ = ("valid_from", "valid_until", "amount")

    def __init__(self, valid_from: date, valid_until: date | None, amount: Decimal):
        self.valid_from, self.valid_until, self.amount = valid_from, valid_until, amount

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


def rate_on(day: date, rates: Iterable[RatePeriod]) -> Decimal:
    """The normbedrag of `day`. A day without a rate is an error, never zero: a missing row in the
    table would otherwise silently pay a municipality nothing for that day."""
    matching = [r for r in rates if r.covers(day)]
    if not matching:
        raise ApplicationError(_("Er is geen normbedrag vastgesteld voor %(day)s.") % {"day": day.isoformat()},
                               code="no_norm_rate", extra={"day": day.isoformat()})
    if len(matching) > 1:  # the database refuses overlaps; a hand-made list might not
        raise ApplicationError(_("Voor %(day)s gelden meerdere normbedragen.") % {"day": day.isoformat()},
                               code="overlapping_norm_rates", extra={"day": day.isoformat()})
    return matching[0].amount


def norm_rate_periods() -> list[RatePeriod]:
    from .models import NormRate  # the one database read of this module

    return [RatePeriod(r.valid_from, r.valid_until, r.amount) for r in NormRate.objects.order_by("valid_from")]


def norm_rate_on(day: date) -> Decimal:
    return rate_on(day, norm_rate_periods())


def compensation(*, places_per_day: Mapping[date, int], rates: Iterable[RatePeriod] | None = None) -> Decimal:
    """A municipality's compensation over a period: for every day, its realised places that day
    times the normbedrag of that day, summed. `places_per_day` comes from the daily snapshots;
    `rates` defaults to the rate table in the database."""
    periods = list(norm_rate_periods() if rates is None else rates)
    total = Decimal("0.00")
    for day in sorted(places_per_day):
        places = places_per_day[day]
        if not isinstance(places, int) or isinstance(places, bool) or places < 0:
            raise ApplicationError(_("Het aantal gerealiseerde plaatsen op %(day)s is ongeldig.")
                                   % {"day": day.isoformat()}, code="invalid_places", extra={"day": day.isoformat()})
        total += places * rate_on(day, periods)
    return total.quantize(CENT)
