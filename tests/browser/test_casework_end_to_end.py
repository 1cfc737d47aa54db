"""Issue 7's browser test, taken literally and walked as a new user would, with real key events:
a coordinator logs in with the password and then the code from their authenticator app (computed
from the device key), finds a placed resident from the case dashboard (a POST search by name),
opens a case of category "overlast" with a neutral title, writes an entry, refers to the wijkteam
and asks for a transfer. The belteam, in a browser of its own, sees the request in its queue under
"Overplaatsingen" with the reason word and the case number, and neither there nor on the transfer
page the case title, the entry text, the referral's organisation or a link to the case. Back on
the case, "Wie heeft dit ingezien" lists the coordinator's own reads (and nobody from the belteam)
and the request's state. No CSP refusal in either browser; axe finds no WCAG violation on the case
page. Screenshots: test-artifacts/cw-e2e-*.png."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page, expect

from casework.models import Case, CaseAccess, CaseEntry, Referral
from placements.models import TransferRequest, TransferRequestStatus
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import WCAG
from tests.browser.test_csp import (
    REPORT_VIOLATIONS,
    violations,  # noqa: F401  (fixture)
)
from tests.casework.conftest import cw  # noqa: F401  (fixture)
from tests.conftest import PASSWORD
from tests.otp import totp_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Distinctive strings, so that "not on the belteam's page" cannot pass by a near miss.
TITLE = "Afspraken over samenleven Q4417"  # neutral: says nothing of the category
ENTRY_TEXT = "Buren melden geluid na middernacht; afspraak gemaakt ZX-9051."
ORGANISATION = "Wijkteam Aadorp-Oost R-2683"
CASE_CONTENT = (TITLE, ENTRY_TEXT, ORGANISATION, "Q4417", "ZX-9051", "R-2683")


def _type_into(page: Page, field: Locator, text: str) -> None:
    """Click into the field (as a person does) and type key by key."""
    field.click()
    page.keyboard.type(text)


def _listen_for_csp(page: Page, seen: list[str]) -> None:
    """The same listening as the `violations` fixture of test_csp, for a page of another context."""
    def on_console(message):
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to") or "CSP violation" in text:
            seen.append(f"{page.url}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.append(f"{page.url}: page error {error}"))
    page.add_init_script(REPORT_VIOLATIONS)


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"cw-e2e-{name}.png"), full_page=True)


def _assert_no_case_content(page: Page, where: str) -> None:
    html, text = page.content(), page.locator("body").inner_text()
    for secret in CASE_CONTENT:
        assert secret not in html and secret not in text, f"{where} shows case content: {secret!r}"
    assert "/casussen/" not in html, f"{where} links to the case"


def test_coordinator_logs_a_case_with_referral_and_transfer_belteam_sees_only_the_request(
        page: Page, browser: Browser, live_server, personas, cw, violations):  # noqa: F811
    coordinator = personas.coordinator
    device = totp_device(coordinator, name="app")
    problems: dict[str, str] = {}

    # 1a. The password: asked for the code next; the case pages stay closed until it is given.
    page.goto(f"{live_server.url}/accounts/login/")
    _type_into(page, page.get_by_label("Gebruikersnaam"), coordinator.username)
    _type_into(page, page.get_by_label("Wachtwoord"), PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/2fa/controleren/"))
    expect(page.get_by_role("heading", name="Code invoeren")).to_be_visible()
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Casuïstiek").click()
    page.wait_for_url(f"{live_server.url}/accounts/2fa/controleren/?next=%2Fcasussen%2F")
    expect(page.get_by_role("heading", name="Code invoeren")).to_be_visible()
    _shot(page, "1-code")

    # 1b. The code from the app, typed key by key → the case dashboard.
    _type_into(page, page.get_by_label("Code"), totp_code(device))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/casussen/")
    expect(page.get_by_role("heading", name="Casuïstiek", exact=True)).to_be_visible()

    # 1c. Nieuwe casus → search the resident by name (a POST: no name in the URL).
    page.get_by_role("link", name="Nieuwe casus").click()
    expect(page.get_by_role("heading", name="Bewoner zoeken")).to_be_visible()
    _type_into(page, page.get_by_label("Naam"), "Taras Bondarenko")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="1 bewoner gevonden")).to_be_visible()
    assert "Taras" not in page.url and "Bondarenko" not in page.url
    _shot(page, "2-search")
    page.get_by_role("link", name="Casus openen voor Taras Bondarenko-Test").click()

    # 1d. The case: about Taras, category Overlast, a neutral title typed in.
    expect(page.get_by_role("heading", name="Nieuwe casus")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Het Anker")  # the active placement
    page.get_by_label(re.compile(r"^Taras Bondarenko-Test")).check()
    page.get_by_label("Categorie").select_option(label="Overlast")
    _type_into(page, page.get_by_label("Titel"), TITLE)
    _shot(page, "3-new-case")
    page.get_by_role("button", name="Casus openen").click()
    expect(page.get_by_text(re.compile(r"Casus \d{4}-\d{4} is geopend"))).to_be_visible()
    case = Case.objects.get(household=cw.household)
    assert case.subject.first_name == "Taras" and case.category.code == "overlast" and case.owner == coordinator
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Casus {case.number}: {TITLE}")
    case_url = f"{live_server.url}/casussen/{case.uuid}/"
    assert page.url == case_url

    # 1e. An entry, typed.
    _type_into(page, page.get_by_role("textbox", name="Aantekening", exact=True), ENTRY_TEXT)
    page.get_by_role("button", name="Aantekening opslaan").click()
    expect(page.get_by_text("De aantekening is toegevoegd.")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text(ENTRY_TEXT)

    # 1f. A referral to the wijkteam, with the organisation typed.
    page.get_by_text("Nieuwe verwijzing").click()
    page.get_by_label("Verwijzen naar").select_option(value="wijkteam")
    _type_into(page, page.get_by_label("Organisatie"), ORGANISATION)
    page.get_by_role("button", name="Verwijzing versturen").click()
    expect(page.get_by_text("De verwijzing is verstuurd.")).to_be_visible()
    expect(page.locator(".referrals")).to_contain_text(ORGANISATION)
    expect(page.locator("#case-status")).to_contain_text("Doorverwezen")

    # 1g. A transfer, asked from the case; the reason the belteam will see is the category word.
    page.locator("#overplaatsingen").get_by_role("button", name="Overplaatsing aanvragen").click()
    expect(page.get_by_text("De aanvraag staat in de wachtrij van het belteam.")).to_be_visible()
    assert page.url == case_url
    tr = TransferRequest.objects.get()
    transfer = page.locator(f"#transfer-{tr.uuid}")
    expect(transfer).to_contain_text("Open")
    expect(transfer).to_contain_text("overlast")
    assert tr.origin == "case" and tr.reason_category == "overlast" and tr.placement == cw.placement
    assert CaseEntry.objects.get(case=case).author == coordinator
    assert Referral.objects.get(case=case).to_organisation == ORGANISATION
    results = Axe().run(page, options=WCAG)
    if results.violations_count:
        problems["case page, after entry, referral and transfer"] = results.generate_report()
    _shot(page, "4-case-asked")

    # 2. The belteam, in a browser of its own: the request with reason word and case number only.
    belteam_seen: list[str] = []
    belteam_context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    try:
        belteam = belteam_context.new_page()
        _listen_for_csp(belteam, belteam_seen)
        belteam.goto(f"{live_server.url}/accounts/login/")
        _type_into(belteam, belteam.get_by_label("Gebruikersnaam"), personas.belteam.username)
        _type_into(belteam, belteam.get_by_label("Wachtwoord"), PASSWORD)
        belteam.keyboard.press("Enter")
        belteam.wait_for_url(f"{live_server.url}/locaties/")
        belteam.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Plaatsen").click()
        belteam.wait_for_url(f"{live_server.url}/plaatsingen/")
        section = belteam.locator("section", has=belteam.get_by_role("heading", name="Overplaatsingen"))
        expect(section).to_be_visible()
        row = section.locator(f'tr[data-transfer-request="{tr.uuid}"]')
        expect(row).to_contain_text("Bondarenko-Test")  # the household: the belteam's own work
        expect(row.locator("[data-reason]")).to_have_text("overlast")
        expect(row).to_contain_text("gevraagd vanuit een casus")
        expect(row).to_contain_text(f"Gevraagd vanuit casus {case.number}")
        expect(row.locator("a[href*='/casussen/']")).to_have_count(0)
        _assert_no_case_content(belteam, "the belteam queue")
        section.scroll_into_view_if_needed()
        _shot(belteam, "5-belteam-queue")

        row.get_by_role("link", name=re.compile("Overplaatsen")).click()
        belteam.wait_for_url(f"{live_server.url}/plaatsingen/plaatsing/{cw.placement.uuid}/overplaatsen/")
        expect(belteam.locator("#transfer-origin")).to_have_text(f"Gevraagd vanuit casus {case.number}")
        expect(belteam.locator("#transfer-request")).to_contain_text("overlast")
        _assert_no_case_content(belteam, "the transfer page")
        _shot(belteam, "6-belteam-transfer-page")

        # And the case itself stays closed to the belteam (a 404, no content).
        response = belteam.goto(case_url)
        assert response is not None and response.status == 404
        _assert_no_case_content(belteam, "the case URL for the belteam")
    finally:
        belteam_context.close()
    assert not CaseAccess.objects.filter(case_id=case.pk, user_id=personas.belteam.pk).exists()

    # 3. The coordinator's case page: who read it (themselves, never the belteam), the request's state.
    page.reload()
    reads = page.locator("#read-log")
    expect(page.get_by_role("heading", name="Wie heeft dit ingezien")).to_be_visible()
    # One row per view of the case page: after opening, the entry, the referral, the transfer, now.
    expect(reads.locator("tbody tr")).to_have_count(5)
    expect(reads.locator("tbody tr").first).to_contain_text(coordinator.username)
    expect(reads).to_contain_text("Pagina")
    expect(reads).not_to_contain_text(personas.belteam.username)
    assert set(reads.locator("tbody tr td:nth-child(2)").all_inner_texts()) == {coordinator.username}
    expect(transfer).to_contain_text("Open")
    expect(transfer).to_contain_text("het belteam ziet als reden")
    expect(transfer).to_contain_text("overlast")
    assert TransferRequest.objects.get().status == TransferRequestStatus.OPEN
    reads.scroll_into_view_if_needed()
    _shot(page, "7-case-read-log")
    results = Axe().run(page, options=WCAG)
    if results.violations_count:
        problems["case page with read log"] = results.generate_report()

    assert not violations, "\n".join(violations)
    assert not belteam_seen, "\n".join(belteam_seen)
    assert not problems, "\n\n".join(f"== {name}\n{report}" for name, report in problems.items())
