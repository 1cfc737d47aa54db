"""A coordinator runs a case in a real browser: password, then the code from their app (computed
from the device key, typed with real key events), opens a case for a placed resident from the
placement page, adds an entry and a referral, and closes it. Under the Content Security Policy
nothing is refused and axe finds no WCAG violation on the case pages. Screenshots go to
test-artifacts/ (casework-*.png)."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from casework.models import CaseAccess, CaseEntry, CaseStatus, Referral
from tests.browser.test_accessibility import WCAG
from tests.browser.test_csp import violations  # noqa: F401  (fixture)
from tests.casework.conftest import cw, open_case  # noqa: F401  (cw: fixture)
from tests.conftest import PASSWORD
from tests.otp import totp_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _axe(page: Page, name: str, problems: dict[str, str]) -> None:
    results = Axe().run(page, options=WCAG)
    if results.violations_count:
        problems[name] = results.generate_report()


def _type_into(page: Page, locator, text: str) -> None:
    locator.click()
    page.keyboard.type(text)


def login_with_second_factor(page: Page, live_server, user, next_path: str) -> None:
    device = totp_device(user, name="app")
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    _type_into(page, page.get_by_label("Gebruikersnaam"), user.username)
    _type_into(page, page.get_by_label("Wachtwoord"), PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/2fa/controleren/"))
    _type_into(page, page.get_by_label("Code"), totp_code(device))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}{next_path}")


def test_coordinator_runs_a_case_from_placement_to_closure(page: Page, live_server, personas, cw, screenshot,  # noqa: F811
                                                           violations):  # noqa: F811
    user = personas.coordinator
    problems: dict[str, str] = {}
    placement_path = f"/plaatsingen/plaatsing/{cw.placement.uuid}/"
    login_with_second_factor(page, live_server, user, placement_path)

    # From the placement page to a new case about the child.
    page.get_by_role("link", name="Casus openen").click()
    expect(page.get_by_role("heading", name="Nieuwe casus")).to_be_visible()
    assert "Bondarenko" not in page.url  # the placement's uuid in the link, never a name
    _axe(page, "case-new", problems)
    page.get_by_label(re.compile(r"^Sofiia Bondarenko-Test")).check()
    page.get_by_label("Categorie").select_option(label="Schoolverzuim")
    _type_into(page, page.get_by_label("Titel"), "Schoolgang afspraken")
    screenshot("casework-new")
    page.get_by_role("button", name="Casus openen").click()
    expect(page.get_by_text(re.compile(r"Casus \d{4}-\d{4} is geopend"))).to_be_visible()
    case = cw.household.cases.get()
    assert case.subject == cw.child and case.owner == user

    # An entry, typed.
    screenshot("casework-opened")
    _type_into(page, page.get_by_role("textbox", name="Aantekening", exact=True), "Gesprek met moeder over de schoolgang.")
    page.get_by_role("button", name="Aantekening opslaan").click()
    expect(page.get_by_text("De aantekening is toegevoegd.")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("Gesprek met moeder over de schoolgang.")

    # A referral to nobody first: a Dutch message, nothing written; then to the wijkteam.
    page.get_by_text("Nieuwe verwijzing").click()
    page.get_by_label("Verwijzen naar").select_option(value="wijkteam")
    page.get_by_role("button", name="Verwijzing versturen").click()
    expect(page.locator("#error-summary")).to_contain_text("Vul de organisatie in")
    assert not Referral.objects.filter(case=case).exists()
    _axe(page, "case-with-errors", problems)
    _type_into(page, page.get_by_label("Organisatie"), "Wijkteam Aadorp")
    page.get_by_role("button", name="Verwijzing versturen").click()
    expect(page.get_by_text("De verwijzing is verstuurd.")).to_be_visible()
    expect(page.locator(".referrals")).to_contain_text("Wijkteam Aadorp")
    expect(page.locator("#case-status")).to_contain_text("Doorverwezen")
    _axe(page, "case-detail", problems)
    screenshot("casework-detail")

    # Close with a reason, by keyboard.
    page.get_by_text("Casus afsluiten").click()
    page.get_by_label("Reden van afsluiten").select_option(value="overgedragen")
    page.get_by_role("button", name="Afsluiten").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("De casus is afgesloten.")).to_be_visible()
    expect(page.locator("#case-status")).to_contain_text("Afgesloten")
    screenshot("casework-closed")

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_reason == "overgedragen"
    assert CaseEntry.objects.filter(case=case).count() == 1
    assert Referral.objects.get(case=case).to_organisation == "Wijkteam Aadorp"
    assert CaseAccess.objects.filter(case_id=case.pk, user_id=user.pk, channel="page", part="case").count() >= 4

    # The dashboard, with a search by resident (a POST).
    page.get_by_role("link", name="Casuïstiek").first.click()
    expect(page.get_by_role("heading", name="Casuïstiek", exact=True)).to_be_visible()
    _type_into(page, page.get_by_label("Naam"), "Sofiia")
    _type_into(page, page.get_by_label("Geboortedatum"), "30-09-2015")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.locator("#h-search").locator("..")).to_contain_text(case.number)
    assert "Sofiia" not in page.url
    _axe(page, "dashboard", problems)
    screenshot("casework-dashboard")

    assert not violations, "\n".join(violations)
    assert not problems, "\n\n".join(f"== {name}\n{report}" for name, report in problems.items())


def test_break_glass_form_and_read_log_are_accessible(page: Page, live_server, personas, cw, screenshot,  # noqa: F811
                                                     violations):  # noqa: F811
    case = open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator)
    problems: dict[str, str] = {}
    login_with_second_factor(page, live_server, cw.colleague, "/casussen/")
    page.goto(f"{live_server.url}/casussen/{case.uuid}/")
    expect(page.get_by_role("heading", name="Casus buiten uw caseload")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Afspraken huisregels")
    _axe(page, "break-glass", problems)
    screenshot("casework-break-glass")
    page.get_by_role("button", name="Inzien met deze reden").click()
    expect(page.locator("#error-summary")).to_contain_text("Geef een reden")
    _axe(page, "break-glass-with-errors", problems)
    _type_into(page, page.get_by_label("Reden om deze casus in te zien"), "Waarneming tijdens vakantie")
    page.get_by_role("button", name="Inzien met deze reden").click()
    expect(page.locator("#read-log")).to_contain_text("Waarneming tijdens vakantie")
    _axe(page, "case-read-log", problems)
    screenshot("casework-read-log")
    assert not violations, "\n".join(violations)
    assert not problems, "\n\n".join(f"== {name}\n{report}" for name, report in problems.items())
