"""The Content Security Policy in a real browser: no page of the application, the admin or the API
documentation makes Chromium refuse anything, and htmx still works under the policy."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import Page, expect

from placements.services import placement_confirm, placement_reserve
from tests.conftest import PASSWORD
from tests.factories import LocationFactory, RoomFactory, family_of_four_with_infant, make_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Reports every violation on the console, also those Chromium would only count (report-only,
# or refused inline styles that leave no console line in some versions).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def violations(page: Page) -> list[str]:
    """Every CSP refusal the page reports, from the console and from the violation event."""
    seen: list[str] = []

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to") or "CSP violation" in text:
            seen.append(f"{page.url}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.append(f"{page.url}: page error {error}"))
    page.add_init_script(REPORT_VIOLATIONS)
    return seen


def _login(page: Page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(user.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/locaties/"))


def _visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    policy = response.header_value("content-security-policy") or ""
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, (url, policy)
    page.wait_for_load_state("networkidle")


def test_no_page_is_refused_anything_by_the_policy(page: Page, live_server, personas, world, violations):
    haven = LocationFactory(municipality=world.mun_a, code="AAD-002", name="De Haven", suitable_infants=True,
                            intake_24_7=True)
    room = RoomFactory(location=haven, number="1.04", beds=4)
    request = make_request(region=world.noord, members=family_of_four_with_infant("Melnyk-Test"))
    placement = placement_confirm(user=personas.beheerder, placement=placement_reserve(
        user=personas.beheerder, request=request, allocation=[(room.pk, 4)]))
    waiting = make_request(region=world.noord)
    personas.beheerder.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["locations", "accounts"]))

    _visit(page, f"{live_server.url}/accounts/login/")
    _login(page, live_server, personas.beheerder)
    base, loc = live_server.url, world.loc_a
    for path in [
        "/locaties/", f"/locaties/{loc.uuid}/", f"/locaties/{loc.uuid}/bewerken/",
        f"/locaties/{loc.uuid}/geschiedenis/", f"/locaties/{loc.uuid}/kamers/nieuw/", "/locaties/import/",
        "/plaatsingen/", "/plaatsingen/nieuw/", f"/plaatsingen/verzoek/{waiting.uuid}/",
        f"/plaatsingen/plaatsing/{placement.uuid}/", f"/plaatsingen/locatie/{haven.uuid}/bewoners/",
        "/accounts/wachtwoord/", "/accounts/api-sleutels/",
        "/admin/", "/admin/locations/location/", f"/admin/locations/location/{loc.pk}/change/",
        f"/admin/locations/location/{loc.pk}/history/", "/admin/accounts/user/",
        f"/admin/accounts/user/{personas.gemeente_a.pk}/change/",
    ]:
        _visit(page, base + path)
    assert violations == [], "\n".join(violations)

    # The API documentation runs inline code, allowed by the per-request nonce only.
    _visit(page, f"{base}/api/docs/")
    expect(page.locator(".swagger-ui .title").first).to_contain_text("RCVS API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert violations == [], "\n".join(violations)


def test_htmx_filters_the_overview_under_the_policy(page: Page, live_server, personas, world, violations):
    _login(page, live_server, personas.belteam)
    rows = page.locator("tr[data-location]")
    expect(rows).to_have_count(2)  # Het Anker (Aadorp) and De Beuk (Beekdal)
    page.evaluate("window.__notReloaded = true")  # gone if the filter reloaded the whole page

    page.get_by_label("Gemeente").select_option(label=world.mun_b.name)
    expect(rows).to_have_count(1)
    expect(page.locator('tr[data-location="BEE-001"]')).to_be_visible()
    expect(page).to_have_url(re.compile(r"municipality="))  # hx-push-url keeps the filter

    page.get_by_label("Gemeente").select_option(label="Alle gemeenten")
    expect(rows).to_have_count(2)
    page.get_by_label("Zoeken").press_sequentially("Anker")  # keyup with a delay, no submit
    expect(rows).to_have_count(1)
    expect(page.locator('tr[data-location="AAD-001"]')).to_be_visible()
    assert page.evaluate("window.__notReloaded") is True
    assert violations == [], "\n".join(violations)


def test_live_candidates_and_language_switch_under_the_policy(page: Page, live_server, personas, world,
                                                              violations):
    _login(page, live_server, personas.belteam)
    page.goto(f"{live_server.url}/plaatsingen/nieuw/")
    panel = page.locator("#candidates")
    expect(panel.locator("[data-location]")).to_have_count(0)

    page.locator("#id_members-0-first_name").fill("Olena")
    page.locator("#id_members-0-last_name").fill("Csp-Test")
    page.locator("#id_members-0-date_of_birth").fill(dt.date(1990, 5, 1).isoformat())
    page.locator("#id_arrival_date").fill((timezone.localdate() + dt.timedelta(days=1)).isoformat())
    page.locator("#id_arrival_time").fill("14:00")  # by day: not only 24/7 locations
    page.locator("#id_members-0-sex").select_option("f")  # a change: htmx posts the form
    # Several changes in a row each post after 300 ms, the last one replacing the others; on a
    # busy machine that can take longer than expect's default 5 s.
    expect(panel.locator('[data-location="AAD-001"]')).to_be_visible(timeout=15_000)
    expect(panel.locator('[data-location="CRA-001"]')).to_have_count(0)  # another region

    # The language switch submits on change from static JS, not from an onchange attribute.
    page.get_by_label("Taal").select_option("en")
    expect(page.get_by_role("heading", name="New placement request")).to_be_visible()
    assert violations == [], "\n".join(violations)
