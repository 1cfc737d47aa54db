"""Writes of the reporting app (HackSoft style: `<entity>_<verb>`, keyword-only, typed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from locations.models import Region
from rcvs.errors import ApplicationError, Conflict

from .models import NormRate, TargetSplit, TargetSplitAction, TargetSplitEvent, TargetSplitPart

if TYPE_CHECKING:
    from rcvs.accounts.models import User

# --- money and targets --------------------------------------------------------------------------


def norm_rate_create(*, valid_from: dt.date, valid_until: dt.date | None = None, amount: Decimal,
                     note: str = "") -> NormRate:
    """Add a period to the normbedrag table. Overlap with an existing period is refused; the
    exclusion constraint decides (also between two concurrent requests), the query before it
    only names the period in the way for a clear message."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise ApplicationError(_("Het normbedrag moet een positief bedrag in euro's zijn."), code="norm_rate_amount",
                               extra={"fields": {"amount": [_("Moet positief zijn.")]}})
    if amount != amount.quantize(Decimal("0.01")):
        raise ApplicationError(_("Het normbedrag moet in hele centen zijn."), code="norm_rate_amount",
                               extra={"fields": {"amount": [_("Hoogstens twee decimalen.")]}})
    if valid_until is not None and valid_until < valid_from:
        raise ApplicationError(_("'Geldig tot en met' ligt vóór 'geldig vanaf'."), code="norm_rate_period",
                               extra={"fields": {"valid_until": [_("Ligt vóór de begindatum.")]}})
    overlap = Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from)
    if valid_until is not None:
        overlap &= Q(valid_from__lte=valid_until)
    clash = NormRate.objects.filter(overlap).order_by("valid_from").first()
    if clash is None:
        try:
            with transaction.atomic():
                return NormRate.objects.create(valid_from=valid_from, valid_until=valid_until, amount=amount,
                                               note=note)
        except IntegrityError:
            clash = NormRate.objects.filter(overlap).order_by("valid_from").first()
            if clash is None:
                raise
    until = clash.valid_until.isoformat() if clash.valid_until else _("open einde")
    raise Conflict(_("Deze periode overlapt met het normbedrag van € %(amount)s (%(start)s – %(until)s). "
                     "Pas eerst die periode aan.") % {"amount": clash.amount, "start": clash.valid_from.isoformat(),
                                                     "until": until},
                   code="norm_rate_overlap", extra={"overlaps": clash.pk})


# --- the split of a region's target over its municipalities ---------------------------------------

GUARD_TRIGGERS = "reporting_targetsplitpart_sum, reporting_targetsplit_sum"


def _split_error(message: str, code: str, **extra) -> ApplicationError:
    return ApplicationError(message, code=code, extra=extra)


def _guard(mode: str) -> None:
    """The sum guard of migration 0005 is deferred to the end of the transaction; a service sets it
    DEFERRED while it rewrites the parts (an outer transaction may have made it immediate) and
    IMMEDIATE when it is done, so a refusal surfaces here and not at some later commit."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS {GUARD_TRIGGERS} {mode}")


def target_split_set(*, region: Region, year: int, places: Mapping[int, int], user: User | None) -> TargetSplit:
    """Store an edited split of `region`'s target of `year`: `places` maps every municipality of
    the region (by pk) to its whole number of places, and they must add up to the region's
    target. Refused (Dutch message naming the difference) before anything is written; the
    database checks the sum again at the end (deferred trigger, migration 0005)."""
    from .targets import region_target

    with transaction.atomic():
        # One edit of a region's split at a time: the second waits, then replaces the first's.
        Region.objects.select_for_update().filter(pk=region.pk).get()
        target = region_target(region, year)  # missing inputs: ApplicationError in Dutch
        municipalities = {m.pk: m for m in region.municipalities.all()}
        if set(places) != set(municipalities):
            raise _split_error(_("Geef voor elke gemeente van de regio een aantal plaatsen op, en alleen voor die "
                                 "gemeenten."), "target_split_municipalities")
        bad = [municipalities[pk].name for pk, n in places.items()
               if not isinstance(n, int) or isinstance(n, bool) or n < 0]
        if bad:
            raise _split_error(_("Het aantal plaatsen moet een heel getal van nul of meer zijn: %(names)s.")
                               % {"names": ", ".join(sorted(bad))}, "target_split_invalid")
        total = sum(places.values())
        if total != target.places:
            difference = total - target.places
            if difference > 0:
                message = ngettext(
                    "De delen tellen op tot %(total)s plaatsen, maar de taakstelling van de regio is %(target)s: "
                    "%(diff)s plaats te veel.",
                    "De delen tellen op tot %(total)s plaatsen, maar de taakstelling van de regio is %(target)s: "
                    "%(diff)s plaatsen te veel.", difference)
            else:
                message = ngettext(
                    "De delen tellen op tot %(total)s plaatsen, maar de taakstelling van de regio is %(target)s: "
                    "%(diff)s plaats te weinig.",
                    "De delen tellen op tot %(total)s plaatsen, maar de taakstelling van de regio is %(target)s: "
                    "%(diff)s plaatsen te weinig.", -difference)
            raise _split_error(message % {"total": number_format(total, force_grouping=True),
                                          "target": number_format(target.places, force_grouping=True),
                                          "diff": number_format(abs(difference), force_grouping=True)},
                               "target_split_sum", difference=difference)
        _guard("DEFERRED")
        split, _created = TargetSplit.objects.update_or_create(
            region=region, year=year, defaults={"region_places": target.places, "set_by": user})
        split.parts.all().delete()
        TargetSplitPart.objects.bulk_create(
            [TargetSplitPart(split=split, municipality_id=pk, places=n) for pk, n in sorted(places.items())])
        TargetSplitEvent.objects.create(
            region=region, year=year, action=TargetSplitAction.SET, region_places=target.places, user=user,
            parts={municipalities[pk].cbs_code: n for pk, n in sorted(places.items())})
        try:
            with transaction.atomic():
                _guard("IMMEDIATE")
        except IntegrityError as exc:
            raise _split_error(_("De verdeling is geweigerd: de delen tellen niet op tot de taakstelling."),
                               "target_split_sum") from exc
        _guard("DEFERRED")
    return split


def target_split_reset(*, region: Region, year: int, user: User | None) -> bool:
    """Back to the split by population. Returns False when there was no edited split."""
    with transaction.atomic():
        Region.objects.select_for_update().filter(pk=region.pk).get()
        split = TargetSplit.objects.filter(region=region, year=year).first()
        if split is None:
            return False
        TargetSplitEvent.objects.create(region=region, year=year, action=TargetSplitAction.RESET,
                                        region_places=split.region_places, user=user, parts={})
        _guard("DEFERRED")  # the parts go before the split; checked once both are gone
        split.delete()
        _guard("IMMEDIATE")
        _guard("DEFERRED")
    return True
