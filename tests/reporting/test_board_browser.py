"""A board member, as a new user would: logs in, finds the board reports under Rapportage, asks
for October's report, watches its progress on the page (htmx polling, no reload) and downloads
the PDF when it is ready."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from reporting import board
from reporting.models import BoardReport

# The browser fixtures (Debian's Chromium, screenshots) live in tests/browser/conftest.py; this test
# sits with the other board tests, so it takes them from there.
from tests.browser import conftest as browser_fixtures
from tests.conftest import PASSWORD
from tests.reporting.test_board import line, snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
browser_type_launch_args = browser_fixtures.browser_type_launch_args
browser_context_args = browser_fixtures.browser_context_args
screenshot = browser_fixtures.screenshot


def test_bestuur_requests_a_report_sees_it_built_and_downloads_it(page: Page, live_server, personas, world,
                                                                  screenshot, monkeypatch):  # noqa: F811
    s = snapshot(world.noord, dt.date(2026, 10, 30))
    line(s, "AAD-001", world.mun_a, realised=13, occupied=4, available=2, snijverlies=1, out_of_service=6,
         name="Het Anker")
    # The live server runs in this process: keep the request queued, so the test (as the worker)
    # decides when it is built and the page's progress can be seen first.
    monkeypatch.setattr(board, "_enqueue", lambda report_id: None)

    page.goto(f"{live_server.url}/rapportage/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Gebruikersnaam").fill(personas.bestuur.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("link", name="Bestuursrapportages").click()
    expect(page.get_by_role("heading", name="Bestuursrapportages", exact=True)).to_be_visible()

    page.get_by_label("Maand").fill("2026-10")
    page.get_by_label("Taal").last.select_option("nl")
    page.get_by_role("button", name="Maak rapportage").click()
    expect(page.get_by_text("De rapportage wordt gemaakt")).to_be_visible()
    report = BoardReport.objects.get()
    row = page.locator(f"#report-{report.uuid}")
    expect(row.locator("progress")).to_be_visible()
    expect(row).to_contain_text("In de wachtrij")
    screenshot("board-01-queued")

    board.board_report_run(report.pk)  # what the worker does

    download_link = row.get_by_role("link", name="PDF downloaden")
    expect(download_link).to_be_visible(timeout=15_000)  # the row polled itself and was swapped
    expect(row).to_contain_text("actueel")
    screenshot("board-02-ready")
    with page.expect_download() as info:
        download_link.click()
    path = info.value.path()
    pdf = open(path, "rb").read()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert info.value.suggested_filename == "bestuursrapportage-noord-2026-10-nl-v1.pdf"
    assert "Bestuursrapportage Regio Noord" in text and "Gerealiseerde bedden 13" in text


def test_coordinator_keeps_the_decision_list(page: Page, live_server, personas, world, screenshot):  # noqa: F811
    page.goto(f"{live_server.url}/rapportage/bestuur/besluitenlijst/")
    page.get_by_label("Gebruikersnaam").fill(personas.coordinator.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", name="Besluiten- en actielijst")).to_be_visible()

    page.get_by_label("Soort").select_option("A")
    page.get_by_label("Titel").fill("Gesprek met gemeenten over verlenging")
    page.get_by_label("Eigenaar").fill("teamleider RCVS")
    page.get_by_label("Uiterste datum").fill("2026-12-20")
    page.get_by_role("button", name="Toevoegen").click()
    expect(page.get_by_text("A-1 is toegevoegd.")).to_be_visible()
    screenshot("board-03-items")

    page.get_by_role("link", name="Wijzig A-1").click()
    page.get_by_label("Status").select_option("in_progress")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("A-1 is opgeslagen.")).to_be_visible()
    page.get_by_role("link", name="Wijzig A-1").click()
    expect(page.get_by_text("Open → In uitvoering")).to_be_visible()
    screenshot("board-04-item-history")
