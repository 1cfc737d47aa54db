"""Issue 7, point 3 in a real browser: a coordinator, logged in with password AND second factor
(the code typed as from an authenticator app), asks for a transfer from a case; the belteam logs
in, sees the request in its queue with the reason category — not the case's title or entries —
opens the existing transfer page and carries it out; the case then shows it done."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from casework.models import CaseCategory
from casework.services import case_create, entry_add
from placements.models import TransferRequest, TransferRequestStatus
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import WCAG
from tests.browser.test_csp import violations  # noqa: F401  (fixture)
from tests.casework.conftest import FAMILY, place
from tests.conftest import PASSWORD
from tests.factories import LegalBasisFactory
from tests.otp import totp_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUMMARY = "Titel-Geheim-5521 ruzie"
ENTRY_TEXT = "Aantekening-Geheim-8804 over het gesprek met de buren"


def _login(page: Page, live_server, user, next_path: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.get_by_label("Gebruikersnaam").fill(user.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()


def test_coordinator_asks_from_a_case_and_the_belteam_carries_it_out(
        page: Page, browser: Browser, live_server, world, personas, screenshot, violations):  # noqa: F811
    coordinator = personas.coordinator
    device = totp_device(coordinator, name="app")
    LegalBasisFactory(region=world.noord, valid_from=timezone.localdate())
    household, _placement = place(user=coordinator, region=world.noord, room=world.rooms_a[3], members=FAMILY)
    case = case_create(user=coordinator, household=household, owner=coordinator, summary=SUMMARY,
                       category=CaseCategory.objects.get(code="overlast"))
    entry_add(user=coordinator, case=case, kind="notitie", text=ENTRY_TEXT)
    case_path = f"/casussen/{case.uuid}/"
    problems: dict[str, str] = {}

    def axe(on: Page, name: str) -> None:
        results = Axe().run(on, options=WCAG)
        if results.violations_count:
            problems[name] = results.generate_report()

    # The coordinator: password, then the code typed key by key, then the case page.
    _login(page, live_server, coordinator, case_path)
    page.wait_for_url(re.compile(r"/accounts/2fa/controleren/"))
    page.get_by_label("Code").click()
    page.keyboard.type(totp_code(device))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}{case_path}")
    expect(page.get_by_role("heading", name=re.compile(SUMMARY))).to_be_visible()
    section = page.locator("#overplaatsingen")
    section.get_by_role("button", name="Overplaatsing aanvragen").click()
    page.wait_for_url(f"{live_server.url}{case_path}")
    expect(page.get_by_text("De aanvraag staat in de wachtrij van het belteam.")).to_be_visible()
    tr = TransferRequest.objects.get()
    expect(page.locator(f"#transfer-{tr.uuid}")).to_contain_text("Open")
    expect(page.locator(f"#transfer-{tr.uuid}")).to_contain_text("overlast")
    page.locator("#overplaatsingen").scroll_into_view_if_needed()
    axe(page, "case page with request")
    screenshot("case-transfer-asked")

    # The belteam, in a browser of its own: the queue shows the request and the category only.
    belteam_context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    belteam = belteam_context.new_page()
    try:
        _login(belteam, live_server, personas.belteam, "/plaatsingen/")
        belteam.wait_for_url(f"{live_server.url}/plaatsingen/")
        row = belteam.locator(f'tr[data-transfer-request="{tr.uuid}"]')
        expect(belteam.get_by_role("heading", name="Overplaatsingen")).to_be_visible()
        expect(row).to_contain_text("Bondarenko-Test")
        expect(row).to_contain_text("Het Anker")
        expect(row).to_contain_text("overlast")
        expect(row).to_contain_text("gevraagd vanuit een casus")
        expect(row).to_contain_text(f"Gevraagd vanuit casus {case.number}")
        expect(row.locator("a[href*='/casussen/']")).to_have_count(0)
        body = belteam.content()
        assert SUMMARY not in body and ENTRY_TEXT not in body
        belteam.locator("#transfer-queue").scroll_into_view_if_needed()
        axe(belteam, "queue with transfer requests")
        belteam.screenshot(path=str(ARTIFACTS / "case-transfer-belteam-queue.png"), full_page=True)

        # The existing transfer page, with where the request came from (no link, no content).
        row.get_by_role("link", name=re.compile("Overplaatsen")).click()
        belteam.wait_for_url(re.compile(r"/plaatsingen/plaatsing/.+/overplaatsen/$"))
        expect(belteam.locator("#transfer-origin")).to_have_text(f"Gevraagd vanuit casus {case.number}")
        expect(belteam.locator("#transfer-request")).to_contain_text("overlast")
        body = belteam.content()
        assert SUMMARY not in body and ENTRY_TEXT not in body and "/casussen/" not in body
        axe(belteam, "transfer page with request")
        belteam.screenshot(path=str(ARTIFACTS / "case-transfer-belteam-transfer-page.png"), full_page=True)
        belteam.get_by_label("Reden van de overplaatsing").fill("Gevraagd vanuit de casus")
        belteam.locator("li.candidate").first.get_by_role("button", name=re.compile("Verplaatsen")).click()
        belteam.wait_for_url(re.compile(r"/plaatsingen/plaatsing/[0-9a-f-]+/$"))
        expect(belteam.get_by_text(re.compile("Overgeplaatst naar"))).to_be_visible()
    finally:
        belteam_context.close()

    tr.refresh_from_db()
    assert tr.status == TransferRequestStatus.DONE and tr.done_by == personas.belteam

    # Back on the case: done, with where the household went.
    page.reload()
    expect(page.locator(f"#transfer-{tr.uuid}")).to_contain_text("Uitgevoerd")
    expect(page.locator(f"#transfer-{tr.uuid}")).to_contain_text(tr.result_placement.location.name)
    page.locator("#overplaatsingen").scroll_into_view_if_needed()
    screenshot("case-transfer-done")
    assert not violations, "\n".join(violations)
    assert not problems, "\n\n".join(f"== {name}\n{report}" for name, report in problems.items())
