"""Demo data: costs (reporting/demo/__init__.py).

For the year before `as_of` and the year of `as_of`: a budget shaped like DOMAIN.md's 2024
example (kernteam, RCVS, themacoördinatoren, overige kosten: € 1.544.714), synthetic monthly cost
entries up to `as_of` (invented suppliers, no persons), the two half-year declaration periods, and
the periods whose deadline has passed moved on (the older one granted, later ones submitted) the
way the team would, through the service that records who/when. The documents themselves are left
to the daily job (reporting.tasks_costs.build_due_declarations), as in production.

Idempotent: a year that already has a budget gets no new entries, and a period is only moved on
when it has never changed status.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction

CENT = Decimal("0.01")
VAT = Decimal("1.21")
LINES = [("kernteam", Decimal("538026.00")), ("RCVS", Decimal("344476.00")),
         ("themacoördinatoren", Decimal("532212.00")), ("overige kosten", Decimal("130000.00"))]
STAFF = {"kernteam": "Detacheringsbureau Voorbeeld BV", "RCVS": "Gemeente (loonkosten) — voorbeeld",
         "themacoördinatoren": "Adviesbureau Proef & Co"}
OTHER = [("vervoer", "Touringcar Voorbeeld BV", "Busvervoer naar aanmeldcentrum IND"),
         ("ict", "ICT-leverancier Test BV", "Licenties en laptops"),
         ("communicatie", "Drukkerij Demo", "Informatiefolders in het Oekraïens"),
         ("huisvesting", "Verhuurder Kantoor Demo", "Huur werkplekken")]
NOT_DECLARABLE = [("overig", "Catering Voorbeeld", "Bijeenkomst vrijwilligers", "Representatie valt buiten de regeling"),
                  ("vervoer", "Taxi Demo", "Eigen vervoer team", "Reiskosten woon-werk niet declarabel")]


def _months(year: int, as_of: dt.date) -> list[dt.date]:
    return [dt.date(year, month, 15) for month in range(1, 13) if dt.date(year, month, 15) <= as_of]


def _entries(budget: Any, lines: dict[str, Any], rng: random.Random, as_of: dt.date) -> list[Any]:
    from reporting.models import CostEntry

    out = []

    def add(line: str, day: dt.date, category: str, supplier: str, description: str, excl: Decimal,
            declarable: bool = True, reason: str = "", vat: bool = True) -> None:
        excl = excl.quantize(CENT)
        out.append(CostEntry(budget_line=lines[line], date=day, category=category, supplier=supplier,
                             description=description, amount_excl_vat=excl,
                             amount_incl_vat=(excl * VAT).quantize(CENT) if vat else excl,
                             invoice_reference=f"DEMO-{budget.year}-{len(out) + 1:04d}", declarable=declarable,
                             non_declarable_reason=reason))

    for day in _months(budget.year, as_of):
        for name, amount in LINES[:3]:
            monthly = amount / 12 * Decimal(rng.randint(88, 103)) / 100
            add(name, day, "personeel", STAFF[name], f"Personeelskosten {day:%m-%Y}", monthly, vat=name != "RCVS")
        for category, supplier, description in rng.sample(OTHER, 2):
            add("overige kosten", day + dt.timedelta(days=rng.randint(-10, 10)), category, supplier, description,
                Decimal(rng.randint(90_000, 700_000)) / 100)
        if rng.random() < 0.5:
            category, supplier, description, reason = rng.choice(NOT_DECLARABLE)
            add("overige kosten", day + dt.timedelta(days=rng.randint(-10, 10)), category, supplier, description,
                Decimal(rng.randint(15_000, 120_000)) / 100, declarable=False, reason=reason)
    return out


def _populations(region: Any, as_of: dt.date) -> None:
    """1 January figures for every year the demo declares and targets (the year before `as_of`
    and its own), so each year's split has its own year's population: the demo municipalities'
    figure, and a synthetic 0.4 % growth for the years after it."""
    from locations.models import MunicipalityPopulation

    for municipality in region.municipalities.all():
        for year in range(as_of.year - 2, as_of.year + 1):
            if year < municipality.population_year:
                continue
            growth = Decimal("1.004") ** (year - municipality.population_year)
            MunicipalityPopulation.objects.get_or_create(
                municipality=municipality, year=year,
                defaults={"population": int((municipality.population * growth).to_integral_value()),
                          "source": "Demo (synthetisch)"})


def seed(region: Any, *, seed: int, as_of: dt.date) -> str | None:
    """Create the synthetic demo data of this capability for the region; return a one-line
    Dutch summary for seed_demo's output, or None. Idempotent."""
    from reporting import costs
    from reporting.models import Budget, CostEntry, DeclarationPeriodEvent, DeclarationStatus

    made_entries = 0
    moved = 0
    _populations(region, as_of)
    for year in (as_of.year - 1, as_of.year):
        with transaction.atomic():
            if not Budget.objects.filter(region=region, year=year).exists():
                budget = costs.budget_create(user=None, region=region, year=year, note="Demo (synthetisch)",
                                             lines=LINES)
                lines = {line.name: line for line in budget.lines.all()}
                rng = random.Random(f"{seed}-{region.code}-{year}")
                created = CostEntry.objects.bulk_create(_entries(budget, lines, rng, as_of))
                made_entries += len(created)
            periods = costs.declaration_periods_ensure(user=None, region=region, year=year)
        for period in periods:
            if DeclarationPeriodEvent.objects.filter(period=period).exclude(to_status="concept").exists():
                continue  # someone (or an earlier seed) already moved it: leave it
            if period.deadline >= as_of or not costs._period_entries(period).exists():
                continue
            costs.declaration_period_transition(user=None, period=period, to_status=DeclarationStatus.SUBMITTED,
                                                note="Demo: ingediend")
            moved += 1
            if period.end < dt.date(as_of.year, 1, 1) and period.start.month == 1:
                costs.declaration_period_transition(user=None, period=period, to_status=DeclarationStatus.GRANTED,
                                                    note="Demo: toegekend door het ministerie")
                moved += 1
    if not made_entries and not moved:
        return None
    return f"kosten: {made_entries} kostenposten, {moved} statuswijzigingen van declaratieperiodes"
