"""A coordinator keeps the costs in a real browser (Chromium): a cost entry typed the Dutch way
(1.210,00) with its invoice attached, then the period submitted, after which the entry can no
longer be changed; bestuur then sees the totals and no supplier. Screenshots in test-artifacts/."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from reporting import costs
from reporting.models import CostEntry
from tests.browser import conftest as browser
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The browser fixtures (Debian's Chromium, Dutch locale, screenshots) live in tests/browser/conftest.py.
browser_type_launch_args = browser.browser_type_launch_args
browser_context_args = browser.browser_context_args
screenshot = browser.screenshot


def _login(page: Page, live_server, user, path: str) -> None:
    page.goto(f"{live_server.url}{path}")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Gebruikersnaam").fill(user.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()


def test_coordinator_enters_a_cost_and_submits_the_period(page: Page, live_server, personas, world, screenshot,
                                                         settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    year = dt.date.today().year - 1
    costs.budget_create(user=None, region=world.noord, year=year,
                        lines=[("kernteam", Decimal("538026.00")), ("overige kosten", Decimal("130000.00"))])
    costs.declaration_periods_ensure(user=None, region=world.noord, year=year)

    _login(page, live_server, personas.coordinator, f"/rapportage/kosten/?regio=noord&jaar={year}")
    expect(page.get_by_role("heading", name=re.compile("Kosten en declaraties"))).to_be_visible()
    expect(page.get_by_text("€ 668.026,00").first).to_be_visible()
    page.get_by_role("link", name="Kostenposten").click()
    page.get_by_role("link", name="Kostenpost toevoegen").click()
    page.get_by_label("Begrotingspost").select_option(label=f"{year} — overige kosten")
    page.get_by_label("Datum").fill(f"{year}-03-05")
    page.get_by_label("Categorie").select_option(label="vervoer")
    page.get_by_label("Leverancier").fill("Touringcar Test BV")
    page.get_by_label("Omschrijving").fill("Bus naar de IND")
    page.get_by_label("Bedrag excl. btw (€)").fill("1.000,00")
    page.get_by_label("Bedrag incl. btw (€)").fill("1.210,00")
    page.get_by_label("Bijlage (PDF, PNG of JPEG)").set_input_files(
        files=[{"name": "factuur.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%test\n"}])
    screenshot("costs-01-entry-form")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De kostenpost is opgeslagen.")).to_be_visible()
    expect(page.get_by_role("cell", name="Touringcar Test BV")).to_be_visible()
    expect(page.get_by_role("cell", name="€ 1.210,00").first).to_be_visible()
    screenshot("costs-02-entries")
    entry = CostEntry.objects.get()
    assert entry.amount_incl_vat == Decimal("1210.00") and entry.attachment

    page.goto(f"{live_server.url}/rapportage/kosten/?regio=noord&jaar={year}")
    page.get_by_role("link", name=f"{year} eerste halfjaar").click()
    page.get_by_label("Nieuwe status").select_option(label="ingediend")
    page.get_by_label("Toelichting").fill("Ingediend via het portaal")
    page.get_by_role("button", name="Wijzigen").click()
    expect(page.get_by_text("De status van de declaratie is gewijzigd.")).to_be_visible()
    screenshot("costs-03-period-submitted")

    page.goto(f"{live_server.url}/rapportage/kosten/posten/?regio=noord&jaar={year}")
    expect(page.get_by_text("periode gesloten")).to_be_visible()
    page.goto(f"{live_server.url}/rapportage/kosten/posten/{entry.uuid}/")
    page.get_by_label("Bedrag incl. btw (€)").fill("2.000,00")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text(re.compile("neemt geen nieuwe of gewijzigde kosten meer aan")).first).to_be_visible()
    entry.refresh_from_db()
    assert entry.amount_incl_vat == Decimal("1210.00")


def test_bestuur_sees_totals_and_no_supplier(page: Page, live_server, personas, world, screenshot):
    year = dt.date.today().year - 1
    budget = costs.budget_create(user=None, region=world.noord, year=year, lines=[("RCVS", Decimal("344476.00"))])
    costs.cost_entry_create(user=None, region=world.noord, data={
        "budget_line": budget.lines.get(), "date": dt.date(year, 2, 1), "category": "personeel",
        "supplier": "Verborgen Leverancier BV", "description": "Inhuur", "amount_excl_vat": Decimal("100.00"),
        "amount_incl_vat": Decimal("121.00"), "invoice_reference": "", "declarable": True,
        "non_declarable_reason": ""})
    _login(page, live_server, personas.bestuur, f"/rapportage/kosten/?regio=noord&jaar={year}")
    expect(page.get_by_text("€ 344.476,00").first).to_be_visible()
    expect(page.get_by_text("€ 121,00").first).to_be_visible()
    expect(page.get_by_text("Verborgen Leverancier BV")).to_have_count(0)
    expect(page.get_by_role("link", name="Kostenposten")).to_have_count(0)
    screenshot("costs-04-bestuur")
