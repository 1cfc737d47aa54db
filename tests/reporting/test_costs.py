"""Cost declarations: budgets, entries, periods, the closed-period rule (service and database),
cost_summary, and the split of the non-declarable costs to the cent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from rcvs.errors import ApplicationError
from reporting import costs
from reporting.models import CostEntry, DeclarationPeriod, DeclarationPeriodEvent, DeclarationStatus

pytestmark = pytest.mark.django_db

D = Decimal
EXAMPLE_2024 = [("kernteam", D("538026.00")), ("RCVS", D("344476.00")), ("themacoördinatoren", D("532212.00")),
                ("overige kosten", D("130000.00"))]


@pytest.fixture
def budget(world):
    return costs.budget_create(user=None, region=world.noord, year=2024, lines=EXAMPLE_2024)


def line(budget, name):
    return budget.lines.get(name=name)


def entry_data(budget, **extra):
    data = {"budget_line": line(budget, "overige kosten"), "date": dt.date(2024, 3, 1), "category": "vervoer",
            "supplier": "Busbedrijf Test", "description": "Bus naar de IND", "amount_excl_vat": D("100.00"),
            "amount_incl_vat": D("121.00"), "invoice_reference": "F-1", "declarable": True,
            "non_declarable_reason": ""}
    data.update(extra)
    return data


def test_example_budget_totals_1544714(world, budget):
    summary = costs.cost_summary(world.noord, year=2024, as_of=dt.date(2024, 12, 31))
    assert summary.totals.budget == D("1544714.00")
    assert [x.name for x in summary.lines] == [n for n, _ in EXAMPLE_2024]
    assert all(isinstance(x.budget, Decimal) for x in summary.lines)
    assert summary.missing == []


def test_cost_summary_counts_entries_up_to_as_of_and_period_status_then(world, budget, personas):
    other = line(budget, "kernteam")
    costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget))  # 121.00 declarable
    costs.cost_entry_create(user=None, region=world.noord, data=entry_data(
        budget, date=dt.date(2024, 5, 10), amount_excl_vat=D("10.00"), amount_incl_vat=D("10.00"),
        declarable=False, non_declarable_reason="Borrel"))
    costs.cost_entry_create(user=None, region=world.noord, data=entry_data(
        budget, budget_line=other, date=dt.date(2024, 8, 1), amount_excl_vat=D("1000.00"),
        amount_incl_vat=D("1210.00")))
    h1, h2 = costs.declaration_periods_ensure(user=None, region=world.noord, year=2024)
    assert (h1.start, h1.end, h1.deadline) == (dt.date(2024, 1, 1), dt.date(2024, 6, 30), dt.date(2024, 4, 30))
    assert h2.deadline == dt.date(2024, 10, 31)
    costs.declaration_period_transition(user=personas.coordinator, period=h1, to_status=DeclarationStatus.SUBMITTED)

    june = costs.cost_summary(world.noord, year=2024, as_of=dt.date(2024, 6, 30))
    by_name = {x.name: x for x in june.lines}
    assert by_name["overige kosten"].spent == D("131.00")
    assert by_name["overige kosten"].declarable == D("121.00")
    assert by_name["overige kosten"].non_declarable == D("10.00")
    assert by_name["overige kosten"].remaining == D("129869.00")
    assert by_name["kernteam"].spent == D("0.00")  # the August cost is after as_of
    assert june.totals.spent == D("131.00")
    # The submit happened today, so on 30 June 2024 the period was still concept.
    assert [(p.label, p.status, p.total_declared, p.total_non_declarable) for p in june.periods] == [
        ("2024 eerste halfjaar", "concept", D("121.00"), D("10.00"))]

    today = costs.cost_summary(world.noord, year=2024, as_of=timezone.localdate())
    assert today.totals.spent == D("1341.00")
    assert [(p.status, p.total_declared) for p in today.periods] == [("ingediend", D("121.00")),
                                                                    ("concept", D("1210.00"))]


def test_cost_summary_without_budget_says_so(world):
    summary = costs.cost_summary(world.noord, year=2030, as_of=dt.date(2030, 1, 1))
    assert summary.lines == [] and summary.totals.budget == D("0.00")
    assert summary.missing == ["Er is geen begroting voor 2030."]


def test_cost_summary_query_count_does_not_grow(world, budget, django_assert_max_num_queries):
    for i in range(30):
        costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget, date=dt.date(2024, 1 + i % 12, 3)))
    costs.declaration_periods_ensure(user=None, region=world.noord, year=2024)
    with django_assert_max_num_queries(3):
        summary = costs.cost_summary(world.noord, year=2024, as_of=dt.date(2024, 12, 31))
    assert summary.totals.spent == D("3630.00")


@pytest.mark.parametrize("field", ["amount_excl_vat", "amount_incl_vat"])
def test_negative_amount_refused(world, budget, field):
    with pytest.raises(ApplicationError) as error:
        costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget, **{field: D("-1.00")}))
    assert error.value.code == "negative_amount" and "creditnota" in error.value.message  # the service's message
    assert not CostEntry.objects.exists()


def test_negative_amount_refused_by_database(world, budget):
    with pytest.raises(IntegrityError), transaction.atomic():
        CostEntry.objects.create(**entry_data(budget, amount_excl_vat=D("-5.00"), amount_incl_vat=D("-5.00")))


def test_float_and_fractions_of_cents_refused(world, budget):
    with pytest.raises(ApplicationError):
        costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget, amount_excl_vat=1.5))
    with pytest.raises(ApplicationError):
        costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget, amount_excl_vat=D("1.005")))
    assert not CostEntry.objects.exists()


def test_not_declarable_needs_reason(world, budget):
    with pytest.raises(ApplicationError) as error:
        costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget, declarable=False))
    assert error.value.code == "reason_required"
    with pytest.raises(IntegrityError), transaction.atomic():
        CostEntry.objects.create(**entry_data(budget, declarable=False, non_declarable_reason="  "))


def test_incl_below_excl_refused(world, budget):
    with pytest.raises(ApplicationError) as error:
        costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget, amount_incl_vat=D("99.99")))
    assert error.value.code == "vat_order"


def test_entry_date_outside_budget_year_refused(world, budget):
    with pytest.raises(ApplicationError):
        costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget, date=dt.date(2025, 1, 2)))
    with pytest.raises(IntegrityError), transaction.atomic():
        CostEntry.objects.create(**entry_data(budget, date=dt.date(2025, 1, 2)))


def test_budget_line_of_another_region_refused(world, budget):
    zuid = costs.budget_create(user=None, region=world.zuid, year=2024, lines=[("overig", D("10.00"))])
    with pytest.raises(ApplicationError):
        costs.cost_entry_create(user=None, region=world.noord,
                                data=entry_data(budget, budget_line=zuid.lines.get()))


@pytest.fixture
def submitted(world, budget, personas):
    entry = costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget))
    h1, _h2 = costs.declaration_periods_ensure(user=None, region=world.noord, year=2024)
    costs.declaration_period_transition(user=personas.coordinator, period=h1, to_status=DeclarationStatus.SUBMITTED,
                                        note="Ingediend bij het ministerie")
    return entry, h1


def test_submit_records_who_and_when(submitted, personas):
    _entry, period = submitted
    period.refresh_from_db()
    assert period.status == "ingediend" and period.status_changed_by == personas.coordinator
    event = DeclarationPeriodEvent.objects.filter(period=period).last()
    assert (event.from_status, event.to_status, event.by, event.note) == (
        "concept", "ingediend", personas.coordinator, "Ingediend bij het ministerie")


def test_closed_period_refuses_new_entry_in_service(world, budget, submitted):
    with pytest.raises(ApplicationError) as error:
        costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget, date=dt.date(2024, 6, 30)))
    assert error.value.code == "period_closed"
    assert "2024 eerste halfjaar" in error.value.message and "ingediend" in error.value.message
    assert CostEntry.objects.count() == 1
    # The next half year is still open.
    costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget, date=dt.date(2024, 7, 1)))


def test_closed_period_refuses_edit_and_delete_in_service(world, budget, submitted):
    entry, _period = submitted
    with pytest.raises(ApplicationError):
        costs.cost_entry_update(user=None, entry=entry, data={"amount_incl_vat": D("500.00")})
    with pytest.raises(ApplicationError):
        costs.cost_entry_delete(user=None, entry=entry)
    # Moving an open entry INTO the closed period is refused too.
    july = costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget, date=dt.date(2024, 7, 1)))
    with pytest.raises(ApplicationError):
        costs.cost_entry_update(user=None, entry=july, data={"date": dt.date(2024, 6, 1)})
    entry.refresh_from_db()
    assert entry.amount_incl_vat == D("121.00")


def test_closed_period_refused_by_database(world, budget, submitted):
    entry, _period = submitted
    with pytest.raises(IntegrityError, match="costentry_period_not_closed|declaration period"), transaction.atomic():
        CostEntry.objects.create(**entry_data(budget, date=dt.date(2024, 2, 2)))
    with pytest.raises(IntegrityError), transaction.atomic():
        CostEntry.objects.filter(pk=entry.pk).update(amount_incl_vat=D("999.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        CostEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM reporting_costentry WHERE id = %s", [entry.pk])
    assert CostEntry.objects.filter(pk=entry.pk, amount_incl_vat=D("121.00")).exists()


def test_closed_period_dates_frozen_by_database(submitted):
    _entry, period = submitted
    with pytest.raises(IntegrityError), transaction.atomic():
        DeclarationPeriod.objects.filter(pk=period.pk).update(end=dt.date(2024, 5, 31))
    with pytest.raises(IntegrityError), transaction.atomic():
        DeclarationPeriod.objects.filter(pk=period.pk).delete()


def test_withdrawn_period_takes_entries_again(world, budget, submitted, personas):
    _entry, period = submitted
    costs.declaration_period_transition(user=personas.coordinator, period=period, to_status=DeclarationStatus.CONCEPT)
    costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget, date=dt.date(2024, 2, 2)))


def test_transitions(submitted, personas):
    _entry, period = submitted
    costs.declaration_period_transition(user=personas.coordinator, period=period, to_status="toegekend")
    with pytest.raises(ApplicationError) as error:
        costs.declaration_period_transition(user=personas.coordinator, period=period, to_status="concept")
    assert error.value.code == "period_transition"
    assert list(DeclarationPeriodEvent.objects.filter(period=period).values_list("to_status", flat=True)) == [
        "concept", "ingediend", "toegekend"]


def test_overlapping_period_refused_in_service_and_database(world, budget):
    costs.declaration_periods_ensure(user=None, region=world.noord, year=2024)
    with pytest.raises(ApplicationError) as error:
        costs.declaration_period_create(user=None, region=world.noord, label="Q2", start=dt.date(2024, 4, 1),
                                        end=dt.date(2024, 9, 30))
    assert error.value.code == "period_overlap"
    with pytest.raises(IntegrityError), transaction.atomic():
        DeclarationPeriod.objects.create(region=world.noord, label="Q2", start=dt.date(2024, 4, 1),
                                         end=dt.date(2024, 9, 30), deadline=dt.date(2024, 9, 1))
    # Another region may have its own period on the same dates.
    costs.declaration_period_create(user=None, region=world.zuid, label="H1", start=dt.date(2024, 1, 1),
                                    end=dt.date(2024, 6, 30))


def test_deleting_a_user_does_not_trip_the_freeze(world, budget, personas):
    entry = costs.cost_entry_create(user=personas.coordinator, region=world.noord, data=entry_data(budget))
    h1, _ = costs.declaration_periods_ensure(user=None, region=world.noord, year=2024)
    costs.declaration_period_transition(user=None, period=h1, to_status=DeclarationStatus.SUBMITTED)
    personas.coordinator.delete()
    entry.refresh_from_db()
    assert entry.created_by is None


def test_trigger_refusal_reaches_the_user_as_a_closed_period(world, budget, submitted, monkeypatch):
    """The database's refusal (here: the service's own check skipped) is the same Dutch answer."""
    monkeypatch.setattr(costs, "_check_open", lambda *args, **kwargs: None)
    with pytest.raises(ApplicationError) as error:
        costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget, date=dt.date(2024, 6, 30)))
    assert error.value.code == "period_closed" and "niet meer concept" in error.value.message
    assert CostEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("skip_service_check", [False, True], ids=["service", "trigger"])
def test_entry_racing_a_submit_waits_and_is_refused(world, monkeypatch, skip_service_check):
    """A submit in progress (not yet committed) and a new entry for its period: the entry waits
    for the submit's lock and is then refused — by the service's lock, or by the trigger's."""
    import threading
    import time

    from django.db import connection as main_connection

    budget = costs.budget_create(user=None, region=world.noord, year=2024, lines=EXAMPLE_2024)
    costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget))
    h1, _h2 = costs.declaration_periods_ensure(user=None, region=world.noord, year=2024)
    monkeypatch.setattr(costs, "_enqueue_documents", lambda period_id: None)
    if skip_service_check:
        monkeypatch.setattr(costs, "_check_open", lambda *args, **kwargs: None)
    locked, released = threading.Event(), []

    def submit():
        try:
            with transaction.atomic():
                costs.declaration_period_transition(user=None, period=h1, to_status=DeclarationStatus.SUBMITTED)
                locked.set()
                time.sleep(1.5)
                released.append(time.monotonic())
        finally:
            from django.db import connection

            connection.close()

    thread = threading.Thread(target=submit)
    thread.start()
    assert locked.wait(10)
    with pytest.raises(ApplicationError) as error:
        costs.cost_entry_create(user=None, region=world.noord, data=entry_data(budget, date=dt.date(2024, 5, 5)))
    refused_at = time.monotonic()
    thread.join(10)
    assert error.value.code == "period_closed"
    assert released and refused_at >= released[0]  # it waited for the submit to commit
    assert CostEntry.objects.count() == 1
    main_connection.close()


def test_entry_history_keeps_who_changed_what(world, budget, personas):
    entry = costs.cost_entry_create(user=personas.coordinator, region=world.noord, data=entry_data(budget))
    costs.cost_entry_update(user=personas.beheerder, entry=entry, data={"amount_incl_vat": D("150.00")})
    versions = list(entry.history.order_by("history_date").values_list("amount_incl_vat", "history_user__username",
                                                                        "history_type"))
    assert versions == [(D("121.00"), "coordinator", "+"), (D("150.00"), "beheerder", "~")]
    costs.cost_entry_delete(user=personas.coordinator, entry=entry)
    assert entry.history.latest("history_date").history_type == "-"


def test_budget_line_history_keeps_who_changed_the_amount(world, budget, personas):
    line_ = line(budget, "RCVS")
    costs.budget_line_save(user=personas.beheerder, budget=budget, line=line_, name="RCVS", amount=D("350000.00"))
    assert list(line_.history.order_by("history_date").values_list("amount", "history_user__username")) == [
        (D("344476.00"), None), (D("350000.00"), "beheerder")]
