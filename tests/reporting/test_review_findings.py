"""Holes an attacker's review of reporting found, each with the request that showed it."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from locations.models import Location
from reporting import costs, kcio
from reporting.charts import trend_chart_svg
from reporting.declaration import declaration_xlsx
from reporting.occupancy_mail import mail_contact_create, mail_contact_update, unsubscribe_token
from reporting.snapshots import snapshot_take, snapshot_today

pytestmark = pytest.mark.django_db

VT = "\x0b"  # a vertical tab, as a paste from a word processor brings


def test_a_control_character_in_a_location_name_does_not_break_the_days_xlsx(world):
    Location.objects.filter(pk=world.loc_a.pk).update(name=f"Het{VT}Anker")
    snapshot = snapshot_take(region=world.noord, as_of=snapshot_today())
    book = load_workbook(io.BytesIO(kcio.render(snapshot, "xlsx")))
    names = [cell.value for row in book["Locaties"].iter_rows() for cell in row if cell.value]
    assert "HetAnker" in names
    assert VT not in kcio.render(snapshot, "csv").decode("utf-8-sig")


def test_a_control_character_in_a_cost_entry_does_not_break_the_declaration(world):
    budget = costs.budget_create(user=None, region=world.noord, year=2026, lines=[("post", Decimal("100.00"))])
    costs.cost_entry_create(user=None, region=world.noord, data={
        "budget_line": budget.lines.get(), "date": dt.date(2026, 2, 2), "category": "ict",
        "supplier": f"Leverancier{VT}BV", "description": "licenties", "amount_excl_vat": Decimal("1.00"),
        "amount_incl_vat": Decimal("1.21"), "invoice_reference": "", "declarable": True,
        "non_declarable_reason": ""})
    period, _ = costs.declaration_periods_ensure(user=None, region=world.noord, year=2026)
    content = declaration_xlsx(costs.declaration_build(period))
    cells = [c.value for ws in load_workbook(io.BytesIO(content)) for row in ws.iter_rows() for c in row]
    assert "LeverancierBV" in cells


@pytest.mark.parametrize("query", ["gemeente=%C2%B2", "gemeente=%D9%A3"])  # "²", Arabic-Indic three
def test_unicode_digits_in_the_trends_query_are_a_400_not_a_500(login, personas, query):
    response = login(personas.coordinator).get(f"{reverse('reporting:trends')}?{query}")
    assert response.status_code == 400


def test_unicode_digits_as_budget_line_are_a_404_not_a_500(login, personas, world):
    costs.budget_create(user=None, region=world.noord, year=2026, lines=[("post", Decimal("100.00"))])
    response = login(personas.coordinator).get(f"{reverse('reporting:costs_budget')}?regio=noord&jaar=2026&post=%C2%B2")
    assert response.status_code == 404


def test_an_attachment_is_stored_and_served_as_the_kind_its_bytes_say(login, personas, world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    budget = costs.budget_create(user=None, region=world.noord, year=2026, lines=[("post", Decimal("100.00"))])
    entry = costs.cost_entry_create(
        user=None, region=world.noord, attachment=SimpleUploadedFile("factuur.html", b"%PDF-1.4 <script>x</script>"),
        data={"budget_line": budget.lines.get(), "date": dt.date(2026, 2, 2), "category": "ict", "supplier": "x",
              "description": "y", "amount_excl_vat": Decimal("1.00"), "amount_incl_vat": Decimal("1.21"),
              "invoice_reference": "", "declarable": True, "non_declarable_reason": ""})
    assert entry.attachment.name.endswith(".pdf")
    response = login(personas.coordinator).get(reverse("reporting:costs_attachment", kwargs={"uuid": entry.uuid}))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith('.pdf"')


def test_an_unsubscribe_link_stops_working_when_the_address_changes(client, world):
    contact = mail_contact_create(user=None, municipality=world.mun_a,
                                  data={"name": "Anna", "email": "oud@aadorp.example", "function": ""})
    old_token = unsubscribe_token(contact)
    mail_contact_update(user=None, contact=contact, data={"name": "Anna", "email": "nieuw@aadorp.example",
                                                          "function": ""})
    path = reverse("reporting:mail_unsubscribe", kwargs={"token": old_token})
    response = client.post(path)
    assert response.status_code == 400
    assert "sindsdien is gewijzigd" in response.content.decode()
    contact.refresh_from_db()
    assert contact.active
    fresh = reverse("reporting:mail_unsubscribe", kwargs={"token": unsubscribe_token(contact)})
    assert client.post(fresh).status_code in (200, 302)
    contact.refresh_from_db()
    assert not contact.active


def test_a_dollar_sign_in_a_name_is_text_in_a_chart_title():
    svg = trend_chart_svg([], title="Gemeente $\\nope{$ test")
    assert "<svg" in svg
