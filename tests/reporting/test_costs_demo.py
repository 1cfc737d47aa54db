"""The cost demo: synthetic, idempotent, consistent with the rules (closed periods, the split)."""

from __future__ import annotations

import datetime as dt

import pytest

from reporting import costs
from reporting.demo import costs as demo
from reporting.models import Budget, CostEntry, DeclarationPeriod, DeclarationPeriodEvent

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_moves_past_periods_on(world):
    for m in (world.mun_a, world.mun_b):
        m.population_year = 2025
        m.save()
    as_of = dt.date(2026, 12, 2)
    summary = demo.seed(world.noord, seed=7, as_of=as_of)
    assert summary and "kostenposten" in summary
    counts = (Budget.objects.count(), CostEntry.objects.count(), DeclarationPeriod.objects.count(),
              DeclarationPeriodEvent.objects.count())
    assert demo.seed(world.noord, seed=7, as_of=as_of) is None
    assert counts == (Budget.objects.count(), CostEntry.objects.count(), DeclarationPeriod.objects.count(),
                      DeclarationPeriodEvent.objects.count())
    assert counts[0] == 2 and counts[2] == 4
    assert not CostEntry.objects.filter(date__gt=as_of).exists()
    statuses = dict(DeclarationPeriod.objects.values_list("label", "status"))
    assert statuses == {"2025 eerste halfjaar": "toegekend", "2025 tweede halfjaar": "ingediend",
                        "2026 eerste halfjaar": "ingediend", "2026 tweede halfjaar": "ingediend"}
    summary_2025 = costs.cost_summary(world.noord, year=2025, as_of=as_of)
    assert summary_2025.totals.budget == costs.Decimal("1544714.00")
    assert summary_2025.totals.spent > 0 and summary_2025.totals.non_declarable > 0
    period = DeclarationPeriod.objects.get(label="2025 eerste halfjaar")
    data = costs.declaration_build(period)
    assert data.split.rows and sum(r.share for r in data.split.rows) == data.total_non_declarable
    # 2026: the current figures are of 1 January 2025; the demo records each declared year's
    # figures in the dated population table, so 2026 has its own.
    populations, missing = costs.populations_on_1_january(world.noord, 2026)
    assert missing == [] and {p.source for p in populations} == {"table"}
