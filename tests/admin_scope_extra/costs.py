"""Out-of-scope objects for the costs admins (tests/admin_scope_extra/__init__.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any


def _zuid_budget(ctx: Any) -> Any:
    from reporting.costs import budget_create
    from reporting.models import Budget

    return Budget.objects.filter(region=ctx.world.zuid, year=2024).first() or budget_create(
        user=None, region=ctx.world.zuid, year=2024, lines=[("Zuid-kernteam", Decimal("1000.00"))])


def _zuid_entry(ctx: Any) -> Any:
    from reporting.costs import cost_entry_create

    return cost_entry_create(user=None, region=ctx.world.zuid, data={
        "budget_line": _zuid_budget(ctx).lines.get(), "date": dt.date(2024, 3, 1), "category": "ict",
        "supplier": "Zuid-leverancier", "description": "Zuid-laptop", "amount_excl_vat": Decimal("10.00"),
        "amount_incl_vat": Decimal("12.10"), "invoice_reference": "Z-1", "declarable": True,
        "non_declarable_reason": ""})


def _zuid_period(ctx: Any) -> Any:
    from reporting.costs import declaration_period_create

    return declaration_period_create(user=None, region=ctx.world.zuid, label="Zuid H1", start=dt.date(2024, 1, 1),
                                     end=dt.date(2024, 6, 30))


OUT_OF_SCOPE: dict[str, Callable[[Any], Any]] = {
    "reporting.budget": _zuid_budget,
    "reporting.costentry": _zuid_entry,
    "reporting.declarationperiod": _zuid_period,
}
NOT_REGIONAL: dict[str, str] = {}
