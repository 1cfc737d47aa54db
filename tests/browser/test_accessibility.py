"""WCAG 2.1 A/AA checks with axe-core (bundled in axe-playwright-python, nothing downloaded) on
every registry page, as a gemeente user who sees the edit actions too."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.casework.conftest import cw  # noqa: F401  (fixture)
from tests.conftest import PASSWORD
from tests.factories import room_set_occupants

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}


def test_registry_pages_have_no_wcag_violations(page: Page, live_server, personas, world):
    axe = Axe()
    room_set_occupants(room=world.rooms_a[2], occupants=3)
    page.goto(f"{live_server.url}/accounts/login/")
    pages = {"login": page.url}
    page.get_by_label("Gebruikersnaam").fill(personas.gemeente_a.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{live_server.url}/locaties/")

    loc, room = world.loc_a, world.rooms_a[0]
    pages.update({
        "overview": f"{live_server.url}/locaties/",
        "overview-filtered": f"{live_server.url}/locaties/?suitable_pets=on&min_free_in_room=7",
        "detail": f"{live_server.url}/locaties/{loc.uuid}/",
        "edit": f"{live_server.url}/locaties/{loc.uuid}/bewerken/",
        "room": f"{live_server.url}/locaties/{loc.uuid}/kamers/{room.pk}/bewerken/",
        "block": f"{live_server.url}/locaties/{loc.uuid}/kamers/{room.pk}/blokkeren/",
        "history": f"{live_server.url}/locaties/{loc.uuid}/geschiedenis/",
        "import": f"{live_server.url}/locaties/import/",
        "password": f"{live_server.url}/accounts/wachtwoord/",
        "api-keys": f"{live_server.url}/accounts/api-sleutels/",
        "2fa-status": f"{live_server.url}/accounts/2fa/",
        "2fa-setup": f"{live_server.url}/accounts/2fa/instellen/",  # the QR page (code page: test_otp_browser)
    })
    problems = {}
    for name, url in pages.items():
        if name != "login":
            page.goto(url)
        results = axe.run(page, options=WCAG)
        if results.violations_count:
            problems[name] = results.generate_report()
    # A form with errors, too: the error summary and the field messages must be accessible.
    page.goto(pages["block"])
    page.get_by_role("button", name="Blokkeren").click()
    results = axe.run(page, options=WCAG)
    if results.violations_count:
        problems["block-with-errors"] = results.generate_report()
    assert not problems, "\n\n".join(f"== {name}\n{report}" for name, report in problems.items())

    # Control: the checker does see a violation when there is one (an unlabelled input).
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=text>')")
    assert axe.run(page, options=WCAG).violations_count >= 1


def test_case_pages_have_no_wcag_violations(page: Page, live_server, personas, cw):  # noqa: F811
    """The case pages (/casussen/), as a coordinator who passed the second factor: dashboard with
    filters and a search, new case, the case page with entries, referral and share, an entry edit,
    the break-glass form, and a gemeente user's read-only view of a shared case."""
    import datetime as dt

    from django.utils import timezone

    from casework import services
    from tests.browser.test_casework_browser import login_with_second_factor
    from tests.casework.conftest import open_case

    coordinator = personas.coordinator
    case = open_case(user=coordinator, household=cw.household, owner=coordinator, code="psychisch_trauma")
    entry = services.entry_add(user=coordinator, case=case, kind="notitie", text="Gesprek", special_category=False)
    services.referral_create(user=coordinator, case=case, to_kind="wijkteam", to_organisation="Wijkteam")
    services.share_create(user=coordinator, case=case, to_user=personas.gemeente_a, purpose="Onderwijs",
                          until=timezone.localdate() + dt.timedelta(days=5))
    other = open_case(user=coordinator, household=cw.household, owner=cw.colleague)
    login_with_second_factor(page, live_server, coordinator, "/casussen/")
    base = f"{live_server.url}/casussen"
    pages = {
        "case-dashboard": f"{base}/",
        "case-dashboard-filtered": f"{base}/?category=psychisch_trauma&status=open",
        "case-new-search": f"{base}/nieuw/",
        "case-new": f"{base}/nieuw/?plaatsing={cw.placement.uuid}",
        "case-detail": f"{base}/{case.uuid}/",
        "case-entry-edit": f"{base}/{case.uuid}/aantekening/{entry.uuid}/wijzigen/",
        "case-break-glass": f"{base}/{other.uuid}/",
    }
    axe, problems = Axe(), {}
    for name, url in pages.items():
        page.goto(url)
        assert page.locator("h1").count() == 1 and "2fa" not in page.url, name
        results = axe.run(page, options=WCAG)
        if results.violations_count:
            problems[name] = results.generate_report()
    page.goto(pages["case-new-search"])
    page.get_by_role("button", name="Zoeken").click()  # empty search: the error summary
    results = axe.run(page, options=WCAG)
    if results.violations_count:
        problems["case-new-search-with-errors"] = results.generate_report()

    page.context.clear_cookies()
    login_with_second_factor(page, live_server, personas.gemeente_a, "/casussen/")
    for name, url in {"case-shared-dashboard": f"{base}/", "case-shared-detail": f"{base}/{case.uuid}/"}.items():
        page.goto(url)
        assert case.number in page.locator("main").inner_text(), name  # the real page, not a 404
        results = axe.run(page, options=WCAG)
        if results.violations_count:
            problems[name] = results.generate_report()
    assert not problems, "\n\n".join(f"== {name}\n{report}" for name, report in problems.items())
