"""The declaration of a period: the split of the non-declarable costs to the cent, the PDF read
back with pypdf, the XLSX read back with openpyxl, and the scheduled build (idempotent)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from reporting import costs
from reporting.models import DeclarationDocument, DeclarationStatus
from reporting.money import split_by_population
from reporting.tasks_costs import build_due_declarations

pytestmark = pytest.mark.django_db

D = Decimal


# --- the split, as a property ---------------------------------------------------------------------

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cents=st.integers(min_value=0, max_value=10**11),
       populations=st.lists(st.integers(min_value=0, max_value=2_000_000), min_size=1, max_size=30).filter(any))
def test_split_sums_to_the_whole_and_each_part_is_within_a_cent(cents, populations):
    total = D(cents).scaleb(-2).quantize(D("0.01"))
    weights = {f"GM{i:04d}": p for i, p in enumerate(populations)}
    parts = split_by_population(total, weights)
    assert all(isinstance(v, Decimal) and v == v.quantize(D("0.01")) for v in parts.values())
    assert sum(parts.values()) == total
    whole = sum(populations)
    for key, population in weights.items():
        exact = Fraction(cents * population, whole) / 100
        assert abs(Fraction(parts[key]) - exact) < Fraction(1, 100)


# --- population of 1 January of the year ----------------------------------------------------------

def _set_population(municipality, population, year):
    municipality.population, municipality.population_year = population, year
    municipality.save()


def test_split_uses_population_of_that_year_and_names_what_is_missing(world):
    _set_population(world.mun_a, 20_000, 2024)
    _set_population(world.mun_b, 10_000, 2023)
    split = costs.non_declarable_split(world.noord, year=2024, total=D("100.00"))
    assert split.rows == []
    assert "1 januari 2024" in split.missing and "Beekdal" in split.missing and "Aadorp" not in split.missing

    _set_population(world.mun_b, 10_000, 2024)
    split = costs.non_declarable_split(world.noord, year=2024, total=D("100.00"))
    assert [(r.name, r.population, r.share) for r in split.rows] == [("Aadorp", 20_000, D("66.67")),
                                                                     ("Beekdal", 10_000, D("33.33"))]
    assert split.missing == ""


def test_population_of_an_earlier_year_comes_from_the_history(world):
    _set_population(world.mun_a, 30_001, 2024)
    _set_population(world.mun_b, 29_999, 2024)
    _set_population(world.mun_a, 31_000, 2025)  # the next year's figure entered later
    populations, missing = costs.populations_on_1_january(world.noord, 2024)
    assert missing == []
    assert [(p.name, p.population, p.source) for p in populations] == [("Aadorp", 30_001, "history"),
                                                                         ("Beekdal", 29_999, "current")]
    split = costs.non_declarable_split(world.noord, year=2024, total=D("0.01"))
    assert [r.share for r in split.rows] == [D("0.01"), D("0.00")]


# --- the documents ----------------------------------------------------------------------------------

@pytest.fixture
def declared(world, personas):
    _set_population(world.mun_a, 2, 2024)
    _set_population(world.mun_b, 1, 2024)
    budget = costs.budget_create(user=None, region=world.noord, year=2024,
                                 lines=[("kernteam", D("538026.00")), ("overige kosten", D("130000.00"))])
    kern, overig = budget.lines.get(name="kernteam"), budget.lines.get(name="overige kosten")
    base = {"invoice_reference": "F-1", "non_declarable_reason": ""}
    costs.cost_entry_create(user=None, region=world.noord, data={
        **base, "budget_line": kern, "date": dt.date(2024, 2, 1), "category": "personeel", "supplier": "Detacheerder BV",
        "description": "Inhuur januari", "amount_excl_vat": D("10000.00"), "amount_incl_vat": D("12100.00"),
        "declarable": True})
    costs.cost_entry_create(user=None, region=world.noord, data={
        **base, "budget_line": overig, "date": dt.date(2024, 3, 5), "category": "vervoer", "supplier": "Bus & Co",
        "description": "Bus naar de IND", "amount_excl_vat": D("82.64"), "amount_incl_vat": D("100.00"),
        "declarable": False, "non_declarable_reason": "Buiten de regeling"})
    costs.cost_entry_create(user=None, region=world.noord, data={
        **base, "budget_line": overig, "date": dt.date(2024, 4, 5), "category": "overig", "supplier": "Bakker",
        "description": "=SUM(A1:A9) lunch", "amount_excl_vat": D("0.01"), "amount_incl_vat": D("0.01"),
        "declarable": False, "non_declarable_reason": "Representatie"})
    costs.cost_entry_create(user=None, region=world.noord, data={  # the second half year: not in this declaration
        **base, "budget_line": overig, "date": dt.date(2024, 7, 5), "category": "ict", "supplier": "Laptops",
        "description": "Laptop", "amount_excl_vat": D("900.00"), "amount_incl_vat": D("1089.00"), "declarable": True})
    h1, _h2 = costs.declaration_periods_ensure(user=None, region=world.noord, year=2024)
    return h1


def test_declaration_figures(declared):
    data = costs.declaration_build(declared)
    assert data.total_incl_vat == D("12200.01") and data.total_excl_vat == D("10082.65")
    assert data.total_declarable == D("12100.00") and data.total_non_declarable == D("100.01")
    assert [(x.name, x.budget, x.spent_in_period, x.remaining) for x in data.lines] == [
        ("kernteam", D("538026.00"), D("12100.00"), D("525926.00")),
        ("overige kosten", D("130000.00"), D("100.01"), D("129899.99"))]
    assert [(c.category, c.incl_vat) for c in data.categories] == [
        ("personeel", D("12100.00")), ("vervoer", D("100.00")), ("overig", D("0.01"))]
    # 100.01 over populations 2 : 1 → 66.67 + 33.34 (exact 66.6733…, 33.3366…: the cent to the largest remainder)
    assert [(r.name, r.share) for r in data.split.rows] == [("Aadorp", D("66.67")), ("Beekdal", D("33.34"))]
    assert sum(r.share for r in data.split.rows) == data.total_non_declarable
    assert (data.total_spent, data.total_spent_in_year, data.total_remaining) == (
        D("12200.01"), D("12200.01"), D("668026.00") - D("12200.01"))


def test_vat_basis_excl(declared, settings):
    settings.COSTS_VAT_BASIS = "excl"
    data = costs.declaration_build(declared)
    assert data.total_declarable == D("10000.00") and data.total_non_declarable == D("82.65")
    assert sum(r.share for r in data.split.rows) == D("82.65")


def test_xlsx_read_back(declared):
    data = costs.declaration_build(declared)
    from reporting.declaration import declaration_xlsx

    workbook = load_workbook(io.BytesIO(declaration_xlsx(data)))
    assert workbook.sheetnames == ["Samenvatting", "Begrotingsposten", "Categorieën", "Kosten", "Verdeling"]
    lines = list(workbook["Begrotingsposten"].iter_rows(min_row=2, values_only=True))
    assert lines[0][:3] == ("kernteam", 538026, 12100)
    entries = list(workbook["Kosten"].iter_rows(min_row=2, values_only=True))
    assert len(entries) == 3
    assert D(str(sum(row[7] for row in entries))).quantize(D("0.01")) == D("12200.01")
    assert not any(isinstance(v, str) and v.startswith("=") for row in entries for v in row)  # no formula
    split = list(workbook["Verdeling"].iter_rows(min_row=2, values_only=True))
    assert split == [("GM9001", "Aadorp", 2, 66.67), ("GM9002", "Beekdal", 1, 33.34), (None, "Totaal", 3, 100.01)]  # an empty cell reads back as None
    assert workbook["Verdeling"].cell(row=2, column=4).number_format.startswith('"€"')


def test_pdf_text_read_back(declared):
    from reporting.declaration import declaration_pdf

    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(declaration_pdf(
        costs.declaration_build(declared)))).pages).split())  # table cells wrap: compare word by word
    assert "Declaratie 2024 eerste halfjaar" in text
    assert "Regio Noord" in text
    assert "€ 12.100,00" in text and "€ 538.026,00" in text and "€ 100,01" in text
    assert "€ 66,67" in text and "€ 33,34" in text
    assert "€ 655.825,99" in text  # the lines' remaining budget, totalled
    assert "Verdeling niet-declarabele kosten naar inwoners op 1 januari 2024" in text
    assert "Bus naar de IND" in text and "Laptop" not in text


def test_scheduled_build_is_idempotent_per_content(declared, world, personas, django_capture_on_commit_callbacks):
    # On 2 December 2024 the first half year has ended: its documents are built, the second's
    # (deadline 31 October, passed) too.
    from unittest import mock

    with mock.patch("reporting.tasks_costs.timezone.localdate", return_value=dt.date(2024, 12, 2)):
        first = build_due_declarations()
        again = build_due_declarations()
    assert first[declared.pk] == 2 and again[declared.pk] == 0
    docs = DeclarationDocument.objects.filter(period=declared)
    assert sorted(docs.values_list("kind", flat=True)) == ["pdf", "xlsx"]
    import hashlib

    for doc in docs:
        assert doc.sha256 == hashlib.sha256(bytes(doc.content)).hexdigest() and doc.size == len(doc.content)
    # The figures change → one new version of each; the old ones stay.
    costs.cost_entry_create(user=None, region=world.noord, data={
        "budget_line": declared.region.budgets.get().lines.first(), "date": dt.date(2024, 5, 1), "category": "ict",
        "supplier": "X", "description": "Y", "amount_excl_vat": D("1.00"), "amount_incl_vat": D("1.00"),
        "invoice_reference": "", "declarable": True, "non_declarable_reason": ""})
    with mock.patch("reporting.tasks_costs.timezone.localdate", return_value=dt.date(2024, 12, 2)):
        assert build_due_declarations()[declared.pk] == 2
    assert DeclarationDocument.objects.filter(period=declared).count() == 4


def test_not_due_yet_builds_nothing(declared):
    from unittest import mock

    with mock.patch("reporting.tasks_costs.timezone.localdate", return_value=dt.date(2024, 3, 1)):
        assert build_due_declarations() == {}


def test_submit_builds_documents_after_commit(declared, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        costs.declaration_period_transition(user=personas.coordinator, period=declared,
                                            to_status=DeclarationStatus.SUBMITTED)
    docs = DeclarationDocument.objects.filter(period=declared)
    assert docs.count() == 2 and set(docs.values_list("period_status", flat=True)) == {"ingediend"}


def test_a_submitted_period_keeps_its_documents_when_the_budget_changes(declared, personas,
                                                                      django_capture_on_commit_callbacks):
    from unittest import mock

    with django_capture_on_commit_callbacks(execute=True):
        costs.declaration_period_transition(user=personas.coordinator, period=declared,
                                            to_status=DeclarationStatus.SUBMITTED)
    assert DeclarationDocument.objects.filter(period=declared).count() == 2
    line = declared.region.budgets.get().lines.get(name="kernteam")
    costs.budget_line_save(user=None, budget=line.budget, line=line, name=line.name, amount=D("1.00"))
    with mock.patch("reporting.tasks_costs.timezone.localdate", return_value=dt.date(2024, 12, 2)):
        assert declared.pk not in build_due_declarations()
    costs.declaration_period_transition(user=personas.coordinator, period=declared,
                                        to_status=DeclarationStatus.GRANTED)
    with mock.patch("reporting.tasks_costs.timezone.localdate", return_value=dt.date(2024, 12, 2)):
        assert build_due_declarations()[declared.pk] == 2  # stamped once more: toegekend
        assert declared.pk not in build_due_declarations()
    assert sorted(DeclarationDocument.objects.filter(period=declared).values_list("period_status", flat=True)) == [
        "ingediend", "ingediend", "toegekend", "toegekend"]
