"""Writes of the reporting app (HackSoft style: `<entity>_<verb>`, keyword-only, typed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from rcvs.errors import ApplicationError, Conflict

from .models import NormRate

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
