"""The declaration documents the real way: a submit commits, on_commit hands the build to Redis,
a Celery worker thread builds the PDF and XLSX; the daily job by its beat name does the same for
a period that has ended, and a second run builds nothing."""

from __future__ import annotations

import datetime as dt
import io
import time
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from reporting import costs
from reporting.models import DeclarationDocument, DeclarationStatus

D = Decimal


def wait_for(condition, timeout: float = 120.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()


@pytest.mark.django_db(transaction=True)
def test_submit_and_the_daily_job_build_through_redis(world, personas, redis_worker):
    assert not redis_worker.conf.task_always_eager
    budget = costs.budget_create(user=None, region=world.noord, year=2024, lines=[("overige kosten", D("1000.00"))])
    for day in (dt.date(2024, 2, 1), dt.date(2024, 8, 1)):
        costs.cost_entry_create(user=None, region=world.noord, data={
            "budget_line": budget.lines.get(), "date": day, "category": "vervoer", "supplier": "Bus",
            "description": "IND", "amount_excl_vat": D("10.00"), "amount_incl_vat": D("12.10"),
            "invoice_reference": "", "declarable": False, "non_declarable_reason": "Buiten de regeling"})
    h1, h2 = costs.declaration_periods_ensure(user=None, region=world.noord, year=2024)

    costs.declaration_period_transition(user=personas.coordinator, period=h1, to_status=DeclarationStatus.SUBMITTED)
    docs = wait_for(lambda: DeclarationDocument.objects.filter(period=h1).count() == 2)
    assert docs, "the worker did not build the submitted period's documents"

    result = redis_worker.send_task("reporting.tasks_costs.build_due_declarations").get(timeout=180)
    assert result == {str(h2.pk): 2}  # JSON keys; h1 keeps the documents of its submit, h2 has ended
    xlsx = DeclarationDocument.objects.get(period=h2, kind="xlsx")
    workbook = load_workbook(io.BytesIO(bytes(xlsx.content)))
    assert [row[1] for row in workbook["Kosten"].iter_rows(min_row=2, values_only=True)] == ["overige kosten"]
    again = redis_worker.send_task("reporting.tasks_costs.build_due_declarations").get(timeout=180)
    assert again == {str(h2.pk): 0}
    assert DeclarationDocument.objects.count() == 4
